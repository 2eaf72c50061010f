"""harness.testing.web: what a test sees of the live app (fetch, Response, base_url)."""

import unittest

from harness.errors import WebError
from harness.testing import web as testing
from harness.web import AppSource, Services, serve


class FetchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.app = serve(AppSource.parse("suites.web.apps:make_app"),
                        Services(pg_url="postgresql://u@h/nh_test_fetch"))
        testing.push(cls, cls.app)

    @classmethod
    def tearDownClass(cls):
        testing.pop(cls)
        cls.app.stop()

    def test_base_url_and_url(self):
        self.assertEqual(testing.base_url(), self.app.url)
        self.assertEqual(testing.url("/a?b=1"), f"{self.app.url}/a?b=1")
        self.assertEqual(testing.url("a"), f"{self.app.url}/a")
        self.assertEqual(testing.url("http://example.invalid/x"), "http://example.invalid/x")

    def test_a_json_response(self):
        response = testing.fetch("/?ignored=1")
        self.assertEqual((response.status, response.reason), (200, "OK"))
        self.assertEqual(response.headers["content-type"], "application/json; charset=UTF-8")
        self.assertEqual(response.json()["pg_url"], "postgresql://u@h/nh_test_fetch")
        self.assertIn('"greeting": "from make_app"', response.text)

    def test_posting_json(self):
        response = testing.fetch("/", "POST", json={"amount": "1.50"})
        self.assertEqual(response.json(), {"received": {"amount": "1.50"}})
        self.assertEqual(response.headers["X-Echo-Type"], "application/json")

    def test_errors_are_responses_not_exceptions(self):
        response = testing.fetch("/missing")
        self.assertEqual(response.status, 404)
        self.assertIn("404: Not Found", response.text)

    def test_a_body_that_is_not_json_fails_readably(self):
        with self.assertRaises(AssertionError) as caught:
            testing.fetch("/missing").json()
        self.assertIn("GET", str(caught.exception))
        self.assertIn("-> 404 Not Found", str(caught.exception))
        self.assertIn("is not JSON", str(caught.exception))

    def test_repr_shows_status_and_the_start_of_the_body(self):
        text = repr(testing.fetch("/boom"))
        self.assertTrue(text.startswith(f"<Response GET {self.app.url}/boom -> 500 "), text)
        self.assertLess(len(text), 420)

    def test_the_innermost_app_is_current(self):
        with serve(AppSource.parse("suites.web.apps:make_app_without_services")) as inner:
            testing.push("inner", inner)
            try:
                self.assertEqual(testing.fetch("/").json()["greeting"], "no arguments")
            finally:
                self.assertEqual(testing.pop("inner"), [inner])
        self.assertEqual(testing.fetch("/").json()["greeting"], "from make_app")


class NoAppTest(unittest.TestCase):
    def test_without_an_app_the_error_says_how_to_get_one(self):
        saved = testing.clear()
        try:
            with self.assertRaises(WebError) as caught:
                testing.fetch("/")
        finally:
            for app in reversed(saved):
                testing.push("restored", app)
        self.assertIn("no live Tornado app", caught.exception.message)
        self.assertIn("--with-tornado" if not testing.managed else "--tornado-app",
                      caught.exception.fix)
