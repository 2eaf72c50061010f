"""nose-harness: why is my nose run broken, and real servers with loaded data for the ones that work.

Map of the package (data flows one way: config -> services -> fixtures -> tests -> report):

- ``config``     settings from options, ``setup.cfg [harness]`` and the environment
- ``services``   where PostgreSQL and RabbitMQ come from (external URL or private instance)
- ``fixtures``   YAML fixtures into PostgreSQL and AMQP brokers
- ``web``        the live Tornado app under test
- ``doctor``     why a nose install is broken (probes run in the target interpreter)
- ``argv``       foreign ``sys.argv`` parsers met during collection
- ``testing``    what tests import: connections, brokers, the live app
- ``plugins``    nose plugins: options and hooks only, calling the modules above
- ``commands``   the ``harness`` subcommands, parsed by ``cli``
"""

__version__ = "0.1.0"
