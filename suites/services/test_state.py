"""The state file: 0600, locked, and never trusted: dead pids, reused pids, taken ports, orphans."""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

from harness.services import lifecycle, ports, postgres, process, state

LISTENER = ("import socket, sys, time\n"
            "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n"
            "print('ready', flush=True); time.sleep(120)\n")


class StateTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nh-state-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.statefile = state.StateFile(self.dir)

    def spawn(self, *argv):
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        self.addCleanup(self.reap, child)
        return child

    @staticmethod
    def reap(child):
        if child.poll() is None:
            child.kill()
        child.wait()

    def dead_pid(self):
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        return child.pid

    def save(self, record):
        with self.statefile.edit() as records:
            records.append(record)
        return record

    def record(self, pid, marker, port=0, root="", **fields):
        return state.Record(kind="postgres", id=f"postgres-{pid}", url=f"postgresql://x@127.0.0.1:{port}/x",
                            owner=fields.pop("owner", "up"), port=port, root=root,
                            procs=[state.Proc("postgres", pid, marker)], **fields)


class StateFileTest(StateTestCase):
    def test_file_is_private_and_round_trips(self):
        self.save(self.record(123, "m", port=5))
        mode = stat.S_IMODE(os.stat(self.statefile.path).st_mode)
        self.assertEqual(mode, 0o600)
        [loaded] = self.statefile.records()
        self.assertEqual((loaded.pid, loaded.port, loaded.procs[0].marker), (123, 5, "m"))

    def test_a_damaged_file_is_not_trusted(self):
        os.makedirs(self.dir, exist_ok=True)
        with open(self.statefile.path, "w", encoding="utf-8") as handle:
            handle.write("{not json")
        self.assertEqual(self.statefile.records(), [])
        with open(self.statefile.path, "w", encoding="utf-8") as handle:
            json.dump({"instances": [{"unexpected": 1}]}, handle)
        self.assertEqual(self.statefile.records(), [])

    def test_only_marked_directories_are_deleted(self):
        plain = tempfile.mkdtemp(prefix="nh-plain-")
        self.addCleanup(shutil.rmtree, plain, True)
        state.remove_root(plain)
        self.assertTrue(os.path.isdir(plain))
        marked = state.make_root("test")
        state.remove_root(marked)
        self.assertFalse(os.path.exists(marked))


class StaleTest(StateTestCase):
    def test_dead_pid_is_stale_and_cleaned(self):
        root = state.make_root("test")
        self.addCleanup(state.remove_root, root)
        pid = self.dead_pid()
        self.save(self.record(pid, "postgres -D", root=root))
        [(record, reason)] = lifecycle.prune(self.statefile)
        self.assertEqual(reason, f"pid {pid} is gone")
        self.assertEqual(self.statefile.records(), [])
        self.assertFalse(os.path.exists(root))

    def test_a_port_held_by_someone_else_is_stale_and_its_holder_left_alone(self):
        port = ports.free_ports(1)[0]
        holder = self.spawn(sys.executable, "-c", LISTENER, str(port))
        self.assertEqual(holder.stdout.readline().strip(), "ready")
        self.save(self.record(self.dead_pid(), "postgres -D", port=port))
        [(record, reason)] = lifecycle.prune(self.statefile)
        self.assertIn(f"port {port} is now held by another process", reason)
        self.assertIsNone(holder.poll())
        self.assertTrue(ports.listening(port))

    def test_a_reused_pid_is_stale_and_never_signalled(self):
        stranger = self.spawn("sleep", "60")
        self.save(self.record(stranger.pid, "/nose-harness-postgres-gone/data"))
        [(record, reason)] = lifecycle.prune(self.statefile)
        self.assertEqual(reason, f"pid {stranger.pid} now belongs to another program")
        time.sleep(0.05)
        self.assertIsNone(stranger.poll())

    def test_a_live_server_that_stopped_answering_is_stale(self):
        sleeper = self.spawn("sleep", "60")
        port = ports.free_ports(1)[0]
        self.save(self.record(sleeper.pid, "sleep", port=port))
        [(record, reason)] = lifecycle.prune(self.statefile)
        self.assertIn(f"does not answer on port {port}", reason)
        sleeper.wait(timeout=10)  # it was ours by its marker: it was stopped

    def test_an_orphan_of_an_ended_run_is_stopped_and_deleted(self):
        record = postgres.start_private(owner="run")
        self.addCleanup(state.discard, record)
        record.owner_pid = self.dead_pid()
        self.save(record)
        [(cleaned, reason)] = lifecycle.prune(self.statefile)
        self.assertIn("orphan", reason)
        self.assertFalse(process.alive(record.pid))
        self.assertFalse(os.path.exists(record.root))

    def test_a_healthy_instance_of_a_live_run_is_kept(self):
        record = postgres.start_private(owner="run")
        self.addCleanup(state.discard, record)
        self.save(record)
        self.assertEqual(lifecycle.prune(self.statefile), [])
        self.assertEqual([each.id for each in self.statefile.records()], [record.id])


CHILD = """
import json, os, signal, sys
from harness.services import postgres
record = postgres.start_private(owner=sys.argv[1])
print(json.dumps(record.to_json()), flush=True)
if sys.argv[1] == "run":
    os.kill(os.getpid(), signal.SIGKILL)  # a run killed before it could record or stop anything
"""


class SweepTest(unittest.TestCase):
    def child_start(self, owner):
        out = subprocess.run([sys.executable, "-c", CHILD, owner], capture_output=True, text=True,
                             timeout=120)
        record = state.Record(**json.loads(out.stdout.splitlines()[-1]))
        self.addCleanup(state.discard, record)
        return record

    def test_debris_of_a_killed_run_is_stopped_and_deleted(self):
        record = self.child_start("run")
        self.assertTrue(process.alive(record.pid))
        removed = state.sweep()
        self.assertIn(record.root, removed)
        self.assertFalse(process.alive(record.pid))
        self.assertFalse(os.path.exists(record.root))

    def test_a_running_up_instance_is_not_debris(self):
        record = self.child_start("up")
        self.assertNotIn(record.root, state.sweep())
        self.assertTrue(process.alive(record.pid))
        state.discard(record)
        self.assertFalse(os.path.exists(record.root))
