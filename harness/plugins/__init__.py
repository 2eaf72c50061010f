"""nose plugins. Each one holds options and hooks only; the work lives in the core modules.

Scores order the hooks: services (3000) start before fixtures (2000) load, and fixtures load before
the live app (1500) starts. The summary line (10) prints last.
"""


def without_traceback(err):
    """nose's ``formatError`` hook result for a user's mistake: its message, not our traceback.

    A ``HarnessError`` already says where the problem is and how to fix it; anything else is
    passed through unchanged (nose hands each plugin's result to the next one).
    """
    from harness.errors import HarnessError

    kind, value, _traceback = err
    if isinstance(value, HarnessError):
        return kind, value, None
    return err
