"""The installed distribution: its dependencies, its `harness` command and its nose plugins.

Read from the installed metadata (the editable install of ./dev, or the sdist tox builds), so that
a mistake in setup.cfg shows up here rather than after `pip install` on a user's machine.
"""

import os
import re
import subprocess
import sys
import unittest
from importlib.metadata import distribution

from nose.plugins import Plugin

BIN = os.path.dirname(sys.executable)


def requirement_name(requirement):
    return re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()


class PackageTest(unittest.TestCase):
    def setUp(self):
        self.dist = distribution("nose-harness")

    def test_dependencies_are_pynose_not_stock_nose(self):
        runtime = [req.replace(" ", "") for req in self.dist.requires or ()
                   if "extra==" not in req.replace(" ", "")]
        self.assertEqual(sorted(map(requirement_name, runtime)),
                         ["amqp", "psycopg2-binary", "pynose", "pyyaml", "tornado"], runtime)
        pynose = next(req for req in runtime if requirement_name(req) == "pynose")
        self.assertEqual(sorted(pynose[len("pynose"):].split(",")), ["<1.6", ">=1.5.5"])
        self.assertIn("tornado>=6.2", runtime)
        self.assertEqual(self.dist.metadata["Requires-Python"], ">=3.10")

    def test_every_plugin_entry_point_enables_with_its_name(self):
        plugins = [entry for entry in self.dist.entry_points
                   if entry.group == "nose.plugins.0.10"]
        self.assertEqual({entry.name for entry in plugins},
                         {"services", "summary", "argv-guard", "pg-fixtures", "amqp-fixtures",
                          "tornado"})
        help_text = subprocess.run([os.path.join(BIN, "nosetests"), "--help"],
                                   capture_output=True, text=True, timeout=60).stdout
        for entry in plugins:
            plugin = entry.load()
            self.assertTrue(issubclass(plugin, Plugin), entry)
            self.assertEqual(plugin.name, entry.name, entry)
            self.assertIn(f"--with-{entry.name}", help_text)

    def test_harness_help_lists_the_subcommands(self):
        [script] = [entry for entry in self.dist.entry_points
                    if entry.group == "console_scripts"]
        self.assertEqual((script.name, script.value), ("harness", "harness.cli:main"))
        result = subprocess.run([os.path.join(BIN, "harness"), "--help"], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        for command in ("doctor", "run", "services", "fixtures"):
            self.assertRegex(result.stdout, rf"(?m)^\s+{command}\s")
