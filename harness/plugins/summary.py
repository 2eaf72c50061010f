"""Summary: print ``N passed, N failed, N skipped`` on its own line at the end of a run.

CI logs are read at a glance, and log scrapers look for one plain line. Errors count as failed,
and so do error classes that nose marks as failures; skips (and other non-failing error classes
such as DEPRECATED) count as skipped.

Enable it with ``--with-summary`` or in ``setup.cfg``::

    [nosetests]
    with-summary = 1

Example output, after nose's own ``Ran 12 tests`` block::

    10 passed, 1 failed, 1 skipped
"""

import sys

from nose.plugins import Plugin


def counts(result):
    """Return (passed, failed, skipped) for a nose or unittest result."""
    failed = len(result.failures) + len(result.errors)
    failed += len(getattr(result, "unexpectedSuccesses", ()))
    skipped = 0
    for storage, _label, isfail in getattr(result, "errorClasses", {}).values():
        if isfail:
            failed += len(storage)
        else:
            skipped += len(storage)
    if not getattr(result, "errorClasses", None):
        skipped += len(getattr(result, "skipped", ()))
    passed = max(result.testsRun - failed - skipped, 0)
    return passed, failed, skipped


class Summary(Plugin):
    """Print 'N passed, N failed, N skipped' on its own line at the end of the run."""

    name = "summary"
    score = 10

    def finalize(self, result):
        passed, failed, skipped = counts(result)
        stream = getattr(self, "stream", None) or sys.stderr
        stream.write(f"\n{passed} passed, {failed} failed, {skipped} skipped\n")
        stream.flush()

    def setOutputStream(self, stream):
        self.stream = stream
