"""harness.argv.Guard without nose: who reads sys.argv while a module is imported; SystemExit."""

import contextlib
import importlib
import io
import sys
import unittest

from harness.argv import ForeignExit, Guard, read_events
from suites.options import projects


def tearDownModule():
    projects.cleanup()


class GuardTest(unittest.TestCase):
    def setUp(self):
        self.saved_argv = sys.argv
        sys.argv = ["nosetests", "-x", "-v"]
        self.events = []

    def tearDown(self):
        sys.argv = self.saved_argv
        for name in [n for n in sys.modules if n.startswith("nhguard_")]:
            del sys.modules[name]

    def load(self, name, source, guard):
        root = projects.make({f"{name}.py": source})
        sys.path.insert(0, str(root))
        try:
            with contextlib.redirect_stderr(io.StringIO()), guard.importing(
                    str(root / f"{name}.py")):
                return importlib.import_module(name)
        finally:
            sys.path.remove(str(root))

    def test_optparse_parse_is_located_at_the_calling_line(self):
        guard = Guard(on_event=self.events.append)
        with self.assertRaises(SystemExit):
            self.load("nhguard_opt", projects.OPTPARSE_HELPER, guard)
        parse, exit_ = self.events
        self.assertEqual((parse.kind, parse.api, parse.line), ("parse", "optparse", 5))
        self.assertTrue(parse.file.endswith("nhguard_opt.py"))
        self.assertEqual(parse.code, "options, args = parser.parse_args()")
        self.assertEqual(parse.argv, ["-x", "-v"])
        self.assertEqual((exit_.kind, exit_.api, exit_.line, exit_.exit_code),
                         ("exit", "optparse", 5, 2))

    def test_argparse_and_getopt_are_named(self):
        guard = Guard(on_event=self.events.append)
        with self.assertRaises(SystemExit):
            self.load("nhguard_arg", projects.ARGPARSE_HELPER, guard)
        self.assertEqual([e.api for e in self.events], ["argparse", "argparse"])
        self.load("nhguard_getopt",
                  "import getopt, sys\nopts = getopt.getopt(sys.argv[1:], 'xv')\n", guard)
        self.assertEqual(self.events[-1].api, "sys.argv")  # the slice is taken in user code
        self.assertEqual(self.events[-1].kind, "read")

    def test_unittest_main_is_named_and_isolation_turns_its_exit_into_an_error(self):
        guard = Guard(isolate=True, on_event=self.events.append)
        with self.assertRaises(ForeignExit) as caught:
            self.load("nhguard_um", projects.UNITTEST_MAIN, guard)
        exit_ = caught.exception.event
        self.assertEqual((exit_.api, exit_.line, exit_.isolated), ("unittest.main()", 7, True))
        self.assertIn("unittest.main() only under", str(caught.exception))

    def test_unittest_main_rejecting_nose_arguments_is_named_not_its_argparse(self):
        guard = Guard(on_event=self.events.append)
        with self.assertRaises(SystemExit):
            self.load("nhguard_umx", projects.UNITTEST_MAIN, guard)
        self.assertEqual([(e.kind, e.api, e.line) for e in self.events],
                         [("parse", "unittest.main()", 7), ("exit", "unittest.main()", 7)])
        self.assertEqual(self.events[-1].exit_code, 2)  # argparse refused -x

    def test_isolation_hides_nose_arguments_and_restores_them(self):
        original = sys.argv
        guard = Guard(isolate=True, on_event=self.events.append)
        module = self.load("nhguard_iso", projects.OPTPARSE_HELPER, guard)
        self.assertEqual(module.args, [])
        self.assertIs(sys.argv, original)
        self.assertEqual(sys.argv, ["nosetests", "-x", "-v"])
        self.assertEqual(self.events[0].isolated, True)

    def test_plain_reads_are_recorded_but_argv0_is_not_a_read(self):
        guard = Guard(on_event=self.events.append)
        self.load("nhguard_zero", "import os, sys\nNAME = os.path.basename(sys.argv[0])\n", guard)
        self.assertEqual(self.events, [])
        self.load("nhguard_in", "import sys\nSLOW = '--slow' in sys.argv\n", guard)
        self.assertEqual([(e.kind, e.line) for e in self.events], [("read", 2)])

    def test_exit_without_parser_and_events_file(self):
        path = projects.make({"events.jsonl": ""}) / "events.jsonl"
        guard = Guard(events_path=str(path))
        guard.start()
        with self.assertRaises(SystemExit):
            self.load("nhguard_exit", projects.EXIT_AT_IMPORT, guard)
        armed, events = read_events(path)
        self.assertEqual(armed["argv"], ["-x", "-v"])
        self.assertEqual([(e.kind, e.api, e.line, e.exit_code) for e in events],
                         [("exit", "sys.exit", 3, 0)])

    def test_nothing_happens_outside_an_import(self):
        guard = Guard(on_event=self.events.append)
        with guard.importing("x.py"):
            pass
        self.assertEqual(sys.argv[1:], ["-x", "-v"])
        self.assertIs(type(sys.argv), list)
        self.assertEqual(self.events, [])
