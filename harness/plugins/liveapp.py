"""LiveApp plugin (work in progress; replaced by its owner)."""

from nose.plugins import Plugin


class LiveApp(Plugin):
    """LiveApp."""

    name = "tornado"
    score = 1500
