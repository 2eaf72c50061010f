"""PostgreSQL for tests: the database the pg-fixtures plugin loaded, rows by label, dict cursors.

Declare the fixtures a module (or class) needs, run nose with ``--with-pg-fixtures``, and use
this module inside the tests::

    from harness.testing import pg

    pg_fixtures = ["accounts.yaml", "transfers.yaml"]   # loaded once for this module
    pg_isolation = "rollback"                           # or "template", "reload"

    def test_alice_is_rich():
        assert pg.row("alice")["balance"] > 500          # the row as it is now, as a dict

    def test_transfer():
        with pg.cursor() as cursor:                      # RealDictCursor on pg.connection()
            cursor.execute("SELECT transfer(%s, %s, 10)", (pg.key("alice"), pg.key("bob")))
        assert pg.row("bob")["balance"] == 260.50

An app under test that opens its own connections gets the database's address from ``pg.url()`` (or
``pg.dsn()``, the same as libpq key=value pairs) — use ``pg_isolation = "template"`` (a fresh
clone per test) or ``"reload"`` for it, since it cannot see the rollback mode's open transaction.

Outside a test with fixtures every function raises ``RuntimeError`` saying what is missing.
"""

current = None  # the Session of the running test, set by the plugin (or by harness code)


def session():
    """The running test's ``harness.fixtures.isolation.Session``."""
    if current is None:
        raise RuntimeError("no PostgreSQL fixtures are active for this test: run nose with "
                           "--with-pg-fixtures and declare pg_fixtures = [...] on the module or class")
    return current


def connection():
    """The psycopg2 connection to the test's database (the fixtures' transaction in rollback mode)."""
    return session().connection


def cursor():
    """A cursor whose rows are dicts (``psycopg2.extras.RealDictCursor``)."""
    return session().cursor()


def row(table_or_label, label=None):
    """A fixture row as it is now in the database: ``row("alice")`` or ``row("accounts", "alice")``."""
    return session().row(table_or_label, label)


def key(table_or_label, label=None):
    """A fixture row's key, known without a query: ``key("alice")`` or ``key("accounts", "alice")``."""
    return session().key(table_or_label, label)


def url():
    """The test database's URL, for an app under test that opens its own connections."""
    return session().url


def dsn():
    """The same database as a libpq key=value DSN (``psycopg2.connect(pg.dsn())``)."""
    return session().dsn
