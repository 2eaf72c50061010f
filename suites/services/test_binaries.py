"""Finding server binaries, and the one message that says how to install them when they are missing."""

import os
import subprocess
import tempfile
import unittest

from harness.errors import ServiceError
from harness.services import binaries


class FindPostgresTest(unittest.TestCase):
    def test_finds_a_bindir_with_all_tools_and_reads_its_version(self):
        try:
            pg = binaries.find_postgres()
        except ServiceError as error:
            raise unittest.SkipTest(f"no PostgreSQL server binaries here: {error.message}") from None
        for tool in binaries.PG_TOOLS:
            self.assertTrue(os.access(pg.tool(tool), os.X_OK), tool)
        out = subprocess.run([pg.tool("postgres"), "--version"], capture_output=True, text=True)
        self.assertIn(pg.version, out.stdout)

    def test_an_explicit_bindir_is_the_only_place_searched(self):
        with tempfile.TemporaryDirectory() as empty:
            with self.assertRaises(ServiceError) as caught:
                binaries.find_postgres({"HARNESS_PG_BINDIR": empty, "PATH": os.environ["PATH"]})
        self.assertIn(f"searched:\n    {empty}\n  install them:", caught.exception.render())

    def test_missing_binaries_list_every_place_searched_and_the_install_commands(self):
        with tempfile.TemporaryDirectory() as empty:
            env = {"PATH": empty}
            with self.assertRaises(ServiceError) as caught:
                binaries.find_postgres(env, globs=(os.path.join(empty, "pg*", "bin"),))
        text = caught.exception.render()
        self.assertIn("initdb, pg_ctl, postgres", text)
        self.assertIn(f"  {empty}", text)
        self.assertIn(os.path.join(empty, "pg*", "bin"), text)
        self.assertIn("apt-get install postgresql", text)
        self.assertIn("brew install postgresql", text)
        self.assertIn("HARNESS_PG_URL", text)


class FindRabbitTest(unittest.TestCase):
    def test_finds_the_real_server_script_not_the_debian_wrapper(self):
        try:
            rabbit = binaries.find_rabbitmq()
        except ServiceError as error:
            raise unittest.SkipTest(f"no RabbitMQ here: {error.message}") from None
        self.assertNotEqual(os.path.basename(os.path.realpath(rabbit.server)),
                            "rabbitmq-script-wrapper")
        self.assertTrue(os.access(rabbit.epmd, os.X_OK))

    def test_missing_server_lists_places_and_install_commands(self):
        with tempfile.TemporaryDirectory() as empty:
            with self.assertRaises(ServiceError) as caught:
                binaries.find_rabbitmq({"PATH": empty}, dirs=(empty,), epmd_dirs=(empty,))
        text = caught.exception.render()
        self.assertIn("rabbitmq-server not found", text)
        self.assertIn(os.path.join(empty, "rabbitmq-server"), text)
        self.assertIn("apt-get install rabbitmq-server", text)
        self.assertIn("brew install rabbitmq", text)


class FindAllTest(unittest.TestCase):
    def test_both_missing_are_named_in_one_message(self):
        with tempfile.TemporaryDirectory() as empty:
            server = os.path.join(empty, "rabbitmq-server")
            env = {"PATH": empty, "HARNESS_PG_BINDIR": empty, "HARNESS_RABBITMQ_SERVER": server}
            with self.assertRaises(ServiceError) as caught:
                binaries.find_all(("postgres", "rabbitmq"), env)
        text = caught.exception.render()
        self.assertIn("PostgreSQL server binaries (initdb, pg_ctl, postgres) and rabbitmq-server "
                      "not found, so a private PostgreSQL and RabbitMQ cannot be started", text)
        self.assertIn("searched for PostgreSQL server binaries (initdb, pg_ctl, postgres):\n"
                      f"    {empty}\n  searched for rabbitmq-server:\n    {server}\n", text)
        self.assertIn("Debian/Ubuntu: sudo apt-get install postgresql rabbitmq-server", text)
        self.assertIn("macOS: brew install postgresql rabbitmq", text)
        self.assertIn("--pg-url / HARNESS_PG_URL and --amqp-url / HARNESS_AMQP_URL", text)

    def test_only_the_kinds_asked_for_are_looked_up(self):
        with tempfile.TemporaryDirectory() as empty:
            with self.assertRaises(ServiceError) as caught:
                binaries.find_all(("rabbitmq",), {"PATH": empty, "HARNESS_PG_BINDIR": empty,
                                                  "HARNESS_RABBITMQ_SERVER": empty})
        self.assertIn("rabbitmq-server not found, so a private RabbitMQ cannot",
                      caught.exception.message)
        self.assertNotIn("PostgreSQL", caught.exception.render())


class MissingBinariesInARunTest(unittest.TestCase):
    def test_the_run_stops_with_one_message_naming_paths_and_install_commands(self):
        from suites.services import support

        project = support.child_project()
        self.addCleanup(project.remove)
        with tempfile.TemporaryDirectory() as empty:
            result = project.nose("--services-mode=private",
                                  env=support.clean_env(HARNESS_PG_BINDIR=empty))
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found",
                      result.stderr)
        self.assertIn(empty, result.stderr)
        self.assertIn("apt-get install postgresql", result.stderr)
        self.assertIn("brew install postgresql", result.stderr)
        self.assertNotIn("Traceback", result.stderr)
        self.assertNotIn("Ran ", result.stderr)

    def test_up_names_both_missing_servers_at_once(self):
        from suites.services import support

        project = support.Project()
        self.addCleanup(project.remove)
        with tempfile.TemporaryDirectory() as empty:
            server = os.path.join(empty, "rabbitmq-server")
            result = project.harness("up", "--mode=private",
                                     env=support.clean_env(PATH=empty, HARNESS_PG_BINDIR=empty,
                                                           HARNESS_RABBITMQ_SERVER=server))
        out = result.stdout + result.stderr
        self.assertEqual(result.returncode, 2, out)
        self.assertIn("PostgreSQL server binaries (initdb, pg_ctl, postgres) and rabbitmq-server "
                      "not found", out)
        self.assertIn(f"    {empty}\n", out)
        self.assertIn(f"    {server}\n", out)
        self.assertIn("sudo apt-get install postgresql rabbitmq-server", out)
        self.assertIn("brew install postgresql rabbitmq", out)
        self.assertRegex(out, r"postgres +find initdb, pg_ctl, postgres +failed after \d+ ms")
        self.assertNotIn("Traceback", out)
