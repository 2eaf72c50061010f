"""The summary line counts errors as failures and non-failing error classes as skips, and ends
every run on its own line."""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from nose.plugins.skip import SkipTest

from harness.plugins.summary import counts


class Result:
    def __init__(self, run, failures=0, errors=0, skipped=0, deprecated=0):
        self.testsRun = run
        self.failures = [None] * failures
        self.errors = [None] * errors
        self.errorClasses = {
            SkipTest: ([None] * skipped, "SKIP", False),
            DeprecationWarning: ([None] * deprecated, "DEPRECATED", False),
        }


class CountsTest(unittest.TestCase):
    def test_errors_count_as_failed(self):
        self.assertEqual(counts(Result(10, failures=1, errors=2)), (7, 3, 0))

    def test_skips_and_deprecated_count_as_skipped(self):
        self.assertEqual(counts(Result(5, skipped=1, deprecated=1)), (3, 0, 2))

    def test_failing_error_class_counts_as_failed(self):
        result = Result(4)
        result.errorClasses[KeyError] = ([None], "TODO", True)
        self.assertEqual(counts(result), (3, 1, 0))

    def test_plain_unittest_result(self):
        result = unittest.TestResult()
        result.testsRun = 3
        result.skipped = [(None, "why")]
        self.assertEqual(counts(result), (2, 0, 1))


class SummaryLineInARunTest(unittest.TestCase):
    """A real nosetests run: the line is the last one, alone, and errors count as failed."""

    def run_nose(self, files):
        with tempfile.TemporaryDirectory(prefix="nh-summary-") as project:
            for name, text in files.items():
                with open(os.path.join(project, name), "w", encoding="utf-8") as handle:
                    handle.write(textwrap.dedent(text))
            nosetests = os.path.join(os.path.dirname(sys.executable), "nosetests")
            result = subprocess.run([nosetests, "--with-summary"], cwd=project,
                                    capture_output=True, text=True, timeout=120)
        return result, result.stderr.rstrip("\n").splitlines()[-1]

    def test_pass_fail_error_and_skip(self):
        result, last = self.run_nose({"test_mixed.py": """
            import unittest

            def test_pass():
                pass

            def test_fail():
                assert False

            def test_error():
                raise RuntimeError("boom")

            def test_skip():
                raise unittest.SkipTest("not here")
        """})
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(last, "1 passed, 2 failed, 1 skipped", result.stderr)

    def test_a_module_that_cannot_be_imported_counts_as_failed(self):
        result, last = self.run_nose({
            "test_ok.py": "def test_ok():\n    pass\n",
            "test_broken.py": "import no_such_module_nh\n",
        })
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(last, "1 passed, 1 failed, 0 skipped", result.stderr)

    def test_an_error_in_a_class_fixture_counts_as_failed(self):
        result, last = self.run_nose({"test_fixture.py": """
            import unittest

            class Broken(unittest.TestCase):
                @classmethod
                def setUpClass(cls):
                    raise RuntimeError("no database")

                def test_never_runs(self):
                    pass
        """})
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(last, "0 passed, 1 failed, 0 skipped", result.stderr)

    def test_an_all_green_run(self):
        result, last = self.run_nose({"test_green.py": "def test_a():\n    pass\n"})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(last, "1 passed, 0 failed, 0 skipped", result.stderr)
