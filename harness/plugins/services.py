"""Services plugin (work in progress; replaced by its owner)."""

from nose.plugins import Plugin


class Services(Plugin):
    """Services."""

    name = "services"
    score = 3000
