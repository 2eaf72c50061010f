"""External mode: the machine's shared servers, reachability checks, and masked passwords."""

import os
import socket
import unittest

from harness.errors import HarnessError, ServiceError
from harness.services import external, lifecycle
from harness.urls import mask
from suites.services import support

SECRET = "s3cr3t-Pa55"


def closed_port():
    """A loopback port nobody listens on (bound, not listening: connections are refused)."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    return holder, holder.getsockname()[1]


class SharedServersTest(unittest.TestCase):
    def test_postgres_connect_and_query(self):
        url = support.require("postgres")
        self.assertTrue(external.check_pg(url).startswith("PostgreSQL "))
        self.assertEqual(support.pg_query(url, "SELECT 6 * 7")[0], 42)

    def test_rabbitmq_publish_and_get(self):
        url = support.require("rabbitmq")
        self.assertIn("RabbitMQ", external.check_amqp(url))
        self.assertEqual(support.amqp_roundtrip(url, "external"), "external")

    def test_provide_uses_configured_urls_without_starting_anything(self):
        pg = support.require("postgres")
        amqp = support.require("rabbitmq")
        project = support.Project()
        self.addCleanup(project.remove)
        session = lifecycle.provide(mode="external", project_dir=project.dir,
                                    environ={"HARNESS_PG_URL": pg, "AMQP_URL": amqp})
        self.addCleanup(session.release)
        self.assertEqual(session.urls, {"postgres": pg, "rabbitmq": amqp})
        self.assertEqual(session.started, [])
        self.assertEqual(session.records["rabbitmq"].source, "environment variable AMQP_URL")
        environ = {}
        session.export(environ)
        self.assertEqual(environ, {"HARNESS_PG_URL": pg, "HARNESS_AMQP_URL": amqp})
        session.release()
        self.assertEqual(environ, {})

    def test_libpq_variables_naming_a_socket_directory_reach_the_server(self):
        support.require("postgres")
        directory = "/var/run/postgresql"
        if not os.path.exists(os.path.join(directory, ".s.PGSQL.5432")):
            raise unittest.SkipTest(f"the shared PostgreSQL has no socket in {directory}")
        project = support.Project()
        self.addCleanup(project.remove)
        session = lifecycle.provide(mode="external", kinds=("postgres",), project_dir=project.dir,
                                    environ={"PGHOST": directory, "PGUSER": "postgres"})
        self.addCleanup(session.release)
        url = session.urls["postgres"]
        self.assertEqual(support.pg_query(url, "SELECT inet_server_port() IS NULL, 6 * 7"),
                         (True, 42))

    def test_external_mode_without_url_says_how_to_give_one(self):
        project = support.Project()
        self.addCleanup(project.remove)
        with self.assertRaises(HarnessError) as caught:
            lifecycle.provide(mode="external", kinds=("rabbitmq",), project_dir=project.dir,
                              environ={})
        self.assertIn("HARNESS_AMQP_URL", caught.exception.render())


class UnreachableTest(unittest.TestCase):
    def test_unreachable_postgres_names_host_and_port_and_masks_the_password(self):
        holder, port = closed_port()
        self.addCleanup(holder.close)
        url = f"postgresql://bob:{SECRET}@127.0.0.1:{port}/app"
        with self.assertRaises(ServiceError) as caught:
            external.check_pg(url, source="environment variable DATABASE_URL", timeout=1)
        text = caught.exception.render()
        self.assertIn(f"127.0.0.1:{port}", text)
        self.assertIn("DATABASE_URL", text)
        self.assertIn(mask(url), text)
        self.assertNotIn(SECRET, text)

    def test_unreachable_rabbitmq_names_host_and_port_and_masks_the_password(self):
        holder, port = closed_port()
        self.addCleanup(holder.close)
        url = f"amqp://app:{SECRET}@127.0.0.1:{port}/%2F"
        with self.assertRaises(ServiceError) as caught:
            external.check_amqp(url, timeout=1)
        text = caught.exception.render()
        self.assertIn(f"127.0.0.1:{port}", text)
        self.assertIn("amqp://app:***@", text)
        self.assertNotIn(SECRET, text)

    def test_an_ipv6_host_is_shown_bracketed(self):
        # nobody listens on port 1; without IPv6 the connect fails too, with another reason
        for check, url in ((external.check_pg, f"postgresql://u:{SECRET}@[::1]:1/x"),
                           (external.check_amqp, f"amqp://u:{SECRET}@[::1]:1/")):
            with self.assertRaises(ServiceError, msg=url) as caught:
                check(url, timeout=1)
            self.assertIn(" is unreachable at [::1]:1 (", caught.exception.message)
            self.assertNotIn("Name or service not known", caught.exception.message)
            self.assertNotIn(SECRET, caught.exception.render())

    def test_a_raw_at_in_a_postgres_password_is_refused_masked(self):
        url = f"postgresql://bob:{SECRET}@x@127.0.0.1:1/app"
        with self.assertRaises(ServiceError) as caught:
            external.check_pg(url, timeout=1)
        text = caught.exception.render()
        self.assertIn("postgresql://bob:***@127.0.0.1:1/app holds a raw '@'", text)
        self.assertIn("%40", text)
        self.assertNotIn(SECRET, text)
        self.assertNotIn("x@127.0.0.1", text)

    def test_a_silent_host_times_out_quickly(self):
        # a listening socket that never accepts: connect succeeds at TCP level on Linux, so use
        # a non-routable address instead, which only a timeout can end
        import time

        start = time.monotonic()
        with self.assertRaises(ServiceError) as caught:
            external.check_pg(f"postgresql://u:{SECRET}@10.255.255.1:5432/x", timeout=0.5)
        self.assertLess(time.monotonic() - start, 5)
        self.assertIn("10.255.255.1:5432", caught.exception.render())
        self.assertNotIn(SECRET, caught.exception.render())

    def test_wrong_password_on_the_shared_broker_is_masked(self):
        support.require("rabbitmq")
        host = external.amqp_params(support.TEST_AMQP_URL)["host"]
        url = f"amqp://guest:{SECRET}@{host}/%2F"
        with self.assertRaises(ServiceError) as caught:
            external.check_amqp(url, timeout=3)
        text = caught.exception.render()
        self.assertIn("refused", text)
        self.assertNotIn(SECRET, text)

    def test_plugin_stops_the_run_with_one_message_and_no_traceback(self):
        holder, port = closed_port()
        self.addCleanup(holder.close)
        project = support.child_project()
        self.addCleanup(project.remove)
        url = f"postgresql://bob:{SECRET}@127.0.0.1:{port}/app"
        result = project.nose("--pg-url", url, "--services=postgres")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(f"PostgreSQL is unreachable at 127.0.0.1:{port}", result.stderr)
        self.assertIn("option --pg-url", result.stderr)
        self.assertNotIn("Traceback", result.stderr)
        self.assertNotIn(SECRET, result.stderr + result.stdout)

    def test_cli_status_reports_an_unreachable_configured_url_masked(self):
        holder, port = closed_port()
        self.addCleanup(holder.close)
        project = support.Project()
        self.addCleanup(project.remove)
        env = support.clean_env(HARNESS_AMQP_URL=f"amqp://u:{SECRET}@127.0.0.1:{port}/%2F")
        result = project.harness("status", env=env)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"127.0.0.1:{port}", result.stdout)
        self.assertNotIn(SECRET, result.stdout + result.stderr)


class ExternalPluginRunTest(unittest.TestCase):
    def test_run_on_the_shared_servers_exports_their_urls(self):
        pg = support.require("postgres")
        amqp = support.require("rabbitmq")
        project = support.child_project()
        self.addCleanup(project.remove)
        result = project.nose("--services-mode=external",
                              env=support.clean_env(HARNESS_PG_URL=pg, HARNESS_AMQP_URL=amqp))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"PG_URL={pg}", result.stdout)
        self.assertIn(f"AMQP_URL={amqp}", result.stdout)
        self.assertIn("Ran 2 tests", result.stderr)
        self.assertIn("OK", result.stderr)

    def test_external_mode_needs_no_server_binaries(self):
        pg = support.require("postgres")
        project = support.child_project()
        self.addCleanup(project.remove)
        env = support.clean_env(HARNESS_PG_URL=pg, HARNESS_PG_BINDIR="/nonexistent",
                                HARNESS_RABBITMQ_SERVER="/nonexistent")
        result = project.nose("--services-mode=external", "--services=postgres", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"PG_URL={pg}", result.stdout)

    def test_up_records_the_shared_servers_and_later_runs_reuse_them(self):
        pg = support.require("postgres")
        amqp = support.require("rabbitmq")
        project = support.child_project()
        self.addCleanup(project.remove)
        up = project.harness("up", env=support.clean_env(HARNESS_PG_URL=pg, AMQP_URL=amqp))
        self.assertEqual(up.returncode, 0, up.stderr)
        self.assertRegex(up.stdout, r"postgres +external")
        self.assertIn("amqp://guest:***@", up.stdout)
        # a later run, in a shell without the variables, gets the recorded URLs
        result = project.nose("--services-mode=external")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"PG_URL={pg}", result.stdout)
        self.assertIn(f"AMQP_URL={amqp}", result.stdout)
        down = project.harness("down")
        self.assertRegex(down.stdout, r"postgres +forgot")
        self.assertEqual(support.pg_query(pg, "SELECT 1")[0], 1)  # the shared server runs on


class ParsingTest(unittest.TestCase):
    def test_amqp_url_forms(self):
        cases = {
            "amqp://h": ("h:5672", "guest", "guest", "/", False),
            "amqp://u:p@h:1234/": ("h:1234", "u", "p", "/", False),
            "amqp://u:p@h//": ("h:5672", "u", "p", "/", False),
            "amqp://u:p@h/%2F": ("h:5672", "u", "p", "/", False),
            "amqp://u:p%40x@h/app": ("h:5672", "u", "p@x", "app", False),
            "amqps://h": ("h:5671", "guest", "guest", "/", True),
        }
        for url, expected in cases.items():
            params = external.amqp_params(url)
            got = (params["host"], params["userid"], params["password"], params["virtual_host"],
                   params["ssl"])
            self.assertEqual(got, expected, url)

    def test_a_non_amqp_url_is_refused_masked(self):
        with self.assertRaises(ServiceError) as caught:
            external.amqp_params(f"http://u:{SECRET}@h/")
        self.assertNotIn(SECRET, caught.exception.render())

    def test_pg_address_reads_urls_and_dsns(self):
        self.assertEqual(external.pg_address("postgresql://u@db:6543/x"), ("db", 6543))
        self.assertEqual(external.pg_address("host=db port=7000 dbname=x"), ("db", 7000))
        self.assertEqual(external.pg_address("postgresql:///x?host=/run/pg"), (None, 5432))

    def test_service_names(self):
        self.assertEqual(lifecycle.parse_kinds("amqp, pg"), ("postgres", "rabbitmq"))
        self.assertEqual(lifecycle.parse_kinds("postgresql"), ("postgres",))
        self.assertEqual(lifecycle.parse_kinds(None), lifecycle.KINDS)
        with self.assertRaises(HarnessError):
            lifecycle.parse_kinds("redis")
