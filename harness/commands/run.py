"""Run nosetests with the given arguments, and explain option and collection failures.

usage: harness run [--json] [--no-guard] [--isolate] [--harness-help] [--] [NOSE ARGUMENTS...]

`harness run` takes the same arguments as `nosetests` and can replace it in CI. It runs nose in
this interpreter, in a subprocess, with the argv guard on (see harness.plugins.argvguard), and
passes nose's output through. When the run fails on its options or during collection, it says
where the failure came from, on stderr: an option this install does not know (a typo, an
ambiguous abbreviation, a plugin that failed to load, was disabled, or is installed for another
interpreter), a bad value from a config file (file:line) or a NOSE_* variable (also one that
crashes nose or a plugin after parsing), a -w directory that is missing or a file, or a module
imported during collection that parsed sys.argv itself (file and line). nose's own "no such
option" and a foreign parser's are byte for byte the same; the guard tells them apart by
recording who raised SystemExit, and from where.

Harness flags come first, before any nose argument, and only as exact words; `--` ends them (use
it when a nose argument is spelled like one of them: `harness run -- --json`):

  --json       print a JSON report on stdout (nose's stdout then goes to stderr)
  --no-guard   run without the argv guard
  --isolate    hide nose's arguments from code imported during collection (--argv-isolate)
  --harness-help  show this text (`harness run --help` is nose's help)

Exit code: nose's own, except a run that ends green although a test module raised SystemExit
during collection (the tests after it never ran): that run fails with exit code 1.

JSON report, schema "nose-harness.run/1" (fields may be added; the schema string changes only on
incompatible changes): {"schema", "exit_code", "nose_exit_code", "python", "project", "argv",
"guard": {"enabled", "armed", "isolate"}, "findings": [...], "events": [...]}. A finding has the
doctor's shape (docs/doctor.md): {"id", "severity", "title", "evidence", "fix", "family": "run",
"origin": "nose | foreign | config | env | collection", "file", "line"}. "armed" says that nose's
parser accepted the command line and collection started. The ids: run.foreign-parser,
run.foreign-exit, run.foreign-unlocated, run.green-but-empty, run.unknown-option, run.typo,
run.ambiguous-option, run.plugin-failed, run.plugin-disabled, run.plugin-other-python,
run.missing-value, run.bad-value, run.rejected, run.config-<any of the option ids>,
run.config-bad-value, run.config-unreadable, run.env-bad-value, run.where-missing,
run.where-is-file, run.where-multiline, run.where-several (a warning), run.where-relative-name,
run.nose-crashed, run.uninspected. An event is what the argv guard saw: {"kind": "parse | read |
exit", "api", "file", "line", "code", "module", "argv", "isolated", "exit_code"}.

Examples:

  harness run -x -v tests
  harness run --json -- -w tests
"""

import collections

RAW_ARGS = True
FLAGS = ("--json", "--no-guard", "--isolate", "--harness-help")


def configure(parser):
    pass  # RAW_ARGS: the command line is split by split_flags()


def split_flags(rest):
    """(harness flags, nose arguments): exact harness flags before the first nose argument."""
    flags = set()
    rest = list(rest)
    while rest and rest[0] in FLAGS:
        flags.add(rest.pop(0))
    if rest and rest[0] == "--":
        rest.pop(0)
    return flags, rest


def run(args):
    import json
    import sys

    flags, nose_args = split_flags(args.rest)
    if "--harness-help" in flags:
        sys.stdout.write(__doc__)
        return 0
    report, findings = run_nose(nose_args, guard="--no-guard" not in flags,
                                isolate="--isolate" in flags, json_mode="--json" in flags)
    if "--json" in flags:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for finding in findings:
            text = finding.render().replace("\n", "\n" + " " * len("harness run: "))
            sys.stderr.write(f"harness run: {text}\n")
    return report["exit_code"]


EXPLAINED_CRASHES = ("where-missing", "where-is-file", "where-multiline", "env-bad-value",
                     "config-bad-value")
_SEVERAL_WHERE = b"DeprecationWarning: Use of multiple -w arguments"


class StderrFilter:
    """Passes nose's stderr through, line by line, except two things it replaces by one line.

    A traceback whose exception line is a known user mistake (nose's ValueError for a bad -w, or a
    crash inside nose's config code) is held back until the end of the run: if the diagnosis
    explains it, the one-line explanation replaces it. nose's two-line DeprecationWarning for
    several -w becomes the finding's one line.
    """

    def __init__(self, out, several_where_line):
        self.out = out
        self.several_where_line = several_where_line
        self.block = None  # lines of a traceback being read
        self.held = None  # a complete traceback kept back
        self.skip_source_line = False
        self.several_done = False
        self.tail = collections.deque(maxlen=200)  # what the diagnosis reads

    def feed(self, raw):
        self.tail.append(raw)
        if self.skip_source_line:
            self.skip_source_line = False
            if raw.startswith(b"  "):
                return
        if _SEVERAL_WHERE in raw and self.several_where_line:
            self._write(self.several_where_line)
            self.several_done = True
            self.skip_source_line = True
            return
        if self.block is not None:
            self.block.append(raw)
            if raw[:1] not in (b" ", b"\t") and not self._message_goes_on(self.block):
                block, self.block = self.block, None
                if self._condensable(block):
                    self.held = b"".join(block)
                else:
                    self._write(b"".join(block))
            return
        self._flush_held()  # more output follows: the held traceback was not the last word
        if raw.startswith(b"Traceback (most recent call last):"):
            self.block = [raw]
            return
        self._write(raw)

    @staticmethod
    def _message_goes_on(block):
        """nose's -w error quotes the value, and a multi-line `where =` spans several lines."""
        text = b"".join(block)
        start = text.rfind(b"ValueError: Working directory '")
        return start >= 0 and b"not a directory" not in text[start:]

    def _condensable(self, block):
        last = block[-1]
        return (b"' not found, or not a directory" in last or
                (b"/nose/config.py" in b"".join(block) and
                 last.startswith((b"ValueError", b"re.error", b"re.PatternError"))))

    def _flush_held(self):
        if self.held:
            self._write(self.held)
            self.held = None

    def _write(self, data):
        self.out.write(data)
        self.out.flush()

    def close(self, drop_held):
        if self.block:
            self._write(b"".join(self.block))
            self.block = None
        if not drop_held:
            self._flush_held()

    def text(self):
        return b"".join(self.tail).decode("utf-8", "replace")


def nose_command(python, nose_args):
    """The command that runs nose the way the `nosetests` script next to ``python`` does."""
    import os
    script = os.path.join(os.path.dirname(python), "nosetests")
    if os.path.isfile(script):
        return [python, script, *nose_args]
    boot = "import sys; from nose.core import run_exit; sys.argv[0] = 'nosetests'; run_exit()"
    return [python, "-c", boot, *nose_args]


def run_nose(nose_args, *, guard=True, isolate=False, json_mode=False):
    """Run nose, pass its output through, and diagnose the run.

    Returns ``(report, findings)``: the JSON report, and the findings still to print (a finding
    already printed in place of nose's own warning is left out).
    """
    import os
    import subprocess
    import sys
    import tempfile

    from harness import argv as argv_guard
    from harness import options
    from harness.plugins.argvguard import EVENTS_ENV

    python = sys.executable
    cwd = os.getcwd()
    user_env = dict(os.environ)
    env = dict(user_env)
    handle, events_path = tempfile.mkstemp(prefix="harness-argv-", suffix=".jsonl")
    os.close(handle)
    if guard:
        env["NOSE_WITH_ARGV_GUARD"] = "1"  # not on argv: foreign parsers see what the user typed
        env[EVENTS_ENV] = events_path
    if isolate:
        env["NOSE_ARGV_ISOLATE"] = "1"
    several = options.explain_several_where(nose_args, cwd)
    out = sys.stderr.buffer
    filtered = StderrFilter(out, f"harness run: {several.render()}\n".encode() if several else b"")
    try:
        child = subprocess.Popen(nose_command(python, nose_args), cwd=cwd, env=env,
                                 stdin=subprocess.DEVNULL,
                                 stdout=out if json_mode else None, stderr=subprocess.PIPE)
        try:
            for raw in child.stderr:
                filtered.feed(raw)
            nose_exit = child.wait()
        except KeyboardInterrupt:
            child.terminate()
            raise
        armed, events = argv_guard.read_events(events_path)
    finally:
        os.unlink(events_path)

    def install():
        from harness.doctor.target import Target
        from harness.errors import HarnessError
        target = Target(python, project=cwd, env=user_env)
        try:
            return options.Install(target.probe(("interp", "nose", "config")), python=python)
        except HarnessError:
            return None  # the finding says so; nose's exit code is kept either way

    findings, failed_empty = options.diagnose_run(
        argv=nose_args, exit_code=nose_exit, stderr=filtered.text(), armed=armed, events=events,
        held=(filtered.held or b"").decode("utf-8", "replace"), install_loader=install,
        environ=user_env, project=cwd, guard=guard)
    explained = any(f.cause in EXPLAINED_CRASHES for f in findings)
    filtered.close(drop_held=explained)
    shown = [f for f in findings
             if not (filtered.several_done and f.render() == several.render())]
    report = {
        "schema": "nose-harness.run/1", "python": python, "project": cwd,
        "argv": list(nose_args),
        "exit_code": 1 if failed_empty else nose_exit, "nose_exit_code": nose_exit,
        "guard": {"enabled": guard, "armed": armed is not None, "isolate": isolate},
        "findings": [f.to_json() for f in findings],
        "events": [e.to_json() for e in events],
    }
    return report, shown
