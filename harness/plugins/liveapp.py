"""LiveApp: serve the Tornado app under test on a free loopback port while the tests run.

The app comes from a factory (``package.module:make_app``, called with a ``harness.web.Services``
holding the run's PostgreSQL and AMQP URLs) or from a YAML route map of ``[path, dotted.Handler]``
pairs. It runs on its own loop in a thread of the nose process, or in a child process. The plugin
starts it before the first test that needs it and waits until it answers HTTP, stops it cleanly
at the end of its scope, and adds to a failing test's output the traceback of any exception a
handler raised during that test, and the requests the app served meanwhile. Tests reach it
through ``harness.testing.web`` (``fetch``, ``base_url``, ``LiveAppTestCase``).

Options (each also settable in ``setup.cfg [nosetests]`` without the dashes, or by the
environment variable in brackets):

  --with-tornado                 enable (implied by --tornado-app or --tornado-routes)
  --tornado-app=MODULE:FACTORY   the app factory                            [NOSE_TORNADO_APP]
  --tornado-routes=FILE          or a YAML route map                        [NOSE_TORNADO_ROUTES]
  --tornado-mode=thread|subprocess   where it runs (default thread)         [NOSE_TORNADO_MODE]
  --tornado-scope=run|module|class   how long one app lives (default run)   [NOSE_TORNADO_SCOPE]
  --tornado-ready-path=PATH      asked until the app answers, any status (/) [NOSE_TORNADO_READY_PATH]
  --tornado-timeout=SECONDS      how long to wait for the first answer (10) [NOSE_TORNADO_TIMEOUT]

With ``--tornado-scope=class``, each test class gets a fresh app, and the function tests of a
module share one. A test module, package or class may also declare its own app; it then runs for
that context's lifetime, whatever the scope::

    tornado_app = "examples.bank.app:make_app"   # or tornado_routes = "routes.yaml" (relative
    tornado_mode = "subprocess"                  # to the module's file); mode is optional

``tornado_mode`` alone gives a module or class its own app in that mode: the one declared around it
or given on the command line.

Example::

    nosetests --with-services --with-pg-fixtures --with-amqp-fixtures --with-tornado \\
        --tornado-app=examples.bank.app:make_app --tornado-scope=class suites/integration

The app starts after the services (score 3000) and the fixtures (2000) have prepared the test: its
factory gets the test's database (``harness.testing.pg``) and the AMQP names the fixtures declared
(``Services.name("bank.events")``). When a later test of the same scope has another database (a
template clone per test), the app is restarted against it.

A broken app is one error without a traceback, on the first test that needed it; the other tests
of its scope fail at once with a one-line pointer to it, and with ``--tornado-scope=run`` the run
stops there, since no test can pass.
"""

import dataclasses
import inspect
import os
import re
import sys
import time
from pathlib import Path

from nose.plugins import Plugin

from harness.errors import ConfigError, HarnessError
from harness.plugins import without_traceback

MODES = ("thread", "subprocess")
ATTRIBUTES = ("tornado_app", "tornado_routes", "tornado_mode")  # what a module or class declares
SCOPES = ("run", "module", "class")
RUN = "run"  # the owner key of the run-wide app
MAX_REQUESTS = 20  # access lines shown with a failure: the last ones


class LiveApp(Plugin):
    """Serve the Tornado app under test (--tornado-app or --tornado-routes) for the tests."""

    name = "tornado"
    score = 1500

    def options(self, parser, env):
        super().options(parser, env)
        parser.add_option("--tornado-app", dest="tornado_app", metavar="MODULE:FACTORY",
                          default=env.get("NOSE_TORNADO_APP"),
                          help="Serve the Application this factory returns; it receives the "
                               "run's service URLs. [NOSE_TORNADO_APP]")
        parser.add_option("--tornado-routes", dest="tornado_routes", metavar="FILE",
                          default=env.get("NOSE_TORNADO_ROUTES"),
                          help="Serve the handlers of this YAML route map, a list of "
                               "[path, dotted.Handler] pairs. [NOSE_TORNADO_ROUTES]")
        parser.add_option("--tornado-mode", dest="tornado_mode", type="choice", choices=MODES,
                          default=env.get("NOSE_TORNADO_MODE", "thread"),
                          help="Run the app on a thread of this process or in a subprocess "
                               "(default: %default). [NOSE_TORNADO_MODE]")
        parser.add_option("--tornado-scope", dest="tornado_scope", type="choice", choices=SCOPES,
                          default=env.get("NOSE_TORNADO_SCOPE", "run"),
                          help="One app for the run, or a fresh one per module or per class "
                               "(default: %default). [NOSE_TORNADO_SCOPE]")
        parser.add_option("--tornado-ready-path", dest="tornado_ready_path", metavar="PATH",
                          default=env.get("NOSE_TORNADO_READY_PATH", "/"),
                          help="The path asked until the app answers; any status counts "
                               "(default: %default). [NOSE_TORNADO_READY_PATH]")
        parser.add_option("--tornado-timeout", dest="tornado_timeout", type="float",
                          default=float(env.get("NOSE_TORNADO_TIMEOUT", 10)),
                          help="Seconds to wait for the app's first HTTP answer "
                               "(default: %default). [NOSE_TORNADO_TIMEOUT]")

    def configure(self, options, conf):
        super().configure(options, conf)
        if options.tornado_app or options.tornado_routes:
            self.enabled = True
        if not self.enabled:
            return
        from harness import web
        from harness.testing import web as testing

        self.web = web
        self.testing = testing
        self.mode = options.tornado_mode
        self.scope = options.tornado_scope
        self.timeout = options.tornado_timeout
        self.ready_path = options.tornado_ready_path
        self.default = None
        self.owners = []  # _Owner, outermost first
        self.failed = set()  # (source, mode, services) that could not start
        self.marks = {}  # id(app) -> app.mark() when the current test began
        self.base_services = None
        self.result = None
        self.verbosity = getattr(conf, "verbosity", 1)
        self.stream = sys.stderr
        testing.managed = True  # LiveAppTestCase leaves declared apps to this plugin
        if options.tornado_app and options.tornado_routes:
            _refuse(ConfigError("--tornado-app and --tornado-routes are both set",
                                fix="keep one: a factory, or a route map"))
        if options.tornado_app or options.tornado_routes:
            try:
                self.default = web.AppSource.parse(options.tornado_app, options.tornado_routes,
                                                   base_dir=os.getcwd())
            except HarnessError as error:
                _refuse(error)
            if self.scope == RUN:
                self.owners.append(_Owner(RUN, self.default, self.mode))

    def prepareTestResult(self, result):
        self.result = result

    def setOutputStream(self, stream):
        self.stream = stream

    # -- lifetimes ---------------------------------------------------------------------------------
    # startContext only notes which contexts own an app; the app starts at the first test that
    # needs it, after the fixture plugins have prepared that test's database and broker, and
    # restarts if the test's services differ (e.g. a fresh template clone per test).

    def startContext(self, context):
        if any(owner.key is context for owner in self.owners):
            return  # nose may announce a context twice
        declared = self._declared(context)
        # Under class scope a module owns an app too, for its function tests (if any use it).
        if declared is None and (self.scope != RUN and _is_plain_module(context) or
                                 self.scope == "class" and inspect.isclass(context)):
            declared = self._inherited(context)
        if declared is not None:
            self.owners.append(_Owner(context, *declared))

    def beforeTest(self, test):
        if self.owners:
            owner = self.owners[-1]
            services = self._services()
            if owner.app is None or owner.app.services != services:
                self._start(owner, services)
        self.marks = {id(app): app.mark() for app in self.testing.active()}

    def stopContext(self, context):
        for owner in [owner for owner in self.owners if owner.key is context]:
            self.owners.remove(owner)
            self._stop(owner)

    def finalize(self, result):
        for owner in reversed(self.owners):
            try:
                self._stop(owner)
            except HarnessError as error:
                self.stream.write(f"{error.render()}\n")
        self.owners = []

    # -- errors ------------------------------------------------------------------------------------

    def formatError(self, test, err):
        plain = without_traceback(err)
        return plain if plain is not err else self._attach(err)

    def formatFailure(self, test, err):
        return self._attach(err)

    def _attach(self, err):
        sections = []
        for app in self.testing.active():
            errors, requests = app.since(self.marks.get(id(app), (0, 0)))
            if errors:
                sections.append(_section(f"handler exceptions in {app.url} (tornado)",
                                         [error.text for error in errors]))
            if requests:
                sections.append(_section(f"requests to {app.url} (tornado)",
                                         requests[-MAX_REQUESTS:]))
        if not sections:
            return err
        ec, ev, tb = err
        return ec, "\n".join([str(ev), *sections]), tb

    # -- helpers -----------------------------------------------------------------------------------

    def _declared(self, context):
        """(source, mode) that a module, package or class declares for itself, or None.

        ``tornado_mode`` alone declares an app too: the one around the context, in that mode.
        """
        if inspect.isclass(context):
            # getattr: a subclass inherits its bases' declaration (and gets its own app).
            attrs = {name: getattr(context, name, None) for name in ATTRIBUTES}
            base_dir = Path(inspect.getfile(context)).parent
        elif inspect.ismodule(context):
            attrs = {name: vars(context).get(name) for name in ATTRIBUTES}
            base_dir = Path(getattr(context, "__file__", None) or ".").parent
        else:
            return None
        mode = attrs["tornado_mode"]
        if mode not in (None, *MODES):
            raise ConfigError(f"{_name(context)}.tornado_mode is {mode!r}",
                              fix="use " + " or ".join(repr(mode) for mode in MODES),
                              **_where(context, "tornado_mode"))
        if attrs["tornado_app"] or attrs["tornado_routes"]:
            try:
                source = self.web.AppSource.parse(attrs["tornado_app"], attrs["tornado_routes"],
                                                  base_dir=base_dir)
            except HarnessError as error:
                name = "tornado_app" if attrs["tornado_app"] else "tornado_routes"
                # The declaration is the user's line to fix; a missing routes file is named too.
                detail = f"{error.where}: {error.message}" if error.file else error.message
                raise ConfigError(f"{_name(context)}.{name} is not usable: {detail}",
                                  fix=error.fix, **_where(context, name)) from None
            return source, mode or self.mode
        if mode is not None:
            around = self._inherited(context)
            if around is None:
                raise ConfigError(f"{_name(context)} sets tornado_mode but no app is declared "
                                  "around it", fix="set tornado_app (or tornado_routes) too, or "
                                                   "pass --tornado-app")
            return around[0], mode
        return None

    def _inherited(self, context):
        """The nearest declaration around ``context`` (its module, then its packages), or the
        command line's app; None when there is none."""
        if inspect.isclass(context):
            name = context.__module__
        elif inspect.ismodule(context):
            name = context.__name__.rpartition(".")[0]
        else:
            name = ""
        while name:
            module = sys.modules.get(name)
            declared = self._declared(module) if module is not None else None
            if declared is not None:
                return declared
            name = name.rpartition(".")[0]
        return (self.default, self.mode) if self.default else None

    def _services(self):
        """What the app factory receives for the coming test.

        The database is the test's own when pg-fixtures prepared one (``harness.testing.pg``);
        the AMQP names are those the amqp-fixtures declared, scoped for this run.
        """
        if self.base_services is None:
            self.base_services = self.web.Services.from_config()
        values = {}
        pg = sys.modules.get("harness.testing.pg")
        if pg is not None and pg.current is not None:
            values["pg_url"] = pg.current.url
        mq = sys.modules.get("harness.testing.amqp")
        if mq is not None and mq.active():
            names = {}
            for loaded in mq.active():
                names.update(loaded.exchanges)
                names.update(loaded.queues)
            values["names"] = names
            values["amqp_url"] = mq.active()[-1].broker.url
        return dataclasses.replace(self.base_services, **values)

    def _start(self, owner, services):
        restarting = owner.app is not None
        self._stop(owner)
        key = (owner.source, owner.mode, services.to_json())
        if key in self.failed:
            raise self.web.WebError(f"the app {owner.source.describe()} could not start "
                                    "(the first error says why)")
        started = time.perf_counter()
        try:
            owner.app = self.web.MODES[owner.mode](owner.source, services, timeout=self.timeout,
                                                   ready_path=self.ready_path).start()
        except HarnessError as error:
            self.failed.add(key)
            if error.file is None and owner.key != RUN:
                # A factory that cannot be imported or built: point at the declaring line.
                name = "tornado_app" if getattr(owner.key, "tornado_app", None) else "tornado_routes"
                where = _where(owner.key, name)
                if "line" in where:  # declared right there, not inherited from around it
                    error.file, error.line = where["file"], where["line"]
            if owner.key == RUN and self.result is not None:
                self.result.shouldStop = True  # every test would fail the same way
            raise error from None
        self.testing.push(owner.key, owner.app)
        if self.verbosity >= 2:
            took = 1000 * (time.perf_counter() - started)
            why = ", restarted: this test has other services" if restarting else ""
            self.stream.write(f"tornado: {owner.source.describe()} at {owner.app.url} "
                              f"({owner.mode}, for {_name(owner.key)}{why}, "
                              f"ready in {took:.0f} ms)\n")

    def _stop(self, owner):
        if owner.app is not None:
            app, owner.app = owner.app, None
            self.testing.pop(owner.key)
            app.stop()


class _Owner:
    """A context (or the run) that has an app of its own, started when a test first needs it."""

    def __init__(self, key, source, mode):
        self.key = key
        self.source = source
        self.mode = mode
        self.app = None


def _section(title, lines):
    rule = "-" * 20
    return "\n".join([f"{rule} >> {title} << {rule}", *lines, f"{rule} >> end {title} << {rule}"])


def _is_plain_module(context):
    return inspect.ismodule(context) and not hasattr(context, "__path__")


def _where(context, attribute):
    """file= and line= of the assignment to ``attribute`` in a module's or class's source."""
    try:
        lines, first = inspect.getsourcelines(context)
        file = inspect.getsourcefile(context)
    except (OSError, TypeError):
        return {}
    indent = "" if inspect.ismodule(context) else r"\s+"  # a module's own, not a class's
    pattern = re.compile(rf"{indent}{attribute}\s*[:=]")
    for number, text in enumerate(lines, max(first, 1)):
        if pattern.match(text):
            return {"file": file, "line": number}
    return {"file": file}  # inherited from a base class, or set programmatically


def _name(context):
    if context == RUN:
        return "the run"
    return getattr(context, "__qualname__", None) or getattr(context, "__name__", repr(context))


def _refuse(error):
    """Stop before the run starts: a bad option is the user's mistake, not a crash."""
    sys.stderr.write(f"nosetests: {error.render()}\n")
    sys.exit(2)
