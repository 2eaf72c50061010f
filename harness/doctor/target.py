"""The interpreter under inspection, probed from outside.

The doctor never imports nose in its own process: nose may be broken, or installed for another
interpreter. It runs ``probe.py`` (stdlib only, Python 3.8+) with the TARGET interpreter in a
subprocess and reads back JSON facts. Anything that needs facts about a nose install uses this
module; the option diagnostics (``harness doctor --options``, ``harness run``) share it.

Example::

    from harness.doctor.target import Target

    target = Target("/path/to/venv/bin/python", project="/path/to/project")
    facts = target.probe()                      # every section, run once and cached
    nose = facts["nose"]                        # import status, plugins, options of the parser
    [o["opts"] for o in nose["options"]]        # every option the real parser accepts
    [(p["name"], p["disabled_reason"]) for p in nose["plugins"]]
    facts["config"]["files"]                    # the config chain nose reads, value by value
    smoke = target.collect(["-a", "slow"])      # nosetests --collect-only, watched from inside

``probe()`` returns ``{section: facts}``; the keys of each section are documented in
``probe.py``. A section the probe failed on is absent and its traceback is in
``target.failed[section]``. Anything that stops the probe from running at all (missing
interpreter, timeout, garbage instead of JSON) raises ``DoctorError``: the doctor turns that into
exit code 2, not into a finding.
"""

import contextlib
import json
import os
import signal
import subprocess

from harness.errors import DoctorError

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probe.py")
ALL_SECTIONS = ("interp", "dists", "resolve", "nose", "config")
PROBE_TIMEOUT = 30.0
COLLECT_TIMEOUT = 60.0


class Target:
    """One Python interpreter whose nose install is inspected.

    ``python`` is the interpreter's path (a venv's ``bin/python`` keeps its venv: it is not
    resolved through symlinks). ``project`` is the directory nose is run from; ``env`` replaces
    ``os.environ`` for the probe (default: the current environment, so PYTHONPATH and the NOSE_*
    variables the user has apply). ``via`` records why this interpreter is a target.
    """

    def __init__(self, python, *, project=None, env=None, via=None, config_files=()):
        self.python = os.path.abspath(python)
        self.project = os.path.abspath(project or os.getcwd())
        self.env = dict(os.environ if env is None else env)
        self.via = list(via or [])
        self.config_files = [os.path.abspath(f) for f in config_files]
        self.failed = {}
        self._facts = None

    def __repr__(self):
        return f"Target({self.python!r}, project={self.project!r})"

    def _run(self, mode, request, timeout):
        if not os.path.exists(self.python):
            raise DoctorError(f"no interpreter at {self.python}",
                              fix="give an existing interpreter with --python PATH")
        if not os.access(self.python, os.X_OK):
            raise DoctorError(f"{self.python} is not executable",
                              fix="give an executable interpreter with --python PATH")
        env = dict(self.env)
        env["PYTHONIOENCODING"] = "utf-8"
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # a look must not leave bytecode behind
        env["HARNESS_DOCTOR"] = "1"  # lets plugins skip expensive begin() work (servers)
        request = dict(request, project=self.project, config_files=self.config_files)
        command = [self.python, PROBE, mode, json.dumps(request)]
        try:
            # a session of its own: on timeout the whole group goes, including servers that a
            # test module started and that would otherwise keep the pipes open
            proc = subprocess.Popen(command, cwd=self.project, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True)
        except OSError as exc:
            raise DoctorError(f"cannot run {self.python}: {exc.strerror}",
                              fix="check the interpreter with: " + f"{self.python} -V") from None
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            raise ProbeTimeout(mode, timeout, _tail(stderr)) from None
        done = subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
        try:
            out = json.loads(done.stdout.decode("utf-8", "replace"))
        except ValueError:
            if b"SyntaxError" in done.stderr:
                raise DoctorError(f"{self.python} is too old for the doctor's probe",
                                  fix="the doctor inspects Python 3.8 and newer") from None
            raise DoctorError(
                f"the probe got no answer from {self.python} (exit {done.returncode})",
                detail=_tail(done.stderr) or None,
                fix=f"run {self.python} -c 'import sys; print(sys.version)' to see what is wrong"
            ) from None
        if out.get("unsupported"):
            raise DoctorError(f"{self.python} is Python {out['unsupported']}, too old for the "
                              f"doctor's probe", fix="the doctor inspects Python 3.8 and newer")
        self.failed.update(out.get("failed", {}))
        out["stderr"] = _tail(done.stderr)
        return out

    def probe(self, sections=ALL_SECTIONS, *, timeout=PROBE_TIMEOUT):
        """Facts about the install: ``{section: facts}`` for the requested ``sections``.

        The full set is gathered once and cached; a subset (``sections=("interp",)``) is run on
        its own when nothing is cached yet, which is faster for quick questions.
        """
        if self._facts is not None:
            return {k: v for k, v in self._facts.items() if k in sections}
        out = self._run("facts", {"sections": list(sections)}, timeout)
        facts = out["sections"]
        if set(sections) >= set(ALL_SECTIONS):
            self._facts = facts
        return facts

    def collect(self, argv=(), *, timeout=COLLECT_TIMEOUT):
        """A ``nosetests --collect-only ARGV`` smoke run in the project; see ``probe.collect``.

        Returns the ``collect`` facts plus ``stderr`` (the end of what nose printed), or
        ``{"timeout": seconds, "stderr": ...}`` when collection did not finish in time.
        """
        argv = [arg for f in self.config_files for arg in ("-c", f)] + list(argv)
        try:
            out = self._run("collect", {"argv": argv, "timeout": timeout}, timeout)
        except ProbeTimeout as exc:
            return {"timeout": exc.timeout, "stderr": exc.stderr}
        facts = out["sections"].get("collect")
        if facts is None:
            raise DoctorError("the collection probe failed",
                              detail=out["failed"].get("collect"))
        facts["stderr"] = out["stderr"]
        return facts


class ProbeTimeout(DoctorError):
    def __init__(self, mode, timeout, stderr):
        super().__init__(f"the {mode} probe did not finish within {timeout:g} s",
                         detail=stderr or None)
        self.timeout = timeout
        self.stderr = stderr


def _tail(data, limit=20000):
    if not data:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text[-limit:]
