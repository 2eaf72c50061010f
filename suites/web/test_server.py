"""harness.web without nose: start, readiness, stop, factories, routes files, handler errors."""

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
from pathlib import Path

from harness.errors import WebError
from harness.web import AppSource, Services, SubprocessApp, ThreadApp, serve
from suites.web import apps

ROOT = str(Path(__file__).resolve().parents[2])

SERVICES = Services(pg_url="postgresql://app:s3cret@127.0.0.1:5432/nh_test_web",
                    amqp_url="amqp://guest:guest@127.0.0.1:5672//",
                    names={"bank.events": "bank.events@nh-web"})


def get(app, path):
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def source(factory):
    return AppSource.parse(f"suites.web.apps:{factory}")


class ThreadModeTest(unittest.TestCase):
    mode = "thread"

    def serve(self, factory="make_app", **options):
        app = serve(source(factory), SERVICES, mode=self.mode, **options)
        self.addCleanup(app.stop)
        return app

    def test_serves_on_a_free_loopback_port_until_stopped(self):
        app = self.serve()
        self.assertTrue(app.url.startswith("http://127.0.0.1:"), app.url)
        self.assertGreater(app.port, 0)
        self.assertEqual(get(app, "/")[0], 200)
        app.stop()
        self.assertTrue(refused(app.port), "the port still accepts connections after stop()")

    def test_the_factory_receives_the_services(self):
        status, body = get(self.serve(), "/")
        self.assertEqual(status, 200)
        self.assertIn(b'"pg_url": "postgresql://app:s3cret@127.0.0.1:5432/nh_test_web"', body)
        self.assertIn(b'"bank.events": "bank.events@nh-web"', body)

    def test_async_and_argument_free_factories(self):
        self.assertIn(b'"greeting": "async"', get(self.serve("make_app_async"), "/")[1])
        self.assertIn(b'"greeting": "no arguments"',
                      get(self.serve("make_app_without_services"), "/")[1])

    def test_two_apps_at_once_get_their_own_ports(self):
        first, second = self.serve(), self.serve()
        self.assertNotEqual(first.port, second.port)
        self.assertEqual(get(first, "/")[0], get(second, "/")[0])

    def test_a_handler_exception_is_kept_with_its_traceback(self):
        app = self.serve()
        get(app, "/")
        mark = app.mark()
        self.assertEqual(get(app, "/boom")[0], 500)
        errors, requests = app.since(mark)
        self.assertEqual(len(errors), 1, errors)
        self.assertEqual(errors[0].summary, "Uncaught exception GET /boom (127.0.0.1)")
        self.assertIn("ValueError: kaboom from the handler", errors[0].text)
        self.assertIn("suites/web/apps.py", errors[0].text)
        self.assertEqual(len(requests), 1, requests)
        self.assertRegex(requests[0], r"^500 GET /boom \(\d+\.\d ms\)$")

    def test_http_errors_are_requests_with_their_reason_not_exceptions(self):
        app = self.serve()
        self.assertEqual(get(app, "/missing")[0], 404)
        self.assertEqual(app.errors, [])
        self.assertEqual(len(app.requests), 1, app.requests)
        self.assertRegex(app.requests[0], r"^404 GET /missing \(\d+\.\d ms\): no such thing here$")

    def test_the_readiness_probe_is_not_a_request(self):
        app = self.serve()
        self.assertEqual(app.requests, [])

    def test_shutdown_is_called_when_the_app_stops(self):
        app = self.serve("make_closing_app")
        before = apps.SHUTDOWNS.count("closing")
        app.stop()
        self.assertEqual(apps.SHUTDOWNS.count("closing"), before + 1)

    def test_a_factory_that_raises_names_itself_and_shows_its_traceback(self):
        with self.assertRaises(WebError) as caught:
            self.serve("broken_factory")
        text = caught.exception.render()
        self.assertIn("suites.web.apps:broken_factory", text)
        self.assertIn("KeyError", text)
        self.assertIn('raise KeyError("DATABASE_NAME")', text)

    def test_passwords_never_reach_the_message(self):
        with self.assertRaises(WebError) as caught:
            self.serve("leaks_its_password")
        self.assertIn("cannot connect with ***", caught.exception.render())
        self.assertNotIn("s3cret", caught.exception.render())

    def test_a_factory_must_return_an_application(self):
        with self.assertRaises(WebError) as caught:
            self.serve("not_an_app")
        self.assertIn("returned dict, not a tornado.web.Application", str(caught.exception))

    def test_a_missing_factory_lists_what_the_module_has(self):
        with self.assertRaises(WebError) as caught:
            self.serve("make_ap")
        self.assertIn("has no attribute 'make_ap'", str(caught.exception))
        self.assertIn("make_app", caught.exception.fix)

    def test_the_readiness_path_can_be_chosen(self):
        # "/" of this app sleeps a second by default; "/?seconds=0" answers at once.
        app = self.serve("make_slow_to_answer", timeout=0.8, ready_path="/?seconds=0")
        self.assertEqual(get(app, "/?seconds=0"), (200, b"late"))

    def test_no_answer_in_time_is_an_error_not_a_hang(self):
        started = time.monotonic()
        with self.assertRaises(WebError) as caught:
            self.serve("make_slow_to_answer", timeout=0.3)
        self.assertIn("did not answer HTTP", str(caught.exception))
        self.assertLess(time.monotonic() - started, 8)


class SubprocessModeTest(ThreadModeTest):
    mode = "subprocess"

    # The child's shutdown() runs in the child: its effect is not visible here.
    test_shutdown_is_called_when_the_app_stops = None

    def test_the_child_exits_when_stopped(self):
        app = self.serve()
        process = app._process
        app.stop()
        self.assertIsNotNone(process.poll(), "the app's process is still running")
        self.assertEqual(process.returncode, 0)

    def test_the_services_urls_stay_out_of_the_childs_command_line(self):
        app = self.serve()
        cmdline = Path(f"/proc/{app._process.pid}/cmdline").read_bytes().replace(b"\0", b" ")
        self.assertIn(b"harness.web", cmdline)
        self.assertNotIn(b"s3cret", cmdline)
        self.assertIn(b'"pg_url": "postgresql://app:s3cret@127.0.0.1:5432/nh_test_web"',
                      get(app, "/")[1])

    def test_the_child_ends_when_its_parent_is_killed(self):
        # The parent may die without stopping anything (kill -9, an OOM kill): the child sees its
        # stdin close and ends, so no server outlives the run.
        script = ("import sys, time\n"
                  "from harness.web import AppSource, Services, SubprocessApp\n"
                  "app = SubprocessApp(AppSource.parse('suites.web.apps:make_app'), Services())\n"
                  "print(app.start().port, app._workdir.name, flush=True)\n"
                  "time.sleep(60)\n")
        parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                  text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT})
        self.addCleanup(parent.wait)
        port, workdir = parent.stdout.readline().split()
        port = int(port)
        parent.stdout.close()
        self.assertFalse(refused(port))
        parent.kill()
        deadline = time.monotonic() + 5
        while not refused(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(refused(port), "the app's process outlived its parent")
        while Path(workdir).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(Path(workdir).exists(), "the orphaned app left its files behind")

    def test_a_failing_child_shows_its_output(self):
        with self.assertRaises(WebError) as caught:
            self.serve("broken_factory")
        text = caught.exception.render()
        self.assertIn("the app factory suites.web.apps:broken_factory raised KeyError", text)
        self.assertIn('raise KeyError("DATABASE_NAME")', text)
        self.assertNotIn("s3cret", text)

    def test_a_child_that_dies_shows_its_output(self):
        with self.assertRaises(WebError) as caught:
            self.serve("exit_at_once")
        text = caught.exception.render()
        self.assertIn("exited with status 3 before answering", text)
        self.assertIn("last lines of its output", text)
        self.assertIn("bye from a dying app (password in postgresql://app:***@", text)
        self.assertNotIn("s3cret", text)


class CallbackErrorTest(unittest.TestCase):
    def test_an_exception_in_a_loop_callback_is_kept(self):
        with serve(source("make_app"), SERVICES) as app:
            self.assertEqual(get(app, "/callback")[0], 200)
            deadline = time.monotonic() + 5
            while not app.errors and time.monotonic() < deadline:
                time.sleep(0.01)
            self.assertIn("a callback on the app's loop failed", app.errors[0].text)


class StopTest(unittest.TestCase):
    def test_stop_leaves_no_thread_behind(self):
        before = {thread.name for thread in threading.enumerate()}
        app = ThreadApp(source("make_app"), SERVICES).start()
        self.assertIn(f"tornado-app:{app.port}", {t.name for t in threading.enumerate()})
        app.stop()
        self.assertEqual({t.name for t in threading.enumerate()} - before, set())

    def test_stop_twice_is_harmless(self):
        for kind in (ThreadApp, SubprocessApp):
            app = kind(source("make_app"), SERVICES).start()
            app.stop()
            app.stop()
            self.assertTrue(refused(app.port))


class SourceTest(unittest.TestCase):
    def test_a_factory_spec_needs_module_and_callable(self):
        for spec in ("suites.web.apps", "suites.web.apps:", ":make_app", "a b:c"):
            with self.assertRaises(WebError, msg=spec) as caught:
                AppSource.parse(spec)
            self.assertIn("package.module:factory", str(caught.exception))

    def test_factory_or_routes_not_both(self):
        with self.assertRaises(WebError):
            AppSource.parse("suites.web.apps:make_app", __file__)

    def test_an_unknown_module_says_so(self):
        with self.assertRaises(WebError) as caught:
            serve(AppSource.parse("suites.web.nosuchmodule:make_app"))
        self.assertIn("no module named 'suites.web.nosuchmodule'", str(caught.exception))

    def test_not_callable(self):
        with self.assertRaises(WebError) as caught:
            serve(AppSource.parse("suites.web.apps:NOT_CALLABLE"))
        self.assertIn("is a int, not a callable", str(caught.exception))


class RoutesTest(unittest.TestCase):
    def routes(self, text):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        path = Path(directory.name, "routes.yaml")
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    def serve_routes(self, text, mode="thread"):
        app = serve(AppSource.parse(routes=self.routes(text)), SERVICES, mode=mode)
        self.addCleanup(app.stop)
        return app

    def error(self, text):
        path = self.routes(text)
        with self.assertRaises(WebError) as caught:
            serve(AppSource.parse(routes=path), SERVICES)
        return path, caught.exception

    def test_a_route_map_serves_its_handlers_with_their_arguments(self):
        for mode in ("thread", "subprocess"):
            app = self.serve_routes("""
                # the app's routes
                - [/, suites.web.apps.Echo]
                - [/hi, suites.web.apps.Greeting, {word: bonjour}]
            """, mode=mode)
            self.assertEqual(get(app, "/hi"), (200, b"bonjour"))
            self.assertIn(b"nh_test_web", get(app, "/")[1])  # settings["services"]

    def test_an_unknown_handler_module_names_file_and_line(self):
        path, error = self.error("""
            - [/, suites.web.apps.Echo]
            - [/x, suites.web.nosuch.Handler]
        """)
        self.assertEqual((error.file, error.line), (str(path), 2))
        self.assertIn("no module named 'suites.web.nosuch'", error.message)
        self.assertTrue(error.render().startswith(f"{path}:2: "))

    def test_an_unknown_handler_class_lists_the_classes(self):
        path, error = self.error("- [/, suites.web.apps.Ech]\n")
        self.assertEqual(error.line, 1)
        self.assertIn("Echo", error.fix)

    def test_not_a_request_handler(self):
        path, error = self.error("- [/, suites.web.apps.ClosingApp]\n")
        self.assertIn("is not a tornado.web.RequestHandler subclass", error.message)

    def test_shapes_that_are_not_routes(self):
        cases = {
            "routes: []\n": (1, "a list of [path, dotted.Handler] pairs"),
            "- [/]\n": (1, "route 1 must be"),
            "- [/ok, suites.web.apps.Echo]\n- [nope, suites.web.apps.Echo]\n":
                (2, "must be a string starting with /"),
            "- ['/(', suites.web.apps.Echo]\n": (1, "not a valid regular expression"),
            "- [/, suites.web.apps.Echo, [1]]\n": (1, "mapping of initialize() arguments"),
            "- [/, Echo]\n": (1, "must be a dotted path"),
            "- [/, suites.web.apps.Echo\n": (2, "YAML syntax"),
            "- !!python/object:os.system [/, x]\n": (1, "is not allowed"),
        }
        for text, (line, message) in cases.items():
            _, error = self.error(text)
            self.assertEqual(error.line, line, text)
            self.assertIn(message, error.message, text)

    def test_a_missing_routes_file(self):
        with self.assertRaises(WebError) as caught:
            AppSource.parse(routes="no/such/routes.yaml", base_dir=tempfile.gettempdir())
        self.assertIn("does not exist", caught.exception.message)
        self.assertTrue(caught.exception.file.endswith("no/such/routes.yaml"))
