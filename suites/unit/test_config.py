"""Where service URLs come from: option > environment > setup.cfg [harness] > libpq PG* variables."""

import os
import shutil
import tempfile
import unittest

from harness import config

CFG = """\
[metadata]
name = demo

[harness]
pg_url = postgresql://cfg@db.example:5432/cfg
amqp_url = amqp://cfg:cfg@mq.example:5672/
"""


class SourcesTest(unittest.TestCase):
    def setUp(self):
        self.project = tempfile.mkdtemp(prefix="nh-config-")
        self.addCleanup(shutil.rmtree, self.project, True)
        with open(os.path.join(self.project, "setup.cfg"), "w", encoding="utf-8") as handle:
            handle.write(CFG)

    def pg(self, explicit=None, **environ):
        return config.pg_url(explicit, project_dir=self.project, environ=environ)

    def test_pg_precedence(self):
        env = {"HARNESS_PG_URL": "postgresql://h/1", "DATABASE_URL": "postgresql://d/2",
               "PGHOST": "p"}
        self.assertEqual(self.pg("postgresql://o/0", **env),
                         config.Setting("postgresql://o/0", "option --pg-url"))
        self.assertEqual(self.pg(**env).source, "environment variable HARNESS_PG_URL")
        del env["HARNESS_PG_URL"]
        self.assertEqual(self.pg(**env).source, "environment variable DATABASE_URL")
        del env["DATABASE_URL"]
        self.assertEqual(self.pg(**env),
                         config.Setting("postgresql://cfg@db.example:5432/cfg",
                                        "setup.cfg [harness] pg_url at "
                                        f"{os.path.join(self.project, 'setup.cfg')}:5"))

    def test_amqp_precedence(self):
        amqp = config.amqp_url(environ={"HARNESS_AMQP_URL": "amqp://h//", "AMQP_URL": "amqp://a//"},
                               project_dir=self.project)
        self.assertEqual(amqp.source, "environment variable HARNESS_AMQP_URL")
        amqp = config.amqp_url(environ={"AMQP_URL": "amqp://a//"}, project_dir=self.project)
        self.assertEqual(amqp.value, "amqp://a//")
        amqp = config.amqp_url(environ={}, project_dir=self.project)
        self.assertIn("setup.cfg:6", amqp.source)

    def test_nothing_configured_means_private(self):
        empty = tempfile.mkdtemp(prefix="nh-config-")
        self.addCleanup(shutil.rmtree, empty, True)
        self.assertIsNone(config.pg_url(project_dir=empty, environ={}))
        self.assertIsNone(config.amqp_url(project_dir=empty, environ={}))


class LibpqVariablesTest(unittest.TestCase):
    def url(self, **environ):
        empty = tempfile.mkdtemp(prefix="nh-config-")
        self.addCleanup(shutil.rmtree, empty, True)
        return config.pg_url(project_dir=empty, environ=environ)

    def test_tcp_host_user_password_and_database(self):
        found = self.url(PGHOST="db", PGPORT="6543", PGUSER="app", PGPASSWORD="p@ss:w/rd",
                         PGDATABASE="shop")
        self.assertEqual(found.value, "postgresql://app:p%40ss%3Aw%2Frd@db:6543/shop")
        self.assertEqual(found.source, "libpq environment variables "
                                       "(PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE)")

    def test_a_socket_directory_is_encoded_in_the_host(self):
        from psycopg2.extensions import parse_dsn

        found = self.url(PGHOST="/var/run/postgresql", PGUSER="postgres")
        self.assertEqual(parse_dsn(found.value),
                         {"host": "/var/run/postgresql", "port": "5432", "user": "postgres",
                          "dbname": "postgres"})

    def test_an_ipv6_host_is_bracketed(self):
        from psycopg2.extensions import parse_dsn

        self.assertEqual(parse_dsn(self.url(PGHOST="::1").value)["host"], "::1")
