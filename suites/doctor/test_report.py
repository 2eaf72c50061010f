"""Output: the JSON schema, the text report's marks, colour rules, and exit codes."""

import ast
import glob
import io
import json
import os
import re
from contextlib import redirect_stderr, redirect_stdout

from harness.doctor.checks.compat import specifier_allows
from harness.doctor.findings import Finding, cap
from harness.doctor.scripts import read
from suites.doctor.doctoring import ROOT, doctor, project, python, scratch


def test_json_schema_is_stable():
    run = doctor("--python", python("stock-3.12"), project=project())
    data = run.data
    assert data["schema"] == "nose-harness.doctor/1"
    assert set(data) == {"schema", "status", "exit_code", "project", "duration_s", "targets",
                         "families", "findings", "counts"}
    assert data["status"] == "problems" and data["exit_code"] == run.code == 1
    assert set(data["findings"][0]) == {"id", "severity", "title", "evidence", "fix", "family",
                                        "target", "file", "line"}
    assert {f["name"] for f in data["families"]} >= {
        "compat", "ownership", "resolution", "command", "plugins", "config", "collection",
        "leftovers"}
    assert set(data["targets"][0]) == {"python", "via", "version", "nose", "config_files",
                                       "tests_collected", "skipped", "error"}
    assert set(data["targets"][0]["nose"]) == {"distributions", "version", "path", "imports"}
    assert all(set(f) == {"name", "title", "scope", "status"} for f in data["families"])
    assert set(data["counts"]) == {"error", "warning", "info"}
    assert data["counts"]["error"] == sum(f["severity"] == "error" for f in data["findings"])


def test_every_finding_id_is_documented():
    sources = glob.glob(os.path.join(ROOT, "harness", "doctor", "**", "*.py"), recursive=True)
    emitted = set()
    for path in sources:  # Finding("family.slug", ...) calls; examples in docstrings do not count
        with open(path) as handle:
            tree = ast.parse(handle.read())
        emitted |= {node.args[0].value for node in ast.walk(tree)
                    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding"
                    and node.args and isinstance(node.args[0], ast.Constant)}
    with open(os.path.join(ROOT, "docs", "doctor.md")) as handle:
        documented = set(re.findall(r"^\| `([a-z]+\.[a-z-]+)` \|", handle.read(), re.M))
    assert len(emitted) > 40, emitted  # the pattern still finds the ids
    assert not emitted - documented, f"not in docs/doctor.md: {sorted(emitted - documented)}"
    assert not documented - emitted, f"documented, never emitted: {sorted(documented - emitted)}"


def test_text_report_marks_and_no_colour_when_piped():
    run = doctor("--python", python("stock-3.12"), project=project(), json_out=False)
    assert "✗ nose 1.3.7 imports the 'imp' module" in run.stdout
    assert "✓ one distribution owns nose" in run.stdout
    assert "fix: " in run.stdout and "\033[" not in run.stdout


def test_missing_interpreter_is_exit_2_without_traceback():
    run = doctor("--python", "/nonexistent/python3", project=project(), json_out=False)
    assert run.code == 2
    assert "no interpreter at /nonexistent/python3" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_missing_project_is_exit_2():
    run = doctor("--project", scratch("x") + "/missing", json_out=False)
    assert run.code == 2 and "no project directory" in run.stderr


def test_missing_project_under_json_is_a_json_failure():
    missing = scratch("x") + "/missing"
    run = doctor("--project", missing)
    assert run.code == 2 and run.data is not None, (run.stdout, run.stderr)
    assert set(run.data) == {"schema", "status", "exit_code", "error"}
    assert run.data["status"] == "failed" and run.data["exit_code"] == 2
    assert f"no project directory {missing}" in run.data["error"]


def _crashing_doctor(*args):
    """The CLI in this process, with diagnose() raising as a bug in the doctor would."""
    from harness import cli
    from harness.doctor import diagnosis

    def boom(*_, **__):
        raise TypeError("unhashable type: 'list'\nsecond line")
    saved, diagnosis.diagnose = diagnosis.diagnose, boom
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = cli.main(["doctor", "--no-collect", "--project", project(), *args])
    finally:
        diagnosis.diagnose = saved
    return code, out.getvalue(), err.getvalue()


def test_unexpected_error_is_exit_2_with_one_line():
    code, out, err = _crashing_doctor()
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith("harness doctor: internal error: TypeError: unhashable type: 'list' "
                           "second line (" + os.path.join(ROOT, "suites"))
    assert line.endswith("please report this")


def test_unexpected_error_under_json_says_it_failed():
    code, out, err = _crashing_doctor("--json")
    data = json.loads(out)
    assert code == 2 and err == ""
    assert (data["schema"], data["status"], data["exit_code"]) == (
        "nose-harness.doctor/1", "failed", 2)
    assert data["error"].startswith("internal error: TypeError: unhashable type")


def test_colour_only_on_a_tty_and_never_with_no_color():
    from harness.doctor.report import use_colour

    class Tty(io.StringIO):
        def isatty(self):
            return True
    saved = os.environ.pop("NO_COLOR", None)
    try:
        assert use_colour(Tty()) and not use_colour(io.StringIO())
        os.environ["NO_COLOR"] = "1"
        assert not use_colour(Tty())
        os.environ["NO_COLOR"] = ""  # no-color.org: present and empty counts as unset
        assert use_colour(Tty())
    finally:
        os.environ.pop("NO_COLOR", None)
        if saved is not None:
            os.environ["NO_COLOR"] = saved


def test_finding_rejects_unknown_severity_and_caps_evidence():
    try:
        Finding("x.y", "fatal", "t")
    except ValueError:
        pass
    else:
        raise AssertionError("severity 'fatal' accepted")
    assert Finding("compat.x", "error", "t").family == "compat"
    assert cap(range(10), 3) == [0, 1, 2, "... and 7 more"]


def test_requires_python_specifiers():
    assert specifier_allows(">=3.7", (3, 12, 1))
    assert not specifier_allows(">=3.7,<3.12", (3, 12, 1))
    assert not specifier_allows("!=3.12.*", (3, 12, 1))
    assert specifier_allows("~=3.8", (3, 13, 0)) and not specifier_allows("~=3.8.1", (3, 9, 0))


def test_shebang_forms():
    directory = scratch("shebang")
    long = directory + "/long"
    with open(long, "w") as handle:
        handle.write("#!/bin/sh\n'''exec' \"/very/long/venv/bin/python\" \"$0\" \"$@\"\n' '''\n")
    assert read(long).interpreter == "/very/long/venv/bin/python"
    # env resolves the name through the PATH the script would run with, not the doctor's
    bin_dir = scratch("env-bin")
    fake = os.path.join(bin_dir, "python3")
    with open(fake, "w") as handle:
        handle.write("#!/bin/sh\n")
    os.chmod(fake, 0o755)
    env = directory + "/env"
    with open(env, "w") as handle:
        handle.write("#!/usr/bin/env -S python3 -u\n")
    assert read(env, env_path=bin_dir).interpreter == fake
    assert read(env, env_path=scratch("empty-bin")).interpreter == "python3"


def test_interpreter_too_old_for_the_probe_is_exit_2():
    from suites.doctor.envs import find_python
    old = find_python("3.7")
    run = doctor("--python", old, "--no-collect", project=project())
    assert run.code == 2 and run.data["status"] == "failed"
    assert "too old for the doctor's probe" in run.data["targets"][0]["error"]


def test_a_venv_directory_stands_for_its_interpreter():
    from suites.doctor.envs import get
    run = doctor("--python", get("healthy-3.12"), "--no-collect", project=project())
    assert run.code == 0 and run.data["targets"][0]["version"].startswith("3.12")


def test_the_doctor_runs_where_import_nose_explodes():
    # the doctor's own process must never import nose: here any 'import nose' raises
    broken = scratch("broken-nose")
    os.makedirs(os.path.join(broken, "nose"))
    with open(os.path.join(broken, "nose", "__init__.py"), "w") as handle:
        handle.write("raise RuntimeError('this nose is broken')\n")
    run = doctor("--python", python("healthy-3.11"), project=project(),
                 env={"PYTHONPATH": broken})
    assert run.code == 1 and "Traceback" not in run.stderr
    assert broken in run.finding("resolution.shadowed")["title"]


def test_colour_on_a_terminal_and_not_with_no_color():
    import pty
    import subprocess
    import sys

    def on_tty(extra):
        leader, follower = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        env.update(extra, TERM="xterm")
        subprocess.run([sys.executable, "-m", "harness", "doctor", "--no-collect", "--python",
                        python("stock-3.12"), "--project", project()], stdout=follower,
                       stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        return b"".join(chunks).decode()
    assert "\033[31m✗\033[0m" in on_tty({})
    assert "\033[31m✗\033[0m" in on_tty({"NO_COLOR": ""})  # empty counts as unset
    plain = on_tty({"NO_COLOR": "1"})
    assert "✗ nose 1.3.7" in plain and "\033[" not in plain


def test_families_that_cannot_look_say_so_instead_of_a_check_mark():
    run = doctor("--python", python("stock-3.12"), project=project())
    skipped = run.data["targets"][0]["skipped"]
    assert skipped == {"plugins": "nose does not load", "config": "nose does not load",
                       "collection": "collection fails for the reason above"}
