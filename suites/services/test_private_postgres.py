"""Private PostgreSQL: cached initdb, loopback only, fsync off, the root path, start failures."""

import os
import pwd
import shutil
import subprocess
import tempfile
import unittest
import uuid

from harness.errors import ServiceError
from harness.services import binaries, postgres, process, state
from harness.services.progress import Progress
from suites.services import support


def setUpModule():
    try:
        binaries.find_postgres()
    except ServiceError as error:
        raise unittest.SkipTest(f"no PostgreSQL server binaries: {error.message}") from None


def uid_of(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    raise AssertionError(f"no Uid line for pid {pid}")


class PrivatePostgresTest(unittest.TestCase):
    def start(self, **kwargs):
        record = postgres.start_private(**kwargs)
        self.addCleanup(state.discard, record)
        return record

    def test_start_connect_query_stop(self):
        record = self.start()
        self.assertEqual(record.url, f"postgresql://postgres@127.0.0.1:{record.port}/postgres")
        row = support.pg_query(record.url, "SELECT current_setting('listen_addresses'), "
                               "current_setting('fsync'), inet_server_port(), 6 * 7")
        self.assertEqual(row, ("127.0.0.1", "off", record.port, 42))
        self.assertTrue(process.is_ours(record.pid, record.procs[0].marker))
        state.discard(record)
        self.assertFalse(process.alive(record.pid))
        self.assertFalse(os.path.exists(record.root))

    def test_initdb_runs_once_then_the_template_is_copied(self):
        cache = tempfile.mkdtemp(prefix="nh-cache-")
        self.addCleanup(shutil.rmtree, cache, True)
        cold, warm = Progress(), Progress()
        first = self.start(cache=cache, progress=cold)
        postgres.wait_for_cache()
        second = self.start(cache=cache, progress=warm)
        cold_steps = [name for _, name, _ in cold.steps]
        warm_steps = [name for _, name, _ in warm.steps]
        self.assertTrue(any(name.startswith("initdb") for name in cold_steps), cold_steps)
        self.assertIn("copy cached initdb template", warm_steps)
        self.assertFalse(any(name.startswith("initdb") for name in warm_steps), warm_steps)
        self.assertEqual(len(os.listdir(os.path.join(cache, "postgres"))), 1)
        self.assertEqual(support.pg_query(second.url, "SELECT 1")[0], 1)
        self.assertEqual(support.pg_query(first.url, "SELECT 2")[0], 2)

    def test_two_instances_share_no_port_and_no_directory(self):
        one, two = self.start(), self.start()
        self.assertNotEqual(one.port, two.port)
        self.assertNotEqual(one.root, two.root)
        self.assertNotEqual(one.procs[0].marker, two.procs[0].marker)
        name = support.unique("nh_table")
        support.pg_query(one.url, f"CREATE TABLE {name} (x int); SELECT 1")
        self.assertEqual(support.pg_query(two.url, f"SELECT to_regclass('{name}') IS NULL")[0],
                         True)

    def test_a_broken_data_directory_fails_fast_with_the_log_tail(self):
        cache = tempfile.mkdtemp(prefix="nh-cache-")
        self.addCleanup(shutil.rmtree, cache, True)
        good = self.start(cache=cache)
        postgres.wait_for_cache()
        template = os.path.join(cache, "postgres", os.listdir(os.path.join(cache, "postgres"))[0])
        os.unlink(os.path.join(template, "global", "pg_control"))
        run_dir = support.run_dir(self)
        with self.assertRaises(ServiceError) as caught:
            postgres.start_private(cache=cache, environ=dict(os.environ, HARNESS_RUN_DIR=run_dir))
        text = caught.exception.render()
        self.assertIn("failed to start", text)
        self.assertIn("lines of", text)
        self.assertIn("pg_control", text)
        self.assertEqual(os.listdir(run_dir), [])
        self.assertTrue(process.alive(good.pid))


@unittest.skipUnless(os.geteuid() == 0, "the root path needs root")
class RootPathTest(unittest.TestCase):
    def test_as_root_the_server_runs_as_an_unprivileged_account(self):
        record = postgres.start_private()
        self.addCleanup(state.discard, record)
        account = pwd.getpwnam(record.os_user)
        self.assertNotEqual(account.pw_uid, 0)
        self.assertEqual(uid_of(record.pid), account.pw_uid)
        self.assertEqual(os.stat(os.path.join(record.root, "data")).st_uid, account.pw_uid)

    def test_a_missing_account_is_created(self):
        name = f"nh{uuid.uuid4().hex[:8]}"
        self.addCleanup(subprocess.run, ["userdel", name], capture_output=True)
        cache = tempfile.mkdtemp(prefix="nh-cache-")
        self.addCleanup(shutil.rmtree, cache, True)
        environ = dict(os.environ, HARNESS_PG_OS_USER=name)
        record = postgres.start_private(environ=environ, cache=cache)
        self.addCleanup(state.discard, record)
        self.assertEqual(record.os_user, name)
        self.assertEqual(uid_of(record.pid), pwd.getpwnam(name).pw_uid)
        self.assertEqual(support.pg_query(record.url, "SELECT 1")[0], 1)
