"""ArgvGuard plugin (work in progress; replaced by its owner)."""

from nose.plugins import Plugin


class ArgvGuard(Plugin):
    """ArgvGuard."""

    name = "argv-guard"
    score = 5000
