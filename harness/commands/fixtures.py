"""Check YAML fixtures against a database schema, without writing anything.

  harness fixtures check fixtures/accounts.yaml fixtures/transfers.yaml --schema fixtures/bank_schema.sql

With a schema (--schema, repeatable, else setup.cfg [harness] pg_fixtures_schema, as the plugin
uses it) or when the files have _setup steps, the check creates a scratch database on the server,
applies the schema, loads the fixtures in a transaction that is rolled back (so keys, foreign keys
and check constraints are verified too), and drops the scratch database.

Without them (or with --no-schema), the fixtures are adapted against the catalog of the URL's own
database in a read-only session: tables, columns, types, enums, labels and references are checked;
constraints are not.

The server comes from --pg-url, else HARNESS_PG_URL, DATABASE_URL, setup.cfg [harness] pg_url or
PG* variables. Exit status: 0 when the fixtures are valid, 1 when they are not, 2 when the
check cannot run (no server, no CREATEDB).
"""

import argparse
import sys


def configure(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    check = sub.add_parser("check", help="validate fixture files against a database schema",
                           description=__doc__.split("\n\n", 1)[1],
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("files", nargs="+", metavar="FILE", help="YAML fixture files, loaded together")
    check.add_argument("--pg-url", metavar="URL", help="PostgreSQL server (the database is only read)")
    check.add_argument("--schema", action="append", metavar="SQL",
                       help="SQL file to apply to a scratch database before loading (repeat for "
                            "several; default: setup.cfg [harness] pg_fixtures_schema)")
    check.add_argument("--no-schema", action="store_true",
                       help="ignore pg_fixtures_schema: check against the URL's database as it is")


def run(args):
    from harness import config
    from harness.errors import FixtureError, HarnessError
    from harness.fixtures import postgres
    from harness.fixtures.janitor import Janitor, database_of
    from harness.urls import mask

    if getattr(args, "action", None) != "check":
        print("usage: harness fixtures check FILE... [--pg-url URL] [--schema SQL]...", file=sys.stderr)
        return 2
    url = config.pg_url(args.pg_url)
    if url is None:
        raise FixtureError("no PostgreSQL server to check against",
                           fix="pass --pg-url, or set pg_url in setup.cfg [harness], HARNESS_PG_URL "
                               "or DATABASE_URL")
    schema, origin = _schema(args, config)
    janitor = Janitor(url.value)
    loader = postgres.Loader(cache_dir=False)
    try:
        source = postgres.read(args.files, cache_dir=False)
        if schema or source.steps:
            plan = _check_in_scratch(janitor, loader, args.files, schema)
            how = "loaded into a scratch database and rolled back (constraints checked)"
            if origin:
                how += f"; schema {', '.join(schema)} from {origin}"
        else:
            connection = janitor.connect()
            try:
                connection.set_session(readonly=True)
                plan = loader.check(connection, args.files)
            finally:
                connection.rollback()
                connection.close()
            how = (f"adapted to the schema of database {database_of(url.value)!r} (read only; "
                   "constraints not checked: pass --schema to load into a scratch database)")
    except HarnessError as error:
        print(f"harness fixtures: {error.render()}", file=sys.stderr)
        return 1 if isinstance(error, FixtureError) else 2
    finally:
        problems = janitor.drop_all()
    for problem in problems:
        print(f"harness fixtures: cleanup: {problem}", file=sys.stderr)
    rows = sum(len(batch.rows) for batch in plan.batches)
    print(f"ok: {len(args.files)} file(s), {rows} row(s) in {len(plan.tables)} table(s) "
          f"({', '.join(plan.tables) or 'none'}), {how}; server {mask(url.value)}")
    return 0


def _schema(args, config):
    """The schema files, and where they came from when not from --schema."""
    if args.no_schema:
        return [], None
    if args.schema:
        return args.schema, None
    found = config.lookup("pg_fixtures_schema")
    if found is None:
        return [], None
    return found.value.replace(",", " ").split(), found.source


def _check_in_scratch(janitor, loader, files, schema):
    from pathlib import Path

    from harness.fixtures.isolation import apply_schema

    scratch = janitor.create("check")
    connection = janitor.connect(scratch)
    try:
        with connection, connection.cursor() as cursor:
            for path in schema:
                apply_schema(cursor, Path(path))
        try:
            return loader.load(connection, files)
        finally:
            connection.rollback()
    finally:
        connection.close()
