"""The nosetests command: missing interpreter, moved venv, another venv's python, several on PATH."""

import os

from suites.doctor.doctoring import bin_dir, doctor, project, python, scratch


def _script(directory, shebang):
    path = os.path.join(directory, "nosetests")
    with open(path, "w") as handle:
        handle.write(f"#!{shebang}\nimport sys\nfrom nose.core import run_exit\nsys.exit(run_exit())\n")
    os.chmod(path, 0o755)
    return path


def test_shebang_to_a_missing_interpreter():
    directory = scratch("bin")
    script = _script(directory, "/opt/gone/python3.9")
    run = doctor("--no-collect", project=project(), path=[directory])
    assert run.code == 1
    found = run.finding("command.missing-interpreter")
    assert found["severity"] == "error" and found["file"] == script
    assert "/opt/gone/python3.9" in found["title"]


def test_moved_venv():
    run = doctor("--no-collect", project=project(), path=[bin_dir("moved-3.11")])
    text = run.text_of("command.moved-venv")
    assert ".staging" in text and "moved" in text  # names where it was and where it is now
    assert run.code == 1


def test_script_in_a_venv_running_another_venvs_python():
    venv = scratch("venv")
    os.makedirs(os.path.join(venv, "bin"))
    with open(os.path.join(venv, "pyvenv.cfg"), "w") as handle:
        handle.write("home = /usr/bin\n")
    os.symlink(python("healthy-3.11"), os.path.join(venv, "bin", "python"))
    _script(os.path.join(venv, "bin"), python("healthy-3.10"))
    run = doctor("--no-collect", project=project(), path=[os.path.join(venv, "bin")])
    found = run.finding("command.other-interpreter")
    assert venv in found["title"] and python("healthy-3.10") in found["title"]


def test_default_targets_follow_nosetests_on_path():
    run = doctor(project=project(), path=[bin_dir("healthy-3.12"), bin_dir("healthy-3.10")])
    # (version, via) pairs, not a dict: under tox py312 the current interpreter is a 3.12 too.
    vias = [(t["version"][:4], v) for t in run.data["targets"] for v in t["via"]]
    assert any(version == "3.12" and "nosetests on PATH" in via for version, via in vias), vias
    assert any("the current interpreter" in via for _, via in vias), vias
    several = run.finding("command.several-on-path")
    assert several["severity"] == "info" and run.code == 0
