"""The summary line counts errors as failures and non-failing error classes as skips."""

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
