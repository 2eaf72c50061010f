"""`harness run` details: where a -w value came from, the fallback without the guard, the human
output, how harness flags are told from nose's, values that crash nose after parsing, and the
guard plugin used directly. Most run on the suite's own interpreter; those marked
``@each_version`` on the oldest and newest Python too (see test_origins)."""

import re

from harness.commands.run import split_flags
from harness.options import Install, explain_crash
from suites.options import projects
from suites.options.projects import cause, causes, harness_json, run
from suites.options.test_origins import each_version


def teardown_module():
    projects.cleanup()


def test_harness_flags_only_lead_and_stop_at_double_dash():
    assert split_flags(["--json", "-x"]) == ({"--json"}, ["-x"])
    assert split_flags(["-x", "--json"]) == (set(), ["-x", "--json"])
    assert split_flags(["--isolate", "--", "--json"]) == ({"--isolate"}, ["--json"])
    assert split_flags(["--json-file", "x"]) == (set(), ["--json-file", "x"])


@each_version
def test_blog_case_human_output(version):
    project = projects.foreign_project(projects.OPTPARSE_HELPER)
    done = run("harness", ["run", "-x"], project, version)
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


@each_version
def test_multi_line_where_in_config_is_one_line_not_a_traceback(version):
    project = projects.make({"setup.cfg": "[nosetests]\nwhere =\n    tests\n    other\n",
                             "tests/test_plain.py": projects.PLAIN_TEST})
    done = run("nosetests", [], project, version)
    assert "ValueError: Working directory '\ntests\nother' not found" in done.stderr
    code, report, stderr = harness_json([], project, version)
    assert code == 1 and "Traceback" not in stderr, stderr
    assert causes(report) == ["where-multiline"], report
    finding = report["findings"][0]
    assert (finding["file"], finding["line"], finding["origin"]) == ("setup.cfg", 2, "config")
    assert finding["title"].startswith("`where =` spans 2 lines (tests, other)"), finding
    assert finding["fix"].endswith("`where = tests` and `tests = other`"), finding


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


PARSER_ERROR_TEST = """
    import argparse
    import unittest

    class ParserTest(unittest.TestCase):
        def test_rejects_bogus(self):
            parser = argparse.ArgumentParser(prog="prog")
            with self.assertRaises(SystemExit):
                parser.parse_args(["--bogus"])
    """


@each_version
def test_a_test_that_checks_a_parser_error_keeps_the_run_green(version):
    project = projects.make({"test_parser.py": PARSER_ERROR_TEST})
    code, report, stderr = harness_json(["-v"], project, version)
    assert "prog: error: unrecognized arguments: --bogus" in stderr  # the test printed it
    assert (code, report["findings"]) == (0, []), report


def test_a_test_that_dies_of_a_parser_error_is_still_explained():
    project = projects.make({"test_parser.py": """
        import optparse

        def test_parses_nose_argv():
            optparse.OptionParser().parse_args()
        """})
    code, report, _ = harness_json(["-x"], project)
    assert code == 1
    assert causes(report) == ["foreign-unlocated"], report
    assert "the error (no such option: -x) came from code that the tests ran" in \
        report["findings"][0]["title"]


@each_version
def test_bad_regular_expressions_name_the_variable_or_the_line(version):
    project = projects.clean_project()
    for env, name in (({"NOSE_TESTMATCH": "["}, "NOSE_TESTMATCH"),
                      ({"NOSE_EXCLUDE": "ok,["}, "NOSE_EXCLUDE")):
        done = run("harness", ["run"], project, version, env)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert f"harness run: {name}: environment variable {name}=" in done.stderr, done.stderr
        assert "invalid regular expression '[': unterminated character set" in done.stderr
    (project / "setup.cfg").write_text("[nosetests]\nverbosity = 2\nmatch = [\n")
    code, report, stderr = harness_json([], project, version)
    assert code == 1 and "Traceback" not in stderr, stderr
    finding = report["findings"][0]
    assert (cause(finding), finding["line"], finding["origin"]) == ("config-bad-value", 3,
                                                                   "config"), finding
    assert finding["file"].endswith("setup.cfg")
    assert "match = [: invalid regular expression '['" in finding["title"], finding


@each_version
def test_a_value_that_crashes_a_plugin_is_named(version):
    """nose's coverage plugin runs int() on cover-min-percentage after parsing: a traceback from
    the plugin, and nothing in it says where 'abc' came from."""
    project = projects.clean_project()
    env = {"NOSE_COVER_MIN_PERCENTAGE": "abc"}
    plain = run("nosetests", [], project, version, env)
    assert "ValueError: invalid literal for int() with base 10: 'abc'" in plain.stderr
    code, report, stderr = harness_json([], project, version, env)
    assert code == 1 and "Traceback" not in stderr, stderr
    finding = report["findings"][0]
    assert (cause(finding), finding["file"]) == ("env-bad-value", "NOSE_COVER_MIN_PERCENTAGE")
    assert "nose crashed on this value: ValueError: invalid literal for int()" in \
        finding["title"], finding
    assert re.match(r"raised at .*nose/plugins/cover\.py:\d+ \(configure\)$",
                    finding["evidence"][0]), finding
    (project / "setup.cfg").write_text("[nosetests]\ncover-min-percentage = abc\n")
    code, report, stderr = harness_json([], project, version)
    assert code == 1 and "Traceback" not in stderr, stderr
    finding = report["findings"][0]
    assert (cause(finding), finding["line"]) == ("config-bad-value", 2), finding
    assert finding["title"].startswith("[nosetests] cover-min-percentage = abc: nose crashed")


def test_a_crash_that_quotes_no_known_value_still_gets_a_line():
    held = ('Traceback (most recent call last):\n'
            '  File "/x/nose/config.py", line 317, in configure\n'
            '    self.plugins.configure(options, self)\n'
            "ValueError: could not convert string to float: 'zz'\n")
    install = Install({"config": {"env": [{"name": "NOSE_X", "value": "yy", "options": []}]}})
    finding = explain_crash(held, install)
    assert finding.cause == "nose-crashed", finding
    assert finding.message == ("nose crashed after reading its options: ValueError: could not "
                               "convert string to float: 'zz' (see the traceback above)")
    assert finding.detail == "raised at /x/nose/config.py:317 (configure)"


@each_version
def test_failed_plugin_found_by_its_source_and_suggested_for_a_typo(version):
    """Plugin htmlout's option is --html-file: its name does not say whose it is."""
    project = projects.clean_project()
    site = projects.plugin(project / "site", "htmlout-zz", "htmlplug", """
        import nonexistent_html_dep_zz
        from nose.plugins import Plugin

        class Html(Plugin):
            name = "htmlout"

            def options(self, parser, env):
                super().options(parser, env)
                parser.add_option("--html-file", default="out.html")
        """, {"htmlout": "htmlplug:Html"})
    env = {"PYTHONPATH": str(site)}
    _, report, _ = harness_json(["--html-file=x.html"], project, version, env)
    finding = report["findings"][0]
    assert cause(finding) == "plugin-failed", report
    assert finding["title"].startswith("--html-file belongs to plugin htmlout (htmlplug:Html"), \
        finding
    assert "'nonexistent_html_dep_zz'" in finding["fix"], finding
    _, report, _ = harness_json(["--with-htmlou"], project, version, env)
    finding = report["findings"][0]
    assert cause(finding) == "typo", report
    assert finding["title"].endswith("did you mean --with-htmlout? (plugin htmlout failed to "
                                     "load)"), finding


@each_version
def test_guard_plugin_used_directly(version):
    """`nosetests --with-argv-guard` names the line and gives the fix; `--argv-isolate` runs on."""
    project = projects.foreign_project(projects.OPTPARSE_HELPER)
    done = run("nosetests", ["--with-argv-guard", "-x"], project, version)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert lines[:2] == [
        "argv-guard: optparse parses nose's command line at tests/helper.py:5 while importing "
        "tests/test_a.py; it sees: --with-argv-guard -x",
        "  fix: parse the command line only under `if __name__ == '__main__':` (or pass the "
        "arguments explicitly, e.g. parse_args([])); to run anyway, hide nose's arguments with "
        "`harness run --isolate` or `nosetests --argv-isolate`"], done.stderr
    assert "nosetests: error: no such option: --with-argv-guard" in done.stderr
    assert lines[-1] == ("argv-guard: SystemExit(2) raised at tests/helper.py:5 (optparse) while "
                         "importing tests/test_a.py: the run stops here"), done.stderr
    done = run("nosetests", ["--argv-isolate", "-x", "-v"], project, version)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(
        "argv-guard: optparse parses nose's command line at tests/helper.py:5 while importing "
        "tests/test_a.py; it sees: [] (isolated)\n"), done.stderr
    assert "tests.test_a.test_one ... ok" in done.stderr
    assert "to run anyway" not in done.stderr  # the fix does not suggest what is already on
