"""PgFixtures plugin (work in progress; replaced by its owner)."""

from nose.plugins import Plugin


class PgFixtures(Plugin):
    """PgFixtures."""

    name = "pg-fixtures"
    score = 2000
