"""Services: a real PostgreSQL and RabbitMQ for the test run, as ``HARNESS_PG_URL``/``HARNESS_AMQP_URL``.

Enable it with ``--with-services``. Before any test module is imported, it puts into
``os.environ``:

- ``HARNESS_PG_URL``   a PostgreSQL superuser URL (create databases freely);
- ``HARNESS_AMQP_URL`` an AMQP URL whose user may declare exchanges and queues;

and it stops every server it started at the end of the run, after every other plugin's
``finalize()`` (fixture and app plugins clean up on the servers first). Other plugins and tests
read the URLs with ``harness.config.pg_url()`` / ``amqp_url()``. A run killed by SIGTERM (a CI
timeout) stops its servers too; after SIGKILL, the next run cleans them up.

Where the servers come from (``--services-mode``, or ``HARNESS_SERVICES_MODE``, or
``services_mode`` in ``setup.cfg [harness]``):

- ``auto`` (default): a configured URL (``--pg-url``/``--amqp-url``, ``setup.cfg [harness]``
  ``pg_url``/``amqp_url``, ``HARNESS_PG_URL``/``DATABASE_URL``/``PG*``,
  ``HARNESS_AMQP_URL``/``AMQP_URL``) is checked and used; else the instances that
  ``harness services up`` left running are reused; else private instances are started for this
  run (PostgreSQL in well under a second with the initdb cache; RabbitMQ in a few seconds);
- ``external``: configured URLs only; a missing or unreachable one stops the run with the reason;
- ``private``: always the harness's own instances (reused from ``harness services up``, or started).

``--services=postgres`` (or ``HARNESS_SERVICES``, or ``services`` in ``[harness]``) limits the run
to one of them, so a suite without AMQP does not pay for a RabbitMQ boot.

Example::

    $ nosetests --with-services --services-mode=private suites/integration
    services: PostgreSQL 15.20 private on 127.0.0.1:40213 (0.3 s); RabbitMQ 3.10.8 private on
    127.0.0.1:44027 (5.8 s)

    $ harness services up            # once: keep both running for many runs
    $ nosetests --with-services      # reuses them: no boot at all

With ``-v`` (verbosity 2 and more) each start-up step is printed with its duration. An unreachable
URL, missing binaries or a server that fails to start end the run before any test, with one message
(host and port tried, password masked, the log tail, the install command) and exit status 2.
"""

import atexit
import os
import signal
import sys
import threading
import time

from nose.plugins import Plugin

from harness import config
from harness.errors import HarnessError
from harness.services import lifecycle
from harness.services.progress import Progress, printer
from harness.urls import mask


class Services(Plugin):
    """Provide PostgreSQL and RabbitMQ for the run (HARNESS_PG_URL, HARNESS_AMQP_URL)."""

    name = "services"
    score = 3000

    def options(self, parser, env):
        super().options(parser, env)
        parser.add_option(
            "--services-mode", dest="services_mode", default=None, metavar="MODE",
            choices=lifecycle.MODES,
            help="auto (configured URLs, else `harness services up` instances, else private "
                 "ones), external (configured URLs only) or private [HARNESS_SERVICES_MODE]")
        parser.add_option(
            "--services", dest="services_kinds", default=None, metavar="LIST",
            help="which servers the run needs: postgres, rabbitmq or both (default) "
                 "[HARNESS_SERVICES]")
        parser.add_option("--pg-url", dest="pg_url", default=None, metavar="URL",
                          help="external PostgreSQL for the run [HARNESS_PG_URL, DATABASE_URL]")
        parser.add_option("--amqp-url", dest="amqp_url", default=None, metavar="URL",
                          help="external RabbitMQ for the run [HARNESS_AMQP_URL, AMQP_URL]")

    def configure(self, options, conf):
        super().configure(options, conf)
        if not self.enabled:
            return
        self.verbosity = getattr(conf, "verbosity", 1)
        self.pg_url = options.pg_url
        self.amqp_url = options.amqp_url
        self.session = None
        self._old_sigterm = None
        mode = config.lookup("services_mode", explicit=options.services_mode,
                             option="--services-mode", env_names=("HARNESS_SERVICES_MODE",))
        kinds = config.lookup("services", explicit=options.services_kinds, option="--services",
                              env_names=("HARNESS_SERVICES",))
        self.mode = mode.value.strip() if mode else "auto"
        if self.mode not in lifecycle.MODES:
            self._fail(HarnessError(f"unknown services mode '{self.mode}' ({mode.source})",
                                    fix="use auto, external or private"))
        try:
            self.kinds = lifecycle.parse_kinds(kinds.value if kinds else None)
        except HarnessError as error:
            error.message += f" ({kinds.source})"
            self._fail(error)

    def begin(self):
        progress = Progress(printer(sys.stderr) if self.verbosity >= 2 else None)
        start = time.perf_counter()
        try:
            self.session = lifecycle.provide(
                mode=self.mode, kinds=self.kinds, pg_url=self.pg_url, amqp_url=self.amqp_url,
                progress=progress)
        except HarnessError as error:
            self._fail(error)
        for record, reason in self.session.stale:
            sys.stderr.write(f"services: cleaned stale {record.kind} {record.id}: {reason}\n")
        self.session.export(os.environ)
        atexit.register(self.session.release)
        self._handle_sigterm()
        self._stops_last = self._stop_after_other_plugins()
        if self.session.started or self.verbosity >= 2:
            sys.stderr.write(self._describe(time.perf_counter() - start) + "\n")

    def _describe(self, seconds):
        parts = []
        for kind, record in self.session.records.items():
            if record.external:
                how = f"external {mask(record.url)} (from {record.source})"
            elif record in self.session.started:
                how = f"private on 127.0.0.1:{record.port}"
            else:
                how = f"reused from `harness services up` on 127.0.0.1:{record.port}"
            parts.append(f"{record.version or lifecycle.LABELS[kind]} {how}")
        return f"services: {'; '.join(parts)} ({seconds:.1f} s)"

    def _handle_sigterm(self):
        # a CI timeout sends SIGTERM: stop our servers, then die of SIGTERM as we would have
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return

        def on_sigterm(signum, frame):
            self.session.release()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

        self._old_sigterm = signal.signal(signal.SIGTERM, on_sigterm)

    def _stop_after_other_plugins(self):
        # nose finalizes plugins by descending score, so this one (3000) would stop the servers
        # before the fixture and app plugins (2000, 1500) clean up on them: a helper appended
        # to the enabled plugins after sorting finalizes last instead
        try:
            self.conf.plugins.addPlugin(_StopServers(self))
        except (AttributeError, NotImplementedError):
            return False
        return True

    def finalize(self, result):
        if not getattr(self, "_stops_last", False):
            self.stop()

    def stop(self):
        """Stop the servers this run started, restore the environment and SIGTERM handling."""
        if self.session is not None:
            self.session.release()
        if self._old_sigterm is not None and \
                threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None

    @staticmethod
    def _fail(error):
        sys.stderr.write(f"harness services: {error.render()}\n")
        sys.stderr.flush()
        raise SystemExit(2)


class _StopServers:
    """Stops the run's servers once every other plugin has finalized."""

    name = "services-stop"
    score = -(10 ** 6)
    enabled = True

    def __init__(self, services):
        self.services = services

    def finalize(self, result):
        self.services.stop()
