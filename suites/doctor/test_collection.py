"""The collect-only smoke run: SystemExit, argv parsing, executable files, zero tests, timeouts."""

import os

from suites.doctor.doctoring import OK_TEST, doctor, project, python

EXITS = "import sys\n\nsys.exit(0)\n"
PARSES = ("import argparse\n\nparser = argparse.ArgumentParser()\nparser.add_argument('--db')\n"
          "ARGS, _ = parser.parse_known_args()\n\n\ndef test_db():\n    pass\n")


def _doctor(files, **kw):
    directory = project(files, **kw)
    return directory, doctor("--python", python("healthy-3.11"), project=directory)


def test_sys_exit_at_import_makes_a_green_empty_run():
    directory, run = _doctor({"test_a.py": OK_TEST, "test_b.py": EXITS})
    found = run.finding("collection.system-exit")
    assert found["file"] == os.path.join(directory, "test_b.py") and found["line"] == 3
    assert "exits 0, so CI is green" in found["title"]


def test_module_parsing_sys_argv():
    directory, run = _doctor({"test_cli.py": PARSES})
    found = run.finding("collection.argv-parsed")
    assert found["file"] == os.path.join(directory, "test_cli.py") and found["line"] == 5
    assert "argparse" in found["title"]


def test_executable_test_file_is_skipped():
    directory, run = _doctor({"test_a.py": OK_TEST, "test_exe.py": OK_TEST},
                             executable=("test_exe.py",))
    found = run.finding("collection.exe-skipped")
    assert found["evidence"] == [os.path.join(directory, "test_exe.py")]
    assert "chmod -x test_exe.py" in found["fix"]


def test_zero_tests():
    directory, run = _doctor({"helpers.py": "X = 1\n"})
    found = run.finding("collection.zero-tests")
    assert found["severity"] == "warning" and run.code == 1
    # the cause: where nose looked and the name pattern nothing matched
    assert found["title"] == f"nose collects no tests in {directory}"
    assert found["evidence"] == ["test names must match (?:^|[\\b_\\./-])[Tt]est",
                                 f"looked in {directory}"]


def test_module_failing_to_import():
    _, run = _doctor({"test_a.py": "import no_such_module_abc\n"})
    text = run.text_of("collection.import-errors")
    assert "no_such_module_abc" in text


def test_collection_that_hangs_times_out():
    # the child keeps the probe's pipes open: the doctor must still come back
    directory = project({"test_slow.py": "import subprocess\nimport time\n\n"
                                         "subprocess.Popen(['sleep', '60'])\ntime.sleep(30)\n"})
    run = doctor("--python", python("healthy-3.11"), "--timeout", "6", project=directory)
    found = run.finding("collection.timeout")
    assert "within 6 s" in found["title"]
    assert (found["file"], found["line"]) == (os.path.join(directory, "test_slow.py"), 5)
