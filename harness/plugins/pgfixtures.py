"""pg-fixtures: load YAML fixtures into a real PostgreSQL database, isolated per test.

A test module (or class, or package) declares what it needs; the fixtures are loaded once for that
context, and each test gets a clean copy through the chosen isolation mode::

    from harness.testing import pg

    pg_fixtures = ["accounts.yaml", "transfers.yaml"]   # next to the module, or in pg_fixtures_dir
    pg_isolation = "rollback"                           # optional: rollback, template or reload

    def test_balance():
        assert pg.row("alice")["balance"] == 1000

Enable it with ``--with-pg-fixtures``. The server comes from ``harness.config.pg_url()``: the
services plugin's ``HARNESS_PG_URL``, or ``pg_url`` in ``setup.cfg [harness]``, or
``DATABASE_URL`` / ``PG*``. The harness creates a database per run (``harness_run_<pid>_<random>``)
and drops it, and everything cloned from it, at the end. Settings, as options or in ``setup.cfg``::

    [harness]
    pg_fixtures_isolation = rollback        # --pg-fixtures-isolation: rollback | template | reload
    pg_fixtures_schema = fixtures/bank_schema.sql   # --pg-fixtures-schema: applied once per run
    pg_fixtures_dir = fixtures              # --pg-fixtures-dir: where fixture names are looked up
    pg_fixtures_clone_per = test            # --pg-fixtures-clone-per: test | context (template mode)
    pg_fixtures_database = myapp_test       # --pg-fixtures-database: use this database instead
    pg_fixtures_allow_db = myapp            # --pg-fixtures-allow-db: may be written although its
                                            # name does not say "test"

A class may override the mode with ``pg_isolation`` and, in template mode, ``pg_clone_per``.
Fixture errors are reported as the test context's error, with file, line and label, and no
traceback.
"""

import os
import sys
from pathlib import Path

from nose.plugins import Plugin

from harness import config
from harness.errors import ConfigError, FixtureError, HarnessError
from harness.plugins import without_traceback
from harness.testing import pg

_SETTINGS = (
    # (setup.cfg key, option dest, help)
    ("pg_fixtures_isolation", "pg_fixtures_isolation",
     "how tests are isolated: rollback (default), template or reload"),
    ("pg_fixtures_schema", "pg_fixtures_schema",
     "SQL file applied once to the per-run database (repeat, or separate with commas)"),
    ("pg_fixtures_dir", "pg_fixtures_dir",
     "directory where fixture names are looked up after the test module's own (default: fixtures)"),
    ("pg_fixtures_clone_per", "pg_fixtures_clone_per",
     "template mode: a fresh clone per 'test' (default) or per 'context' (module or class)"),
    ("pg_fixtures_database", "pg_fixtures_database",
     "load into this existing database instead of creating one per run (must look like a test "
     "database, or be allowed with --pg-fixtures-allow-db)"),
    ("pg_fixtures_allow_db", "pg_fixtures_allow_db",
     "a database the harness may write into although it did not create it and its name lacks 'test'"),
)


class PgFixtures(Plugin):
    """Load YAML fixtures into PostgreSQL once per context; isolate each test."""

    name = "pg-fixtures"
    score = 2000

    def options(self, parser, env):
        super().options(parser, env)
        for key, dest, help_text in _SETTINGS:
            flag = "--" + key.replace("_", "-")
            kwargs = {"action": "append"} if key in ("pg_fixtures_schema", "pg_fixtures_allow_db") else {}
            parser.add_option(flag, dest=dest, metavar=key.split("_")[-1].upper(), help=help_text, **kwargs)
        parser.add_option("--pg-fixtures-url", dest="pg_fixtures_url", metavar="URL",
                          help="PostgreSQL server URL (default: HARNESS_PG_URL, setup.cfg pg_url, "
                               "DATABASE_URL)")
        parser.add_option("--pg-fixtures-no-cache", dest="pg_fixtures_no_cache", action="store_true",
                          default=False, help="do not cache parsed and adapted fixtures on disk")

    def configure(self, options, conf):
        super().configure(options, conf)
        if not self.enabled:
            return
        # setup.cfg is read where nosetests runs (nose's workingDir follows `where`).
        self.project_dir = Path.cwd()
        try:
            self.settings = settings(options, self.project_dir)
        except ConfigError as error:
            sys.stderr.write(f"pg-fixtures: {error.render()}\n")
            raise SystemExit(2) from None
        self.explicit_url = getattr(options, "pg_fixtures_url", None)
        from harness.fixtures.postgres import Loader  # psycopg2: only when the plugin is on

        self.loader = Loader(cache_dir=False if options.pg_fixtures_no_cache else None)
        self.janitor = None
        self.modes = {}
        self.stack = []   # (context, mode or None, files loaded by this context)

    # contexts

    def startContext(self, context):
        own = getattr(context, "__dict__", {}).get("pg_fixtures")
        if own is None and isinstance(context, type):
            own = getattr(context, "pg_fixtures", None)
        declared_mode = _attribute(context, "pg_isolation")
        enclosing = next(((mode, files) for _c, mode, files in reversed(self.stack) if mode), (None, []))
        if own is None and declared_mode is None:
            self.stack.append((context, None, []))
            return
        own = _as_list(own, context)
        mode_name = declared_mode or (enclosing[0].name if enclosing[0] else self.settings["isolation"])
        clone_per = _attribute(context, "pg_clone_per") or self.settings["clone_per"]
        paths = [self._resolve(name, context) for name in own]
        mode = self._mode(mode_name, clone_per, context)
        if enclosing[0] is mode:
            files = paths
        elif mode.layers:
            raise FixtureError(f"{_name(context)}: pg_isolation {mode_name!r} differs from its "
                               f"enclosing context's, whose own parent already uses {mode_name!r}",
                               fix="use one isolation mode per module")
        else:
            files = enclosing[1] + paths
        mode.enter(files)
        self.stack.append((context, mode, enclosing[1] + paths))

    def stopContext(self, context):
        if not self.stack or self.stack[-1][0] is not context:
            return  # startContext failed before pushing
        _context, mode, _files = self.stack.pop()
        if mode is not None and mode.layers:
            mode.exit()

    # tests

    def prepareTestResult(self, result):
        self.result = result

    def beforeTest(self, test):
        self.prepared = None
        mode = self._active()
        pg.current = mode.before_test() if mode else None
        self.prepared = mode

    def afterTest(self, test):
        mode, self.prepared = self.prepared, None
        pg.current = None
        if mode is None:
            return
        try:
            mode.after_test()
        except HarnessError as error:
            # nose has recorded the outcome already; the reset's failure is this test's error too.
            if getattr(self, "result", None) is None:
                raise
            self.result.addError(test, (type(error), error, None))

    def formatError(self, test, err):
        return without_traceback(err)

    def formatFailure(self, test, err):
        return without_traceback(err)

    def finalize(self, result):
        problems = []
        for mode in self.modes.values():
            try:
                mode.close()
            except HarnessError as error:
                problems.append(error.render())
        if self.janitor is not None:
            problems.extend(self.janitor.drop_all())
        for problem in problems:
            sys.stderr.write(f"pg-fixtures: cleanup: {problem}\n")

    # helpers

    def _active(self):
        return next((mode for _c, mode, _f in reversed(self.stack) if mode), None)

    def _mode(self, name, clone_per, context):
        from harness.fixtures import isolation
        from harness.fixtures.janitor import Janitor

        if name not in isolation.MODES:
            raise FixtureError(f"{_name(context)}: unknown pg_isolation {name!r}",
                               fix=f"use one of: {', '.join(isolation.MODES)}")
        key = (name, clone_per if name == "template" else None)
        if key not in self.modes:
            if self.janitor is None:
                url = config.pg_url(self.explicit_url, project_dir=self.project_dir)
                if url is None:
                    raise FixtureError("no PostgreSQL server for the fixtures",
                                       fix="run with --with-services, or set pg_url in setup.cfg "
                                           "[harness], HARNESS_PG_URL or DATABASE_URL")
                self.janitor = Janitor(url.value)
            self.modes[key] = isolation.make(
                name, self.janitor, self.loader, schema=self.settings["schema"],
                database=self.settings["database"], allow=self.settings["allow"],
                clone_per=clone_per)
        return self.modes[key]

    def _resolve(self, name, context):
        here = _directory_of(context)
        candidates = [Path(name)] if os.path.isabs(name) else (
            ([Path(here, name)] if here else []) + [Path(self.settings["dir"], name)])
        for candidate in candidates:
            if candidate.is_file():
                return str(candidate)
        raise FixtureError(f"{_name(context)}: fixture file {name!r} not found",
                           detail="looked in: " + ", ".join(str(path) for path in candidates),
                           fix="give a path relative to the test module or to pg_fixtures_dir")


def settings(options, project_dir):
    """The plugin's settings: option > setup.cfg [harness] > default, validated."""
    from harness.fixtures import isolation

    def get(key, default=None):
        value = getattr(options, key, None)
        if isinstance(value, list):
            value = ",".join(value)
        found = config.lookup(key, explicit=value, option="--" + key.replace("_", "-"),
                              project_dir=project_dir)
        return (found.value, found.source) if found else (default, "default")

    isolation_mode, source = get("pg_fixtures_isolation", "rollback")
    if isolation_mode not in isolation.MODES:
        raise ConfigError(f"pg_fixtures_isolation {isolation_mode!r} (from {source}) is not a mode",
                          fix=f"use one of: {', '.join(isolation.MODES)}")
    clone_per, source = get("pg_fixtures_clone_per", "test")
    if clone_per not in ("test", "context"):
        raise ConfigError(f"pg_fixtures_clone_per {clone_per!r} (from {source}) is not valid",
                          fix="use test or context")
    schema, _ = get("pg_fixtures_schema", "")
    allow, _ = get("pg_fixtures_allow_db", "")
    directory, _ = get("pg_fixtures_dir", "fixtures")
    database, _ = get("pg_fixtures_database")
    return {
        "isolation": isolation_mode,
        "clone_per": clone_per,
        "schema": [str(Path(project_dir, item)) for item in _split(schema)],
        "allow": _split(allow),
        "dir": str(Path(project_dir, directory)),
        "database": database,
    }


def _split(text):
    return [item for item in text.replace(",", " ").split() if item]


def _attribute(context, name):
    value = getattr(context, name, None)
    return value if isinstance(value, str) else None


def _as_list(value, context):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return list(value)
    raise FixtureError(f"{_name(context)}: pg_fixtures must be a list of file names, not {value!r}",
                       fix='e.g. pg_fixtures = ["accounts.yaml"]')


def _name(context):
    return getattr(context, "__qualname__", None) or getattr(context, "__name__", repr(context))


def _directory_of(context):
    module = sys.modules.get(getattr(context, "__module__", None) or "") if isinstance(context, type) else context
    file = getattr(module, "__file__", None)
    return os.path.dirname(os.path.abspath(file)) if file else None
