"""Argv guard: catch test modules that parse nose's command line while nose imports them.

A module that runs ``OptionParser().parse_args()``, an argparse or click command line,
``unittest.main()`` or ``setup()`` at import time sees nose's arguments. Its error looks exactly
like nose's own (``nosetests: error: no such option: -x``), or its ``SystemExit`` ends the run
early, sometimes green with no tests. The guard names the file and line when it happens. The
work is done by ``harness.argv``; this plugin only wires it into nose's importer.

Enable it with ``--with-argv-guard`` (``harness run`` turns it on by default) or in setup.cfg::

    [nosetests]
    with-argv-guard = 1

``--argv-isolate`` (or ``NOSE_ARGV_ISOLATE=1``) also hides nose's arguments from the imported code
(it sees ``sys.argv == [argv0]``) and turns a SystemExit at import into an error of that module,
so that the rest of the run goes on. When everything is fine the guard prints nothing.

Example, with ``options, args = parser.parse_args()`` on line 6 of ``tests/helper.py``::

    $ nosetests --with-argv-guard -x
    argv-guard: optparse parses nose's command line at tests/helper.py:6 while importing
    tests/test_a.py; it sees: --with-argv-guard -x
      fix: parse the command line only under `if __name__ == '__main__':` (or pass the
      arguments explicitly, e.g. parse_args([])); to run anyway, hide nose's arguments with
      `harness run --isolate` or `nosetests --argv-isolate`
    Usage: nosetests [options]

    nosetests: error: no such option: --with-argv-guard
    argv-guard: SystemExit(2) raised at tests/helper.py:6 (optparse) while importing
    tests/test_a.py: the run stops here

(Lines wrapped here.) Under ``harness run`` the fix is printed once, with its explanation.
"""

import os
import sys

from nose.plugins import Plugin

from harness.argv import Guard, fix_for

# harness run passes the events file this way, so that nose's argv stays what the user typed.
EVENTS_ENV = "HARNESS_ARGV_EVENTS"


class ArgvGuard(Plugin):
    """Report test modules that parse sys.argv or raise SystemExit while nose imports them."""

    name = "argv-guard"
    score = 5000

    def options(self, parser, env):
        super().options(parser, env)
        parser.add_option(
            "--argv-isolate", action="store_true", dest="argv_isolate",
            default=bool(env.get("NOSE_ARGV_ISOLATE")),
            help="Hide nose's arguments from code imported during collection (it sees only "
                 "argv[0]) and make a SystemExit at import an error of that module. Implies "
                 "--with-argv-guard. [NOSE_ARGV_ISOLATE]")

    def configure(self, options, conf):
        super().configure(options, conf)
        isolate = bool(getattr(options, "argv_isolate", False))
        self.enabled = bool(self.enabled) or isolate
        if not self.enabled:
            return
        self._fixed = set()
        self.under_harness_run = bool(os.environ.get(EVENTS_ENV))
        self.guard = Guard(isolate=isolate, on_event=self._report,
                           events_path=os.environ.get(EVENTS_ENV))

    def begin(self):
        self.guard.start()

    def prepareTestLoader(self, loader):
        importer = loader.importer
        original = importer.importFromPath
        guard = self.guard

        def importFromPath(path, fqname):
            with guard.importing(path):
                return original(path, fqname)

        importer.importFromPath = importFromPath

    def _report(self, event):
        if event.kind == "read":
            return  # plain code looking at sys.argv is common; the events file still has it
        lines = [f"argv-guard: {event.describe()}"]
        place = (event.api, event.file, event.line)
        if place not in self._fixed and not self.under_harness_run:
            self._fixed.add(place)  # harness run prints the fix with its explanation
            lines.append(f"  fix: {fix_for(event.api, event.isolated)}")
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()
