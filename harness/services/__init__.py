"""Where servers come from: an external URL, or a private instance started from local binaries.

The contract with the rest of the harness is two environment variables. For the length of a test
run (from its ``begin()``, before any test module is imported, until after every other plugin's
``finalize()``), the services plugin (``nosetests --with-services``) puts into ``os.environ``:

- ``HARNESS_PG_URL``   ``postgresql://user[:password]@127.0.0.1:PORT/postgres``, a superuser on
  which the harness may create databases;
- ``HARNESS_AMQP_URL`` ``amqp://user:password@127.0.0.1:PORT/`` (vhost ``/``), a user that may
  create vhosts, exchanges and queues.

Fixture and web code reads them through ``harness.config.pg_url()`` / ``amqp_url()`` and never
imports this package. Outside nose, ``eval "$(harness services env)"`` exports the same variables
from the instances that ``harness services up`` left running.

Where a URL comes from (``lifecycle.provide``), in ``auto`` mode:

1. a configured URL (option, ``setup.cfg [harness]``, ``HARNESS_PG_URL``/``DATABASE_URL``/``PG*``,
   ``HARNESS_AMQP_URL``/``AMQP_URL``): checked with a short timeout, used as is;
2. a healthy instance that ``harness services up`` recorded in the state file: reused;
3. otherwise a private instance started for this run and stopped when it ends.

``external`` mode allows only 1; ``private`` mode skips 1.

Modules, one concept each:

- ``binaries``  finding ``initdb``/``pg_ctl``/``rabbitmq-server``/``epmd``, and the install hint;
- ``external``  reachability checks of URLs (short timeout, password masked);
- ``process``   pids, ownership checks, stopping, running as an unprivileged user;
- ``ports``     free loopback ports;
- ``postgres``  the private cluster executor (cached initdb template, pg_ctl, loopback, fsync off);
- ``rabbitmq``  the private node executor (own node name, epmd, ports, HOME, config, plugins file);
- ``state``     the state file (0600, locked): records, stale detection, cleanup, and the sweep
  of instance directories left by runs that were killed;
- ``progress``  timed steps, printed by ``harness services up`` and ``-v`` runs;
- ``lifecycle`` the policy above: provide, reuse, release, and ``up``/``down``/``status``.

Instances live in ``/dev/shm`` when it has room (else the temp dir; ``HARNESS_RUN_DIR``
overrides); the PostgreSQL initdb template cache in ``~/.cache/nose-harness``
(``HARNESS_CACHE_DIR``); the state file in ``.harness/`` of the project (``state_dir``).
Other knobs: ``HARNESS_PG_BINDIR``, ``HARNESS_RABBITMQ_SERVER`` (which binaries),
``HARNESS_PG_OS_USER`` (the account PostgreSQL runs as under root).

Example, without nose::

    from harness.services import lifecycle
    session = lifecycle.provide(mode="auto")          # {"postgres": ..., "rabbitmq": ...}
    print(session.urls["postgres"])                  # postgresql://postgres@127.0.0.1:41234/postgres
    session.release()                                # stops what this session started

Everything here raises ``harness.errors.ServiceError`` for problems a user can fix (missing
binaries, a server that fails to start, an unreachable URL); its ``render()`` never contains a
password.
"""
