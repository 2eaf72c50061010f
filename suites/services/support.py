"""Helpers for the services suite: clean environments, throwaway projects, the shared servers.

Every test that starts an instance uses its own state directory and stops what it started, even
when it fails (``addCleanup``). The machine's shared servers are read from
``HARNESS_TEST_PG_URL`` / ``HARNESS_TEST_AMQP_URL`` (default: 127.0.0.1:5432 user postgres,
127.0.0.1:5672 guest/guest); tests that need them skip, naming the URL, when they do not answer.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
import uuid

from harness.errors import ServiceError
from harness.services import external

TEST_PG_URL = os.environ.get("HARNESS_TEST_PG_URL",
                             "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_AMQP_URL = os.environ.get("HARNESS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")

BIN = os.path.dirname(sys.executable)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# variables that would make a child run pick up the outer run's (or the user's) servers
_SERVICE_VARS = ("HARNESS_PG_URL", "HARNESS_AMQP_URL", "DATABASE_URL", "AMQP_URL",
                 "HARNESS_SERVICES", "HARNESS_SERVICES_MODE", "HARNESS_STATE_DIR",
                 "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")


def clean_env(**extra):
    env = {key: value for key, value in os.environ.items() if key not in _SERVICE_VARS}
    env.update({key: str(value) for key, value in extra.items()})
    return env


def unique(prefix="nh"):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def require(kind):
    """Skip the calling test unless the shared ``kind`` server answers."""
    url = TEST_PG_URL if kind == "postgres" else TEST_AMQP_URL
    check = external.check_pg if kind == "postgres" else external.check_amqp
    try:
        check(url, timeout=2.0)
    except ServiceError as error:
        raise unittest.SkipTest(f"shared {kind} not reachable ({error.message}); set "
                                f"HARNESS_TEST_{'PG' if kind == 'postgres' else 'AMQP'}_URL") from None
    return url


def run_dir(testcase):
    """A private HARNESS_RUN_DIR (in memory when possible) for a test that counts what is left.

    Other runs on the machine create instance directories at any time; counting in a directory
    of one's own is the only reliable "nothing left behind".
    """
    from harness.services import state

    path = tempfile.mkdtemp(prefix="nh-run-dir-", dir=state.run_dir())
    os.chmod(path, 0o755)  # the unprivileged PostgreSQL account must reach its data directory
    testcase.addCleanup(shutil.rmtree, path, True)
    return path


class Project:
    """A throwaway project directory with its own state dir, for harness and nosetests runs."""

    def __init__(self, tests=None, setup_cfg=""):
        self.dir = tempfile.mkdtemp(prefix="nh-project-")
        with open(os.path.join(self.dir, "setup.cfg"), "w", encoding="utf-8") as handle:
            handle.write(setup_cfg)
        for name, text in (tests or {}).items():
            with open(os.path.join(self.dir, name), "w", encoding="utf-8") as handle:
                handle.write(textwrap.dedent(text))
        self.state_dir = os.path.join(self.dir, ".harness")

    def run(self, *argv, env=None, timeout=180):
        """Run ``harness`` or ``nosetests`` from the venv in the project; returns CompletedProcess."""
        command = [os.path.join(BIN, argv[0]), *argv[1:]]
        return subprocess.run(command, cwd=self.dir, env=env or clean_env(), capture_output=True,
                              text=True, timeout=timeout)

    def harness(self, *argv, env=None):
        return self.run("harness", "services", *argv, env=env)

    def nose(self, *argv, env=None):
        return self.run("nosetests", "--with-services", "-v", "-s", *argv, env=env)

    def remove(self):
        # stop anything a failed test left running in this project, then delete it
        if os.path.isdir(self.state_dir):
            self.harness("down")
            from harness.services import lifecycle
            lifecycle.prune(lifecycle.statefile_for(state_dir=self.state_dir))
        shutil.rmtree(self.dir, ignore_errors=True)


def pg_query(url, sql):
    import psycopg2

    connection = psycopg2.connect(url, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()
    finally:
        connection.close()


def amqp_roundtrip(url, body="hello"):
    """Declare a unique queue, publish with confirms, get the message back, delete the queue."""
    import amqp

    params = external.amqp_params(url)
    queue = unique("nh_q")
    with amqp.Connection(confirm_publish=True, connect_timeout=5, **params) as connection:
        channel = connection.channel()
        channel.queue_declare(queue, auto_delete=False)
        try:
            channel.basic_publish(amqp.Message(body), routing_key=queue)
            message = channel.basic_get(queue, no_ack=True)
            return message.body if message else None
        finally:
            channel.queue_delete(queue)


# a test module run inside child nosetests processes: it proves what the plugin exported
CHILD_TESTS = {
    "test_child.py": '''
        import os
        import unittest


        class ChildTest(unittest.TestCase):
            def test_pg(self):
                url = os.environ.get("HARNESS_PG_URL")
                if not url:
                    raise unittest.SkipTest("no postgres in this run")
                import psycopg2
                with psycopg2.connect(url) as connection:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT 40 + 2")
                        self.assertEqual(cursor.fetchone()[0], 42)
                connection.close()
                print("PG_URL=" + url)

            def test_amqp(self):
                url = os.environ.get("HARNESS_AMQP_URL")
                if not url:
                    raise unittest.SkipTest("no rabbitmq in this run")
                from suites_services_support import amqp_roundtrip
                self.assertEqual(amqp_roundtrip(url, "child"), "child")
                print("AMQP_URL=" + url)
    ''',
}


def child_project(setup_cfg=""):
    """A project whose test module checks HARNESS_PG_URL / HARNESS_AMQP_URL for real."""
    project = Project(CHILD_TESTS, setup_cfg=setup_cfg)
    # the child imports the round-trip helper under a name that cannot clash
    shutil.copy(os.path.abspath(__file__).replace(".pyc", ".py"),
                os.path.join(project.dir, "suites_services_support.py"))
    return project
