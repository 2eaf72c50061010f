"""Side by side, in one run: loading 100k fixture rows, and the per-test reset of each isolation mode.

    .venv/bin/python bench/pg_load.py [--pg-url URL] [--rows 100000] [--repeat 3] [--resets 20]

Load (same rows for every method: 50k accounts + 50k transfers of the example bank, transfers
referring to accounts by label; each run inside a transaction that is rolled back, in a fresh
database built from the bank schema, as every test run gets its own):

- harness cold (once): parse the YAML (C loader), read the catalog, adapt, COPY; caches empty;
- harness cached: a new Loader whose plan cache (by content hash) is warm: unpickle and COPY. The
  database is not the one the plan was made in; the bench stops if that is not a cache hit;
- raw COPY: the same rows, already rendered as COPY text, through ``copy_expert``;
- execute_values: ``psycopg2.extras.execute_values`` with Python tuples (page size 1000);
- executemany: ``cursor.executemany`` on a 10% subset, scaled to the full count.

Reset per test (the example bank's fixtures, 6 rows): each mode's ``before_test`` + ``after_test``
against the raw SQL that mode uses (SAVEPOINT / ROLLBACK TO; CREATE DATABASE TEMPLATE / DROP;
TRUNCATE ... CASCADE / COPY).

The server comes from --pg-url or ``harness.config.pg_url()``, else the machine's shared server.
Everything runs in databases named harness_bench_*, dropped at the end.
"""

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg2
import psycopg2.extras

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import config  # noqa: E402
from harness.fixtures import isolation, postgres  # noqa: E402
from harness.fixtures.janitor import Janitor  # noqa: E402

SCHEMA = ROOT / "fixtures" / "bank_schema.sql"
BANK = [ROOT / "fixtures" / "accounts.yaml", ROOT / "fixtures" / "transfers.yaml"]


def generate(rows, directory):
    """The YAML file and the same rows as Python tuples (accounts, transfers)."""
    accounts_count = rows // 2
    lines = ["accounts:"]
    accounts, transfers = [], []
    for number in range(accounts_count):
        label = f"acct{number:06d}"
        balance = f"{number % 5000}.{number % 100:02d}"
        lines.append(f"  {label}: {{owner: Owner {number}, balance: {balance}, tags: [t{number % 7}, bench], "
                     f"profile: {{tier: {number % 3}}}, opened_at: '2024-01-01 00:00:00+00'}}")
        accounts.append((postgres.derived_key(label, "int8"), f"Owner {number}", balance,
                         [f"t{number % 7}", "bench"], psycopg2.extras.Json({"tier": number % 3}),
                         "2024-01-01 00:00:00+00"))
    lines.append("transfers:")
    for number in range(rows - accounts_count):
        label = f"tr{number:06d}"
        source, target = f"acct{number % accounts_count:06d}", f"acct{(number + 1) % accounts_count:06d}"
        lines.append(f"  {label}: {{from_account: {source}, to_account: {target}, amount: 1.50, "
                     f"note: bench, client_ip: 10.0.{number % 250}.1}}")
        transfers.append((str(uuid.uuid5(postgres.NAMESPACE, label)), postgres.derived_key(source, "int8"),
                          postgres.derived_key(target, "int8"), "1.50", "bench", f"10.0.{number % 250}.1"))
    path = Path(directory, "bench.yaml")
    path.write_text("\n".join(lines) + "\n")
    return path, accounts, transfers


ACCOUNT_COLUMNS = "id, owner, balance, tags, profile, opened_at"
TRANSFER_COLUMNS = "id, from_account, to_account, amount, note, client_ip"


def copy_text(accounts, transfers):
    def array(items):
        return "{" + ",".join(items) + "}"
    first = "".join(f"{a[0]}\t{a[1]}\t{a[2]}\t{array(a[3])}\t{a[4].dumps(a[4].adapted)}\t{a[5]}\n"
                    for a in accounts)
    second = "".join("\t".join(map(str, t)) + "\n" for t in transfers)
    return first, second


def timed(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def timed_fresh(janitor, body, repeat):
    """Best time of ``body(connection)`` in a transaction that is rolled back, each time in a new
    database with the schema: rows rolled back by an earlier run leave dead tuples that slow COPY."""
    times = []
    for _ in range(repeat):
        name = janitor.create("bench")
        connection = janitor.connect(name)
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(SCHEMA.read_text())
            start = time.perf_counter()
            try:
                body(connection)
            finally:
                connection.rollback()
            times.append(time.perf_counter() - start)
        finally:
            connection.close()
            janitor.drop(name)
    return min(times)


def bench_load(janitor, rows, repeat):
    work = tempfile.mkdtemp(prefix="harness-bench-")
    try:
        return _bench_load(janitor, rows, repeat, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _bench_load(janitor, rows, repeat, work):
    path, accounts, transfers = generate(rows, work)
    cache = Path(work, "cache")
    os.environ["XDG_CACHE_HOME"] = str(cache)  # the YAML parse cache starts empty too
    results = {}

    def with_cursor(body):
        def run(connection):
            with connection.cursor() as cursor:
                body(cursor)
        return run

    def harness_cold(connection):
        postgres.Loader(cache_dir=cache / "pg").load(connection, [path])

    # Cold is once: a second run would find the file in the OS cache anyway.
    results["harness load, cold (parse + adapt + COPY)"] = timed_fresh(janitor, harness_cold, 1)
    entries = set(cache.glob("pg/*.pickle"))

    def harness_cached(connection):
        postgres.Loader(cache_dir=cache / "pg").load(connection, [path])
        if set(cache.glob("pg/*.pickle")) != entries:
            raise SystemExit("the cached plan was not used in a fresh database of the same schema")

    results["harness load, cached plan (unpickle + COPY)"] = timed_fresh(janitor, harness_cached, repeat)

    first, second = copy_text(accounts, transfers)

    def raw_copy(cursor):
        cursor.copy_expert(f"COPY accounts ({ACCOUNT_COLUMNS}) FROM STDIN", io.StringIO(first))
        cursor.copy_expert(f"COPY transfers ({TRANSFER_COLUMNS}) FROM STDIN", io.StringIO(second))

    results["raw COPY (pre-rendered text)"] = timed_fresh(janitor, with_cursor(raw_copy), repeat)

    def values(cursor):
        psycopg2.extras.execute_values(cursor, f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES %s",
                                       accounts, page_size=1000)
        psycopg2.extras.execute_values(cursor, f"INSERT INTO transfers ({TRANSFER_COLUMNS}) VALUES %s",
                                       transfers, page_size=1000)

    results["execute_values (page 1000)"] = timed_fresh(janitor, with_cursor(values), repeat)
    subset = max(len(transfers) // 10, 1)
    # The subset's transfers refer to accounts 0..subset: load those accounts too.
    needed = accounts[:subset + 1]

    def many(cursor):
        cursor.executemany(f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)", needed)
        cursor.executemany(f"INSERT INTO transfers ({TRANSFER_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
                           transfers[:subset])

    scale = rows / (len(needed) + subset)
    results[f"executemany ({len(needed) + subset} rows, x{scale:.1f})"] = (
        timed_fresh(janitor, with_cursor(many), 1) * scale)
    return results


def bench_reset(janitor, resets):
    loader = postgres.Loader(cache_dir=False)
    results = {}
    for name in isolation.MODES:
        mode = isolation.make(name, janitor, loader, schema=[SCHEMA])
        try:
            plan = mode.enter([str(path) for path in BANK])

            def harness_reset(mode=mode, commit=name != "rollback"):
                session = mode.before_test()
                with session.cursor() as cursor:
                    cursor.execute("UPDATE accounts SET balance = 0")
                if commit:
                    session.connection.commit()
                mode.after_test()

            results[f"{name}: harness before_test + after_test"] = timed(harness_reset, resets)
            results[f"{name}: raw SQL"] = timed(_raw_reset(name, janitor, mode, plan), resets)
        finally:
            mode.close()
    return results


def _raw_reset(name, janitor, mode, plan):
    if name == "rollback":
        connection = mode.connection

        def run():
            with connection.cursor() as cursor:
                cursor.execute("SAVEPOINT raw")
                cursor.execute("UPDATE accounts SET balance = 0")
                cursor.execute("ROLLBACK TO SAVEPOINT raw")
        return run
    if name == "template":
        template = mode.layers[-1][1]

        def run():
            with janitor.admin().cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "harness_bench_raw" TEMPLATE "{template}"')
                cursor.execute('DROP DATABASE "harness_bench_raw" WITH (FORCE)')
        return run
    connection = mode.connection
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        now = cursor.fetchone()[0]
        buffers = [(batch.statement, postgres.render_batch(cursor, batch, now)) for batch in plan.batches]

    def run():
        with connection, connection.cursor() as cursor:
            cursor.execute("UPDATE accounts SET balance = 0")
            cursor.execute("TRUNCATE accounts, transfers CASCADE")
            for statement, buffer in buffers:
                cursor.copy_expert(statement, io.StringIO(buffer))
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--resets", type=int, default=20)
    args = parser.parse_args()
    found = config.pg_url(args.pg_url)
    url = found.value if found else "postgresql://postgres@127.0.0.1:5432/postgres"
    janitor = Janitor(url)
    try:
        with janitor.admin().cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        print(f"PostgreSQL {version}; {args.rows} rows; best of {args.repeat} "
              f"(resets: best of {args.resets}); {os.cpu_count()} CPUs")
        load = bench_load(janitor, args.rows, args.repeat)
        base = load["raw COPY (pre-rendered text)"]
        print(f"\n{'load':<56}seconds   x raw COPY   rows/s")
        for label, seconds in load.items():
            print(f"  {label:<54}{seconds:8.3f}  {seconds / base:9.2f}   {args.rows / seconds:8.0f}")
        reset = bench_reset(janitor, args.resets)
        print("\nreset per test                                        ms   x raw SQL")
        for name in isolation.MODES:
            ours = reset[f"{name}: harness before_test + after_test"]
            raw = reset[f"{name}: raw SQL"]
            print(f"  {name + ': harness':<48}{ours * 1000:8.2f}  {ours / raw:9.2f}")
            print(f"  {name + ': raw SQL':<48}{raw * 1000:8.2f}")
    finally:
        problems = janitor.drop_all()
        for problem in problems:
            print("cleanup:", problem, file=sys.stderr)


if __name__ == "__main__":
    main()
