"""AmqpFixtures plugin (work in progress; replaced by its owner)."""

from nose.plugins import Plugin


class AmqpFixtures(Plugin):
    """AmqpFixtures."""

    name = "amqp-fixtures"
    score = 2000
