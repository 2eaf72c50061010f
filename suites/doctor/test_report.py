"""Output: the JSON schema, the text report's marks, colour rules, and exit codes."""

from harness.doctor.checks.compat import specifier_allows
from harness.doctor.findings import Finding, cap
from harness.doctor.scripts import read
from suites.doctor.doctoring import doctor, project, python, scratch


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
    assert data["counts"]["error"] == sum(f["severity"] == "error" for f in data["findings"])


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


def test_colour_only_on_a_tty_and_never_with_no_color():
    import io
    import os

    from harness.doctor.report import use_colour

    class Tty(io.StringIO):
        def isatty(self):
            return True
    saved = os.environ.pop("NO_COLOR", None)
    try:
        assert use_colour(Tty()) and not use_colour(io.StringIO())
        os.environ["NO_COLOR"] = "1"
        assert not use_colour(Tty())
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
    env = directory + "/env"
    with open(env, "w") as handle:
        handle.write("#!/usr/bin/env python3\n")
    assert read(env, env_path="/usr/bin").interpreter.endswith("python3")


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
    import os
    broken = scratch("broken-nose")
    os.makedirs(os.path.join(broken, "nose"))
    with open(os.path.join(broken, "nose", "__init__.py"), "w") as handle:
        handle.write("raise RuntimeError('this nose is broken')\n")
    run = doctor("--python", python("healthy-3.11"), project=project(),
                 env={"PYTHONPATH": broken})
    assert run.code == 1 and "Traceback" not in run.stderr
    assert broken in run.finding("resolution.shadowed")["title"]


def test_colour_on_a_terminal_and_not_with_no_color():
    import os
    import pty
    import subprocess
    import sys

    from suites.doctor.doctoring import ROOT

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
    plain = on_tty({"NO_COLOR": "1"})
    assert "✗ nose 1.3.7" in plain and "\033[" not in plain


def test_families_that_cannot_look_say_so_instead_of_a_check_mark():
    run = doctor("--python", python("stock-3.12"), project=project())
    skipped = run.data["targets"][0]["skipped"]
    assert skipped == {"plugins": "nose does not load", "config": "nose does not load",
                       "collection": "collection fails for the reason above"}
