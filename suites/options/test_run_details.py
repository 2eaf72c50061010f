"""`harness run` details, on the suite's own interpreter: where a -w value came from, the
fallback without the guard, the human output, and how harness flags are told from nose's."""

import re

from harness.commands.run import split_flags
from suites.options import projects
from suites.options.projects import cause, causes, harness_json, run


def teardown_module():
    projects.cleanup()


def test_harness_flags_only_lead_and_stop_at_double_dash():
    assert split_flags(["--json", "-x"]) == ({"--json"}, ["-x"])
    assert split_flags(["-x", "--json"]) == (set(), ["-x", "--json"])
    assert split_flags(["--isolate", "--", "--json"]) == ({"--isolate"}, ["--json"])
    assert split_flags(["--json-file", "x"]) == (set(), ["--json-file", "x"])


def test_blog_case_human_output():
    project = projects.foreign_project(projects.OPTPARSE_HELPER)
    done = run("harness", ["run", "-x"], project)
    assert done.returncode == 2
    assert done.stderr.startswith(
        "argv-guard: optparse parses nose's command line at tests/helper.py:5 while importing "
        "tests/test_a.py; it sees: -x\n"), done.stderr
    ours = [line for line in done.stderr.splitlines() if line.startswith("harness run:")]
    assert ours == ["harness run: tests/helper.py:5: not nose's error (no such option: -x): "
                    "optparse, called by the test code, parsed nose's command line while nose "
                    "imported tests/test_a.py"], done.stderr
    assert "fix: parse the command line only under `if __name__ == '__main__':`" in done.stderr


def test_without_guard_nose_parser_still_clears_nose():
    project = projects.foreign_project(projects.OPTPARSE_HELPER)
    done = run("harness", ["run", "--json", "--no-guard", "-x"], project)
    assert done.returncode == 2
    assert '"id": "run.foreign-unlocated"' in done.stdout, done.stdout
    assert "nose's parser accepts these arguments" in done.stdout


def test_where_from_config_file_is_named_with_its_line():
    project = projects.make({"setup.cfg": "[nosetests]\nverbosity = 2\nwhere = nowhere\n",
                             "test_plain.py": projects.PLAIN_TEST})
    code, report, stderr = harness_json([], project)
    assert code == 1 and "Traceback" not in stderr, stderr
    finding = report["findings"][0]
    assert cause(finding) == "where-missing"
    assert (finding["file"], finding["line"], finding["origin"]) == ("setup.cfg", 3, "config")


def test_where_from_nose_where_variable():
    project = projects.clean_project()
    code, report, stderr = harness_json([], project, env={"NOSE_WHERE": "nowhere"})
    assert code == 1 and "Traceback" not in stderr
    finding = report["findings"][0]
    assert (cause(finding), finding["origin"], finding["file"]) == (
        "where-missing", "env", "NOSE_WHERE")
    assert finding["title"].startswith("environment variable NOSE_WHERE=nowhere")


def test_test_name_outside_the_configured_working_directory():
    project = projects.make({"setup.cfg": "[nosetests]\nwhere = suites\n",
                             "suites/__init__.py": "", "suites/unit/__init__.py": "",
                             "suites/unit/test_plain.py": projects.PLAIN_TEST})
    code, report, _ = harness_json(["suites/unit"], project)
    assert code == 1
    assert causes(report) == ["where-relative-name"], report
    finding = report["findings"][0]
    assert (finding["file"], finding["line"]) == ("setup.cfg", 2)
    assert "name it relative to suites: unit" in finding["fix"]
    assert run("harness", ["run", "unit"], project).returncode == 0  # the fix works


def test_isolation_turns_exit_at_import_into_an_error_and_the_run_goes_on():
    project = projects.make({"tests/__init__.py": "", "tests/test_a.py": projects.UNITTEST_MAIN,
                             "tests/test_b.py": projects.PLAIN_TEST})
    done = run("harness", ["run", "--isolate", "-v"], project)
    assert done.returncode == 1, done.stderr
    assert "tests.test_b.test_plain ... ok" in done.stderr
    # unittest.main() exits 0 when it ran nothing before Python 3.12, and 5 from 3.12 on.
    assert re.search(r"ERROR: Failure: ForeignExit \(SystemExit\([05]\) raised at "
                     r"tests/test_a\.py:7 \(unittest\.main\(\)\)", done.stderr), done.stderr
    assert 'tests/test_a.py", line 7, in <module>' in done.stderr  # the traceback shows the line


def test_config_file_given_with_c_is_named_with_its_line():
    project = projects.make({"ci.cfg": "[nosetests]\nverbosity = 2\nwith-coverge = 1\n",
                             "test_plain.py": projects.PLAIN_TEST})
    code, report, _ = harness_json(["-c", "ci.cfg"], project)
    assert code == 2
    finding = report["findings"][0]
    assert (cause(finding), finding["file"], finding["line"]) == ("config-typo", "ci.cfg", 3)
    assert finding["title"] == ("[nosetests] with-coverge = 1: with-coverge is not an option of "
                                "nose; did you mean with-coverage?"), finding


def test_short_option_in_config_names_its_long_name():
    project = projects.make({"setup.cfg": "[nosetests]\nx = 1\n",
                             "test_plain.py": projects.PLAIN_TEST})
    code, report, _ = harness_json([], project)
    assert code == 2
    finding = report["findings"][0]
    assert (cause(finding), finding["file"], finding["line"]) == ("config-short-option",
                                                                  "setup.cfg", 2)
    assert finding["fix"] == "write `stop = 1` instead", finding
