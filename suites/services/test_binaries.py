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
