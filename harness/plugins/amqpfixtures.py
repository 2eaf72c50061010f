"""AMQP fixtures: load YAML fixtures into RabbitMQ around the test modules and classes that ask.

Enable it with ``--with-amqp-fixtures`` (or ``with-amqp-fixtures = 1`` in ``[nosetests]``). A test
module or class lists its fixture files; they are looked up next to the module, then in the
project's ``fixtures/`` directory (``--amqp-fixtures-dir``)::

    from harness.testing import amqp as mq

    amqp_fixtures = ["bank_events.yaml"]

    def test_audit_sees_the_fixture_event():
        mq.assert_received("audit", routing_key="transfer.created")

Before the first test of the context the exchanges, queues and bindings are declared (under names
scoped to this run and worker) and the messages published with confirms. Before each further test
the declared queues are purged and the messages published again; ``amqp_fixtures_reset =
"context"`` on the module or class keeps the state between its tests instead. After the context
everything it declared is deleted over AMQP.

The broker is the one ``harness.config.amqp_url()`` resolves: the private RabbitMQ of
``--with-services`` (it exports ``HARNESS_AMQP_URL``), or ``HARNESS_AMQP_URL`` / ``AMQP_URL`` /
``amqp_url`` in ``setup.cfg [harness]``. ``--amqp-timeout`` bounds every wait for the broker.

The format of the files is in docs/fixtures.md; the test API in ``harness.testing.amqp``.
"""

import inspect
import multiprocessing.util
import os
import re
import secrets
import sys

from nose.plugins import Plugin

from harness.errors import FixtureError
from harness.plugins import without_traceback

RESET_MODES = ("test", "context")


class AmqpFixtures(Plugin):
    """Load AMQP fixtures (exchanges, queues, bindings, messages) for test modules and classes."""

    name = "amqp-fixtures"
    score = 2000

    def options(self, parser, env):
        super().options(parser, env)
        parser.add_option("--amqp-fixtures-dir", dest="amqp_fixtures_dir",
                          default=env.get("NOSE_AMQP_FIXTURES_DIR", "fixtures"), metavar="DIR",
                          help="Where fixture files not found next to the test module are looked "
                               "up (default: fixtures) [NOSE_AMQP_FIXTURES_DIR]")
        parser.add_option("--amqp-timeout", dest="amqp_timeout", type="float",
                          default=float(env.get("NOSE_AMQP_TIMEOUT", 10)), metavar="SECONDS",
                          help="Longest wait for the AMQP broker, per operation (default: 10) "
                               "[NOSE_AMQP_TIMEOUT]")

    def configure(self, options, conf):
        super().configure(options, conf)
        if not self.enabled:
            return
        # One run id for the whole run, inherited by worker processes (names: <name>@nh-<run>-<worker>).
        os.environ.setdefault("HARNESS_RUN_ID", secrets.token_hex(3))
        self.fixtures_dir = options.amqp_fixtures_dir
        self.timeout = options.amqp_timeout
        self.broker = None
        self.unreachable = None
        self.contexts = {}  # context -> (Loaded, reset mode)
        self.fresh = set()  # Loaded sets not touched by a test since they were loaded or reset

    def _broker(self):
        if self.unreachable is not None:
            raise self.unreachable  # once is enough: later contexts fail at once, not after a timeout
        if self.broker is None:
            from harness.fixtures.amqp import Broker
            from harness.testing import amqp as api

            broker = Broker.from_config(timeout=self.timeout, connect_timeout=min(self.timeout, 5.0))
            try:
                broker.connection  # noqa: B018 - connect now, to fail early and once
            except FixtureError as error:
                self.unreachable = error
                raise
            self.broker = broker
            api.use_broker(broker)
            # nose's --processes workers end without finalize(), and there a context whose child
            # context failed to load is never stopped: multiprocessing runs this before the worker
            # exits (and at the main process's exit), so nothing is left on the broker.
            multiprocessing.util.Finalize(self, self._release, exitpriority=10)
        return self.broker

    def startContext(self, context):
        files = getattr(context, "amqp_fixtures", None)
        if not files or context in self.contexts:
            return
        from harness.testing import amqp as api

        if isinstance(files, (str, os.PathLike)):
            files = [files]
        mode = getattr(context, "amqp_fixtures_reset", "test")
        if mode not in RESET_MODES:
            file, line = _where(context, "amqp_fixtures_reset")
            raise FixtureError(f"amqp_fixtures_reset of {context.__name__} must be one of "
                               f"{', '.join(RESET_MODES)}, not {mode!r}", file=file, line=line,
                               fix='"test" (the default) resets before each test; "context" '
                                   "keeps the broker state between the tests")
        paths = [self._resolve(context, file) for file in files]
        loaded = self._broker().load_files(paths, outer=api.active())
        api.activate(loaded)
        self.contexts[context] = (loaded, mode)
        self.fresh.add(loaded)

    def stopContext(self, context):
        entry = self.contexts.pop(context, None)
        if entry is None:
            return
        from harness.testing import amqp as api

        loaded = entry[0]
        api.deactivate(loaded)
        self.fresh.discard(loaded)
        loaded.cleanup()

    def beforeTest(self, test):
        # Outermost first. Once a set is reset, the sets inside it are reset too: their messages
        # may have been routed into the outer set's queues, which were just purged.
        resetting = False
        for loaded, mode in list(self.contexts.values()):
            if mode != "test":
                continue
            resetting = resetting or loaded not in self.fresh
            if resetting:
                loaded.reset()
        self.fresh.clear()

    def formatError(self, test, err):
        return without_traceback(err)

    def finalize(self, result):
        self._release()

    def _release(self):
        """Delete what contexts nose never stopped (innermost first), then close the connection."""
        from harness.testing import amqp as api

        for context in reversed(list(self.contexts)):
            loaded = self.contexts.pop(context)[0]
            api.deactivate(loaded)
            loaded.cleanup(quiet=True)
        if self.broker is not None:
            self.broker.close()

    def _resolve(self, context, file):
        if os.path.isabs(file):
            return file
        module = sys.modules.get(getattr(context, "__module__", None) or "") \
            if isinstance(context, type) else context
        candidates = []
        if getattr(module, "__file__", None):
            candidates.append(os.path.join(os.path.dirname(module.__file__), file))
        candidates.append(os.path.join(self.fixtures_dir, file))
        for candidate in candidates:
            if os.path.isfile(candidate):
                relative = os.path.relpath(candidate)  # shorter in error messages
                return candidate if relative.startswith("..") else relative
        where, line = _where(context, "amqp_fixtures")
        raise FixtureError(f"AMQP fixture file {file!r} of {context.__name__} not found",
                           file=where, line=line, detail="looked in:\n" + "\n".join(candidates),
                           fix="fix the name in amqp_fixtures, or set --amqp-fixtures-dir")


def _where(context, attribute):
    """The file and line where a test module or class sets ``attribute`` (best effort)."""
    try:
        lines, start = inspect.getsourcelines(context)
        file = os.path.relpath(inspect.getsourcefile(context))
    except (OSError, TypeError):
        return None, None
    start = max(start, 1)
    assignment = re.compile(rf"\s*{attribute}\s*=")
    for number, text in enumerate(lines, start):
        if assignment.match(text):
            return file, number
    return file, None
