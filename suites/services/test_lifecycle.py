"""`harness services up|status|env|down` and the nose plugin, on real private servers.

One `up` of both servers is shared by the first class (a RabbitMQ boot costs seconds); every
class stops what it started, even when a test fails.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness.errors import ServiceError
from harness.services import binaries, lifecycle, postgres, process, state
from suites.services import support

UP = {}


def setUpModule():
    try:
        binaries.find_postgres()
        binaries.find_rabbitmq()
    except ServiceError as error:
        raise unittest.SkipTest(f"private servers cannot start here: {error.message}") from None
    project = support.child_project()
    UP["project"] = project
    UP["up"] = project.harness("up")
    UP["records"] = {record.kind: record for record in
                     state.StateFile(project.state_dir).records()}


def tearDownModule():
    if "project" in UP:
        UP["project"].remove()


def listening_addresses(pid):
    """Local addresses the process ``pid`` listens on, from ``ss``."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
    return [line.split()[3] for line in out.splitlines() if f"pid={pid}," in line]


class UpTest(unittest.TestCase):
    def setUp(self):
        self.project = UP["project"]
        self.assertEqual(UP["up"].returncode, 0, UP["up"].stderr)
        self.pg = UP["records"]["postgres"]
        self.rabbit = UP["records"]["rabbitmq"]

    def test_up_reports_each_step_and_its_duration(self):
        out = UP["up"].stdout
        steps = re.findall(r"^(postgres|rabbitmq) +(.+?) +(\d+) ms$", out, re.MULTILINE)
        kinds = {kind for kind, _, _ in steps}
        self.assertEqual(kinds, {"postgres", "rabbitmq"}, out)
        self.assertTrue(any("rabbitmq-server" in step for _, step, _ in steps), out)
        self.assertRegex(out, r"rabbitmq +started +amqp://guest:\*\*\*@127\.0\.0\.1:\d+/")
        self.assertNotIn("guest:guest", out)

    def test_both_servers_answer_and_listen_on_loopback_only(self):
        self.assertEqual(support.pg_query(self.pg.url, "SELECT 1")[0], 1)
        self.assertEqual(support.amqp_roundtrip(self.rabbit.url, "up"), "up")
        for record in (self.pg, self.rabbit):
            addresses = listening_addresses(record.pid)
            self.assertTrue(addresses, record)
            self.assertTrue(all(address.startswith("127.0.0.1:") for address in addresses),
                            addresses)

    def test_private_node_shares_no_name_port_or_epmd_with_the_machine(self):
        ports = self.rabbit.ports
        self.assertTrue(self.rabbit.extra["node"].startswith("harness-"))
        self.assertNotIn(ports["amqp"], (5672, 25672, 4369))
        self.assertNotIn(ports["epmd"], (4369,))
        self.assertEqual(len({ports["amqp"], ports["dist"], ports["epmd"]}), 3)
        epmd = self.rabbit.procs[1]
        self.assertTrue(process.is_ours(epmd.pid, f"epmd -port {ports['epmd']}"))

    def test_up_again_reuses_the_running_instances(self):
        again = self.project.harness("up")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertRegex(again.stdout, r"postgres +reused")
        self.assertRegex(again.stdout, r"rabbitmq +reused")
        records = state.StateFile(self.project.state_dir).records()
        self.assertEqual(sorted(record.pid for record in records),
                         sorted((self.pg.pid, self.rabbit.pid)))

    def test_status_checks_health(self):
        result = self.project.harness("status")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"postgres +ok ")
        self.assertRegex(result.stdout, r"rabbitmq +ok ")
        self.assertIn(f"ERL_EPMD_PORT={self.rabbit.ports['epmd']} ", result.stdout)
        hint = re.search(r"rabbitmqctl: (.*)", result.stdout).group(1)
        ctl = subprocess.run(hint, shell=True, capture_output=True, text=True, timeout=120)
        self.assertEqual(ctl.returncode, 0, ctl.stdout + ctl.stderr)
        self.assertIn(self.rabbit.extra["node"], ctl.stdout)
        self.assertNotIn("guest:guest", result.stdout)

    def test_env_exports_through_eval_and_never_prints_the_password(self):
        shown = self.project.harness("env")
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn(f"export HARNESS_PG_URL={self.pg.url}\n", shown.stdout)  # no password
        amqp_file = os.path.join(self.project.state_dir, "amqp.url")
        self.assertIn(f"export HARNESS_AMQP_URL=\"$(cat {amqp_file})\"  # amqp://guest:***@",
                      shown.stdout)
        self.assertNotIn("guest:guest", shown.stdout + shown.stderr)
        self.assertEqual(os.stat(amqp_file).st_mode & 0o777, 0o600)
        harness = os.path.join(support.BIN, "harness")
        script = (f'eval "$({harness} services env)" && '
                  'printf "%s\\n%s\\n" "$HARNESS_PG_URL" "$HARNESS_AMQP_URL"')
        result = subprocess.run(["bash", "-c", script], cwd=self.project.dir,
                                env=support.clean_env(), capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), [self.pg.url, self.rabbit.url])
        self.assertEqual(support.amqp_roundtrip(result.stdout.splitlines()[1], "eval"), "eval")

    def test_a_test_run_reuses_them_and_leaves_them_running(self):
        result = self.project.nose()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"PG_URL={self.pg.url}", result.stdout)
        self.assertIn(f"AMQP_URL={self.rabbit.url}", result.stdout)
        self.assertTrue(process.alive(self.pg.pid))
        self.assertTrue(process.alive(self.rabbit.pid))


class PluginPrivateRunTest(unittest.TestCase):
    def setUp(self):
        self.project = support.child_project()
        self.addCleanup(self.project.remove)

    def test_a_run_starts_both_privately_and_stops_them_at_the_end(self):
        run_dir = support.run_dir(self)
        result = self.project.nose("--services-mode=private",
                                   env=support.clean_env(HARNESS_RUN_DIR=run_dir))
        self.assertEqual(result.returncode, 0, result.stderr)
        pg_url = re.search(r"PG_URL=(\S+)", result.stdout).group(1)
        amqp_url = re.search(r"AMQP_URL=(\S+)", result.stdout).group(1)
        self.assertNotIn(pg_url, (UP["records"]["postgres"].url,))
        self.assertNotIn(amqp_url, (UP["records"]["rabbitmq"].url,))
        self.assertIn("services: PostgreSQL", result.stderr)
        self.assertNotIn("guest:guest", result.stderr)
        self.assertEqual(state.StateFile(self.project.state_dir).records(), [])
        self.assertEqual(os.listdir(run_dir), [])
        with self.assertRaises(ServiceError):
            lifecycle.check("postgres", pg_url, timeout=1)

    def test_only_the_servers_asked_for_are_started(self):
        result = self.project.nose("--services-mode=private", "--services=postgres")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("PG_URL=", result.stdout)
        self.assertNotIn("AMQP_URL=", result.stdout)
        self.assertNotIn("RabbitMQ", result.stderr)

    def test_setup_cfg_chooses_the_mode_and_the_servers(self):
        project = support.child_project(
            "[harness]\nservices_mode = private\nservices = postgres\n")
        self.addCleanup(project.remove)
        result = project.nose()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("PG_URL=", result.stdout)
        self.assertNotIn("AMQP_URL=", result.stdout)

    def test_a_bad_setting_names_its_file_and_line(self):
        project = support.child_project("[harness]\nservices = postgres,redis\n")
        self.addCleanup(project.remove)
        result = project.nose()
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown service 'redis'", result.stderr)
        self.assertIn("setup.cfg:2", result.stderr)
        self.assertNotIn("Traceback", result.stderr)

    def test_sigterm_stops_the_servers_of_the_run(self):
        project = support.Project({"test_slow.py": """
            import os, time
            def test_wait():
                open("started", "w").write(os.environ["HARNESS_PG_URL"])
                time.sleep(60)
        """})
        self.addCleanup(project.remove)
        child = subprocess.Popen(
            [os.path.join(support.BIN, "nosetests"), "--with-services", "--services=postgres",
             "--services-mode=private"], cwd=project.dir, env=support.clean_env(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: child.poll() is None and child.kill())
        marker = os.path.join(project.dir, "started")
        deadline = time.monotonic() + 60
        while not os.path.exists(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        [record] = state.StateFile(project.state_dir).records()
        child.send_signal(signal.SIGTERM)
        self.assertEqual(child.wait(timeout=30), -signal.SIGTERM)
        self.assertFalse(process.alive(record.pid))
        self.assertEqual(state.StateFile(project.state_dir).records(), [])

    def test_two_concurrent_runs_get_their_own_servers(self):
        argv = [os.path.join(support.BIN, "nosetests"), "--with-services", "-s",
                "--services-mode=private", "--services=postgres"]
        runs = [subprocess.Popen(argv, cwd=self.project.dir, env=support.clean_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
        outputs = [run.communicate(timeout=120) for run in runs]
        self.assertEqual([run.returncode for run in runs], [0, 0], outputs)
        urls = {re.search(r"PG_URL=(\S+)", out).group(1) for out, _ in outputs}
        self.assertEqual(len(urls), 2, urls)
        self.assertEqual(state.StateFile(self.project.state_dir).records(), [])

    def test_two_sessions_never_share_port_or_directory(self):
        one = lifecycle.provide(mode="private", kinds=("postgres",),
                                state_dir=self.project.state_dir)
        self.addCleanup(one.release)
        two = lifecycle.provide(mode="private", kinds=("postgres",),
                                state_dir=self.project.state_dir)
        self.addCleanup(two.release)
        first, second = one.records["postgres"], two.records["postgres"]
        self.assertNotEqual(first.port, second.port)
        self.assertNotEqual(first.root, second.root)
        # the second did not reuse the first: only `up` instances are shared
        self.assertEqual(len(state.StateFile(self.project.state_dir).records()), 2)

    def test_two_private_rabbitmq_nodes_share_no_name_port_or_directory(self):
        sessions = [lifecycle.provide(mode="private", kinds=("rabbitmq",),
                                      state_dir=self.project.state_dir) for _ in range(2)]
        for session in sessions:
            self.addCleanup(session.release)
        first, second = (session.records["rabbitmq"] for session in sessions)
        self.assertNotEqual(first.extra["node"], second.extra["node"])
        self.assertFalse(set(first.ports.values()) & set(second.ports.values()),
                         (first.ports, second.ports))
        self.assertNotEqual(first.root, second.root)
        self.assertEqual(support.amqp_roundtrip(first.url, "one"), "one")
        self.assertEqual(support.amqp_roundtrip(second.url, "two"), "two")


class StaleUpTest(unittest.TestCase):
    def setUp(self):
        self.project = support.Project()
        self.addCleanup(self.project.remove)

    def test_a_killed_rabbitmq_is_reported_cleaned_and_its_epmd_stopped(self):
        up = self.project.harness("up", "--services=rabbitmq")
        self.assertEqual(up.returncode, 0, up.stdout + up.stderr)
        [record] = state.StateFile(self.project.state_dir).records()
        epmd = record.procs[1]
        os.kill(record.pid, signal.SIGKILL)
        process.wait_gone(record.pid, 10)
        status = self.project.harness("status")
        self.assertIn(f"cleaned stale record {record.id}", status.stdout)
        self.assertIn(f"pid {record.pid} is gone", status.stdout)
        self.assertEqual(status.stdout.count("cleaned stale"), 1, status.stdout)
        self.assertFalse(process.alive(epmd.pid))
        self.assertFalse(os.path.exists(record.root))
        self.assertEqual(state.StateFile(self.project.state_dir).records(), [])

    def test_up_replaces_a_dead_postgres_and_down_stops_the_new_one(self):
        first = self.project.harness("up", "--services=postgres")
        [dead] = state.StateFile(self.project.state_dir).records()
        os.kill(dead.pid, signal.SIGQUIT)  # the server stops behind the harness's back
        process.wait_gone(dead.pid, 10)
        second = self.project.harness("up", "--services=postgres")
        self.assertEqual((first.returncode, second.returncode), (0, 0), second.stderr)
        self.assertIn(f"cleaned stale record {dead.id}", second.stdout)
        self.assertRegex(second.stdout, r"postgres +started")
        [fresh] = state.StateFile(self.project.state_dir).records()
        self.assertNotEqual(fresh.pid, dead.pid)
        self.assertTrue(os.path.isdir(os.path.join(fresh.root, "data")), fresh.root)
        down = self.project.harness("down")
        self.assertRegex(down.stdout, r"postgres +stopped")
        self.assertFalse(process.alive(fresh.pid))
        self.assertFalse(os.path.exists(fresh.root), "down left the data directory behind")

    def test_an_external_url_recorded_by_up_that_stops_answering_is_dropped(self):
        server = postgres.start_private(owner="up")
        self.addCleanup(state.discard, server)
        env = support.clean_env(HARNESS_PG_URL=server.url)
        up = self.project.harness("up", "--services=postgres", env=env)
        self.assertRegex(up.stdout, r"postgres +external")
        state.discard(server)
        status = self.project.harness("status", "--services=postgres")
        self.assertEqual(status.returncode, 1)
        self.assertIn(f"127.0.0.1:{server.port}", status.stdout)
        result = self.project.harness("up", "--services=postgres")
        self.assertIn("no longer answers", result.stdout)
        self.assertRegex(result.stdout, r"postgres +started")


class UrlFileTest(unittest.TestCase):
    def test_down_deletes_the_url_files_of_the_kinds_it_stops(self):
        state_dir = tempfile.mkdtemp(prefix="nh-state-")
        self.addCleanup(shutil.rmtree, state_dir, True)
        amqp = lifecycle.write_url_file("rabbitmq", "amqp://u:pw@127.0.0.1:1//",
                                        state_dir=state_dir)
        pg = lifecycle.write_url_file("postgres", "postgresql://u:pw@127.0.0.1:1/x",
                                      state_dir=state_dir)
        with open(amqp, encoding="utf-8") as handle:
            self.assertEqual(handle.read(), "amqp://u:pw@127.0.0.1:1//")
        self.assertEqual(os.stat(amqp).st_mode & 0o777, 0o600)
        lifecycle.down(state_dir=state_dir, kinds=("rabbitmq",))
        self.assertFalse(os.path.exists(amqp))
        self.assertTrue(os.path.exists(pg))


class RabbitStartFailureTest(unittest.TestCase):
    def test_a_node_that_cannot_start_shows_its_log_and_leaves_nothing(self):
        import socket

        from harness.services import rabbitmq

        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        self.addCleanup(holder.close)
        port = holder.getsockname()[1]
        run_dir = support.run_dir(self)
        with self.assertRaises(ServiceError) as caught:
            rabbitmq.start_private(amqp_port=port,
                                   environ=dict(os.environ, HARNESS_RUN_DIR=run_dir))
        text = caught.exception.render()
        self.assertIn("exited during boot", text)
        self.assertIn("lines of", text)
        self.assertIn(f"could_not_start_listener,\"127.0.0.1\",{port}", text)
        self.assertEqual(os.listdir(run_dir), [])


class FinalizeOrderTest(unittest.TestCase):
    def test_plugins_with_lower_scores_can_still_use_the_servers_in_finalize(self):
        project = support.Project({
            "test_nothing.py": "def test_nothing():\n    pass\n",
            "run.py": """
                import os
                import nose
                import psycopg2
                from nose.plugins import Plugin
                from harness.plugins.services import Services


                class Cleanup(Plugin):
                    name = "cleanup"
                    score = 2000  # like the fixture plugins: finalized after services (3000)
                    enabled = True

                    def configure(self, options, conf):
                        self.enabled = True

                    def finalize(self, result):
                        with psycopg2.connect(os.environ["HARNESS_PG_URL"]) as connection:
                            connection.cursor().execute("SELECT 1")
                        connection.close()
                        print("CLEANUP-CONNECTED", flush=True)


                nose.main(argv=["nosetests", "--with-services", "--services=postgres",
                                "--services-mode=private", "test_nothing.py"],
                          addplugins=[Services(), Cleanup()])
            """})
        self.addCleanup(project.remove)
        result = subprocess.run([os.path.join(support.BIN, "python"), "run.py"], cwd=project.dir,
                                env=support.clean_env(), capture_output=True, text=True,
                                timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("CLEANUP-CONNECTED", result.stdout)
        self.assertEqual(state.StateFile(project.state_dir).records(), [])
