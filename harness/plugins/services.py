"""Services: a real PostgreSQL and RabbitMQ for the test run, as ``HARNESS_PG_URL``/``HARNESS_AMQP_URL``.

Enable it with ``--with-services``. Before any test module is imported, it puts into
``os.environ``:

- ``HARNESS_PG_URL``   a PostgreSQL superuser URL (create databases freely);
- ``HARNESS_AMQP_URL`` an AMQP URL whose user may declare exchanges and queues;

and it stops, at the end of the run, every server it started. Other plugins and tests read the URLs
with ``harness.config.pg_url()`` / ``amqp_url()``.

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
        try:
            self.mode = self._setting(options.services_mode, "services_mode",
                                      "HARNESS_SERVICES_MODE") or "auto"
            if self.mode not in lifecycle.MODES:
                raise HarnessError(f"unknown services mode '{self.mode}'",
                                   fix="use auto, external or private")
            self.kinds = lifecycle.parse_kinds(
                self._setting(options.services_kinds, "services", "HARNESS_SERVICES"))
        except HarnessError as error:
            self._fail(error)

    @staticmethod
    def _setting(explicit, key, env_name):
        found = config.lookup(key, explicit=explicit, env_names=(env_name,))
        return found.value if found else None

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

    def finalize(self, result):
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
