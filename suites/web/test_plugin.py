"""The --with-tornado plugin, seen from a terminal: nose runs in a child process on a small project."""

import subprocess
import sys
import unittest

from suites.web.project import APP, Project

RECORD_PORT = '''
import os
from harness.testing.web import base_url

def record(test_name):
    with open(os.path.join(os.path.dirname(__file__), "ports.txt"), "a") as out:
        out.write(f"{test_name} {base_url()}\\n")
'''

FUNCTION_TESTS = '''
from harness.testing.web import fetch

def test_hello():
    response = fetch("/")
    assert response.status == 200, response
    assert response.json() == {"hello": "world"}

def test_boom():
    response = fetch("/boom")
    assert response.status == 200, response
'''

SCOPED_TESTS = '''
from harness.testing.web import LiveAppTestCase, fetch
from recorder import record

def test_function_one():
    record("{module}.function_one")

def test_function_two():
    record("{module}.function_two")

class FirstTest(LiveAppTestCase):
    def test_a(self):
        self.assertEqual(self.fetch("/").status, 200)
        record("{module}.First.a")

    def test_b(self):
        record("{module}.First.b")

class SecondTest(LiveAppTestCase):
    def test_c(self):
        record("{module}.Second.c")
'''


def ports(project):
    """{test: base URL} from what the tests recorded."""
    return dict(line.split() for line in project.read("ports.txt").splitlines())


class PluginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.project = Project({
            "myapp.py": APP,
            "test_functions.py": FUNCTION_TESTS,
            "routes.yaml": """
                - [/, myapp.Hello]
                - [/boom, myapp.Boom]
            """,
            "test_bad_mode.py": """
                tornado_mode = "process"

                def test_never_runs():
                    pass
            """,
            "test_mode_alone.py": """
                import os

                from harness.testing.web import LiveAppTestCase, fetch

                class InAChildTest(LiveAppTestCase):
                    tornado_mode = "subprocess"

                    def test_served_by_another_process(self):
                        self.assertNotEqual(self.fetch("/pid").json()["pid"], os.getpid())

                def test_module_app_in_this_process():
                    assert fetch("/pid").json()["pid"] == os.getpid()
            """,
            "test_bad_app.py": """
                # the factory's module is misspelt on line 2
                tornado_app = "myap:make_app"

                def test_never_runs():
                    pass
            """,
            "bad_routes.yaml": """
                # a typo on line 3
                - [/, myapp.Hello]
                - [/boom, myap.Boom]
            """,
        })

    @classmethod
    def tearDownClass(cls):
        cls.project.remove()

    def test_a_handler_exception_is_attached_to_the_failing_test(self):
        for mode in ("thread", "subprocess"):
            code, output = self.project.nose("--tornado-app=myapp:make_app",
                                             f"--tornado-mode={mode}", "test_functions.py")
            self.assertEqual(code, 1, output)
            self.assertIn("1 passed, 1 failed, 0 skipped", output)
            failure = output.split("FAIL: test_functions.test_boom", 1)[1]
            self.assertIn(">> handler exceptions in http://127.0.0.1:", failure)
            self.assertIn("Uncaught exception GET /boom (127.0.0.1)", failure)
            line = self.project.line_of("myapp.py", "raise ZeroDivisionError")
            self.assertIn(f'myapp.py", line {line}, in get', failure)
            self.assertIn("ZeroDivisionError: the handler divided by zero", failure)
            self.assertIn(">> requests to http://127.0.0.1:", failure)
            self.assertRegex(failure, r"\n500 GET /boom \(\d+\.\d ms\)\n")
            # The passing test's request is not in the failing test's list.
            self.assertNotRegex(failure, r"\n200 GET / ")

    def test_passing_tests_print_nothing_of_the_app(self):
        code, output = self.project.nose("--with-tornado", "--tornado-app=myapp:make_app",
                                         "--tornado-ready-path=/pid",
                                         "test_functions.py:test_hello")
        self.assertEqual(code, 0, output)
        self.assertNotIn("GET", output)
        self.assertIn("1 passed, 0 failed, 0 skipped", output)

    def test_a_route_map_serves_the_handlers(self):
        code, output = self.project.nose("--tornado-routes=routes.yaml", "test_functions.py")
        self.assertIn("1 passed, 1 failed", output)
        self.assertIn("ZeroDivisionError", output)

    def test_a_bad_handler_path_is_one_error_with_file_and_line(self):
        code, output = self.project.nose("--tornado-routes=bad_routes.yaml", "test_functions.py")
        self.assertEqual(code, 1, output)
        self.assertIn(f"{self.project.root}/bad_routes.yaml:3: cannot import the module of "
                      "handler myap.Boom: no module named 'myap'", output)
        self.assertNotIn("Traceback", output)
        self.assertIn("0 passed, 1 failed, 0 skipped", output)

    def test_a_broken_factory_stops_the_run_with_one_clear_error(self):
        code, output = self.project.nose("--tornado-app=myapp:broken", "test_functions.py")
        self.assertEqual(code, 1, output)
        self.assertIn("the app factory myapp:broken raised RuntimeError: cannot reach the "
                      "config server", output)
        self.assertEqual(output.count("ERROR: "), 1, output)
        line = self.project.line_of("myapp.py", "raise RuntimeError")
        self.assertIn(f'myapp.py", line {line}, in broken', output)  # where, in the user's code
        self.assertIn("0 passed, 1 failed, 0 skipped", output)
        self.assertNotIn("Traceback (most recent call last)", output)

    def test_tornado_mode_alone_runs_the_surrounding_app_in_that_mode(self):
        code, output = self.project.nose("-v", "--tornado-app=myapp:make_app",
                                         "test_mode_alone.py")
        self.assertEqual(code, 0, output)
        self.assertIn("2 passed, 0 failed", output)
        # -v says which app serves whom, and where.
        self.assertRegex(output, r"tornado: myapp:make_app at http://127\.0\.0\.1:\d+ "
                                 r"\(subprocess, for InAChildTest, ready in \d+ ms\)")
        self.assertRegex(output, r"\(thread, for the run, ready in \d+ ms\)")

    def test_a_bad_mode_attribute_is_one_clear_error(self):
        code, output = self.project.nose("--tornado-app=myapp:make_app", "test_bad_mode.py")
        self.assertEqual(code, 1, output)
        self.assertIn("test_bad_mode.tornado_mode is 'process'", output)
        self.assertIn("fix: use 'thread' or 'subprocess'", output)
        self.assertIn("test_bad_mode.py:1: ", output)   # the declaration's own line
        self.assertNotIn("Traceback", output)

    def test_an_unusable_app_attribute_names_the_declaring_line(self):
        code, output = self.project.nose("--with-tornado", "test_bad_app.py")
        self.assertEqual(code, 1, output)
        self.assertIn("test_bad_app.py:2: cannot import the module of app factory "
                      "'myap:make_app'", output)
        self.assertIn("fix: check the spelling", output)
        self.assertIn("0 passed, 1 failed", output)
        self.assertNotIn("Traceback", output)

    def test_app_and_routes_together_is_a_usage_error(self):
        code, output = self.project.nose("--tornado-app=myapp:make_app",
                                         "--tornado-routes=routes.yaml", "test_functions.py")
        self.assertEqual(code, 2, output)
        self.assertIn("--tornado-app and --tornado-routes are both set", output)
        self.assertNotIn("Traceback", output)

    def test_no_deprecated_tornado_or_asyncio_api(self):
        for mode in ("thread", "subprocess"):
            code, output = self.project.nose(
                "--tornado-app=myapp:make_app", f"--tornado-mode={mode}",
                "test_functions.py:test_hello", python_args=["-W", "error::DeprecationWarning"],
                env={"PYTHONWARNINGS": "error::DeprecationWarning"})
            self.assertEqual(code, 0, output)
            self.assertIn("1 passed, 0 failed", output)


class ScopeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.project = Project({
            "myapp.py": APP,
            "recorder.py": RECORD_PORT,
            "test_one.py": SCOPED_TESTS.replace("{module}", "one"),
            "test_two.py": SCOPED_TESTS.replace("{module}", "two"),
            "test_declared.py": '''
                from harness.testing.web import LiveAppTestCase, fetch
                from recorder import record

                tornado_routes = "routes.yaml"     # next to this file

                def test_module_app():
                    assert fetch("/").text == "declared", fetch("/")
                    record("declared.module")

                class OwnAppTest(LiveAppTestCase):
                    tornado_app = "myapp:make_app"
                    tornado_mode = "subprocess"

                    def test_own(self):
                        self.assertEqual(self.fetch("/").json(), {"hello": "world"})
                        record("declared.Own")
            ''',
            "routes.yaml": "- [/, declared.Declared]\n",
            "declared.py": '''
                import tornado.web

                class Declared(tornado.web.RequestHandler):
                    def get(self):
                        self.write("declared")
            ''',
        })

    @classmethod
    def tearDownClass(cls):
        cls.project.remove()

    def run_scope(self, *args):
        (self.project.root / "ports.txt").unlink(missing_ok=True)
        code, output = self.project.nose("--tornado-app=myapp:make_app", *args)
        self.assertEqual(code, 0, output)
        return ports(self.project)

    def test_run_scope_shares_one_app(self):
        seen = self.run_scope("--tornado-scope=run", "test_one.py", "test_two.py")
        self.assertEqual(len(seen), 10)
        self.assertEqual(len(set(seen.values())), 1, seen)

    def test_module_scope_gives_each_module_its_app(self):
        seen = self.run_scope("--tornado-scope=module", "test_one.py", "test_two.py")
        self.assertEqual(len({seen["one.function_one"], seen["one.First.a"],
                              seen["one.Second.c"]}), 1, seen)
        self.assertNotEqual(seen["one.First.a"], seen["two.First.a"])

    def test_class_scope_gives_each_class_its_app(self):
        seen = self.run_scope("--tornado-scope=class", "test_one.py")
        self.assertEqual(seen["one.First.a"], seen["one.First.b"])
        self.assertEqual(seen["one.function_one"], seen["one.function_two"])
        self.assertEqual(len({seen["one.function_one"], seen["one.First.a"],
                              seen["one.Second.c"]}), 3, seen)

    def test_modules_and_classes_declare_their_own_apps(self):
        seen = self.run_scope("--tornado-scope=run", "test_one.py", "test_declared.py")
        self.assertNotEqual(seen["declared.module"], seen["one.First.a"])
        self.assertNotEqual(seen["declared.Own"], seen["declared.module"])

    def test_declared_apps_need_no_option(self):
        (self.project.root / "ports.txt").unlink(missing_ok=True)
        code, output = self.project.nose("--with-tornado", "test_declared.py")
        self.assertEqual(code, 0, output)
        self.assertEqual(len(ports(self.project)), 2)


class WithoutNoseTest(unittest.TestCase):
    def test_live_app_test_case_starts_its_declared_app_under_plain_unittest(self):
        project = Project({
            "myapp.py": APP,
            "test_plain.py": '''
                import unittest
                from harness.testing.web import LiveAppTestCase

                class PlainTest(LiveAppTestCase):
                    tornado_app = "myapp:make_app"

                    def test_hello(self):
                        self.assertEqual(self.fetch("/").json(), {"hello": "world"})
                        self.assertTrue(self.get_url("/x").startswith("http://127.0.0.1:"))

                if __name__ == "__main__":
                    unittest.main()
            ''',
        })
        self.addCleanup(project.remove)
        completed = subprocess.run([sys.executable, "test_plain.py"], cwd=project.root,
                                   capture_output=True, text=True, timeout=60)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        self.assertIn("Ran 1 test", completed.stderr)
