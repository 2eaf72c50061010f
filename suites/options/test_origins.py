"""Real runs of nosetests and `harness run` in projects that reproduce each origin of a failure.

Every scenario runs on pynose under the oldest and the newest Python that tox tests (cached venvs,
see envs.py). Each one first shows the symptom with plain ``nosetests``, then checks that
``harness run`` names the cause (and, where there is one, the file and line).
"""

import re
from concurrent.futures import ThreadPoolExecutor

from nose.plugins.skip import SkipTest

from harness.argv import FIXES
from suites.options import projects
from suites.options.projects import NEWEST, OLDEST, cause, causes, harness_json, run

VERSIONS = (OLDEST, NEWEST)


def teardown_module():
    projects.cleanup()


def each_version(check):
    """A nose test generator: ``check(version)`` once per Python of VERSIONS, as separate tests.

    The runs of all versions start at once (they are subprocesses, so two cores run them side by
    side), and each generated test waits for its own and re-raises what it raised.
    """
    def generator():
        # The runs start when the first generated test runs, not while nose collects: a
        # collect-only pass (the doctor's smoke run) must stay cheap.
        futures = {}

        def outcome(version):
            if not futures:
                pool = ThreadPoolExecutor(len(VERSIONS))
                futures.update({v: pool.submit(check, v) for v in VERSIONS})
                pool.shutdown(wait=False)
            futures[version].result()

        for version in VERSIONS:
            def described(version):
                outcome(version)
            described.description = f"{check.__name__} on Python {version}"
            yield described, version
    generator.__name__ = check.__name__
    generator.__doc__ = check.__doc__
    return generator


def _foreign(version, helper, api, args):
    project = projects.foreign_project(helper)
    clean = run("nosetests", [], project, version)
    assert clean.returncode == 0, clean.stderr  # the parser only breaks runs with options
    for argv in args:
        plain = run("nosetests", argv, project, version)
        assert plain.returncode == 2, plain.stderr
        code, report, stderr = harness_json(argv, project, version)
        assert code == 2, stderr
        finding = report["findings"][0]
        assert cause(finding) == "foreign-parser", report
        assert (finding["file"], finding["line"]) == ("tests/helper.py", 5 if api != "click"
                                                      else 8), finding
        assert api in finding["title"], finding
        assert finding["origin"] == "foreign"
        exits = [e for e in report["events"] if e["kind"] == "exit"]
        assert exits and exits[0]["api"] == api, report["events"]


@each_version
def test_blog_case_optparse_at_import(version):
    """The "Nose Hates Me" case: -x, -v and -w . rejected by a module's own OptionParser."""
    _foreign(version, projects.OPTPARSE_HELPER, "optparse", (["-x"], ["-v"], ["-w", "."]))


@each_version
def test_argparse_at_import(version):
    _foreign(version, projects.ARGPARSE_HELPER, "argparse", (["-x"],))


@each_version
def test_click_at_import(version):
    code = run("python", ["-c", "import click"], ".", version)
    if code.returncode != 0:
        raise SkipTest(f"click is not installed for Python {version}")
    _foreign(version, projects.CLICK_HELPER, "click", (["-v"],))


@each_version
def test_nose_and_foreign_errors_are_told_apart(version):
    """Byte-identical messages from nose's parser and from a foreign one get different causes.

    With the plugin installed, nose accepts --with-travlinks and the module's own OptionParser
    rejects it; without the plugin, nose rejects it itself, with the very same bytes.
    """
    project = projects.foreign_project(projects.OPTPARSE_HELPER)
    env = _plugin_site(project, only="travlinks")
    theirs = run("nosetests", ["--with-travlinks"], project, version, env)
    ours = run("nosetests", ["--with-travlinks"], project, version)
    assert theirs.stderr == ours.stderr == ("Usage: nosetests [options]\n\n"
                                            "nosetests: error: no such option: --with-travlinks\n")
    _, report, _ = harness_json(["--with-travlinks"], project, version, env)
    assert causes(report)[0] == "foreign-parser", report
    assert report["guard"]["armed"] is True
    _, report, _ = harness_json(["--with-travlinks"], project, version)
    assert causes(report) == ["unknown-option"], report
    assert report["findings"][0]["origin"] == "nose"
    assert report["guard"]["armed"] is False  # nose's parser stopped before collection


@each_version
def test_unittest_main_at_import(version):
    project = projects.make({"tests/__init__.py": "", "tests/test_a.py": projects.UNITTEST_MAIN,
                             "tests/test_b.py": projects.PLAIN_TEST})
    code, report, stderr = harness_json([], project, version)
    finding = report["findings"][0]
    assert cause(finding) == "foreign-exit", report
    assert (finding["file"], finding["line"]) == ("tests/test_a.py", 7)
    assert "unittest.main()" in finding["title"]
    if projects.python_version(version) < (3, 12):
        # unittest ran no test and exited 0: nose's run looks green but never ran test_b
        assert report["nose_exit_code"] == 0 and code == 1, report
        assert "green-but-empty" in causes(report)
    else:
        assert code == report["nose_exit_code"] == 5, report  # unittest's "no tests ran"
    # With an option, unittest.main()'s own argparse refuses it: still unittest.main()'s fault.
    code, report, stderr = harness_json(["-x"], project, version)
    assert code == 2, stderr
    finding = report["findings"][0]
    assert cause(finding) == "foreign-exit", report
    assert finding["title"].startswith("unittest.main() raised SystemExit(2) while nose imported "
                                       "tests/test_a.py"), finding
    assert finding["fix"] == FIXES["unittest.main()"], finding


@each_version
def test_setup_at_import(version):
    project = projects.make({"tests/__init__.py": "", "tests/test_packaging.py":
                             projects.SETUP_CALL})
    code, report, stderr = harness_json([], project, version)
    assert code == report["nose_exit_code"] == 1, (report, stderr)
    finding = report["findings"][0]
    assert cause(finding) == "foreign-exit" and "setup()" in finding["title"], report
    assert (finding["file"], finding["line"]) == ("tests/test_packaging.py", 3)


@each_version
def test_green_but_empty_run_fails(version):
    project = projects.make({"tests/__init__.py": "", "tests/test_a.py": projects.EXIT_AT_IMPORT,
                             "tests/test_b.py": projects.PLAIN_TEST})
    plain = run("nosetests", [], project, version)
    assert plain.returncode == 0  # the symptom: green, and test_b never ran
    done = run("harness", ["run"], project, version)
    assert done.returncode == 1, done.stderr
    assert "harness run: the run looks green, but tests/test_a.py raised SystemExit(0)" in \
        done.stderr
    assert "tests/test_a.py:3" in done.stderr


@each_version
def test_config_file_injects_an_unknown_option(version):
    project = projects.make({"setup.cfg": "[nosetests]\nverbosity = 2\nstpo = 1\n",
                             "test_plain.py": projects.PLAIN_TEST})
    plain = run("nosetests", [], project, version)
    assert "Error reading config file 'setup.cfg': no such option 'stpo'" in plain.stderr
    code, report, _ = harness_json([], project, version)
    assert code == 2
    finding = report["findings"][0]
    assert cause(finding) == "config-typo", report
    assert (finding["file"], finding["line"], finding["origin"]) == ("setup.cfg", 3, "config")
    assert "stop" in finding["fix"]


@each_version
def test_config_file_bad_value(version):
    project = projects.make({"setup.cfg": "[nosetests]\nverbosity = loud\n",
                             "test_plain.py": projects.PLAIN_TEST})
    code, report, _ = harness_json([], project, version)
    finding = report["findings"][0]
    assert cause(finding) == "config-bad-value", report
    assert (finding["file"], finding["line"]) == ("setup.cfg", 2)
    assert "invalid integer value" in finding["title"]


@each_version
def test_nose_variable_with_a_bad_value(version):
    project = projects.clean_project()
    env = {"NOSE_VERBOSE": "loud"}
    plain = run("nosetests", [], project, version, env)
    assert "Traceback" in plain.stderr  # nose crashes in Config()
    done = run("harness", ["run"], project, version, env)
    assert done.returncode == plain.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    assert "harness run: NOSE_VERBOSE: environment variable NOSE_VERBOSE='loud'" in done.stderr


def _plugin_site(project, only=None):
    """Install the three test plugins (or ``only`` one of them); returns the env to use them."""
    site = project / "site"
    wanted = {"collide", "broken", "travlinks"} if only is None else {only}
    if "collide" in wanted:
        _collide(site)
    if "broken" in wanted:
        projects.plugin(site, "broken", "brokenplug", """
            import nonexistent_dependency_zz
            """, {"broken": "brokenplug:Broken"})
    if "travlinks" in wanted:
        _travlinks(site)
    return {"PYTHONPATH": str(site)}


def _collide(site):
    projects.plugin(site, "collide", "collideplug", """
        from nose.plugins import Plugin

        class Collide(Plugin):
            \"\"\"Registers --stop, which nose already has.\"\"\"
            name = "collide"

            def options(self, parser, env):
                super().options(parser, env)
                parser.add_option("--stop", action="store_true")
                parser.add_option("--collide-level", type="int")
        """, {"collide": "collideplug:Collide"})


def _travlinks(site):
    projects.plugin(site, "travlinks", "travplug", """
        from nose.plugins import Plugin

        class Trav(Plugin):
            name = "travlinks"

            def options(self, parser, env):
                super().options(parser, env)
                parser.add_option("--traverse-symlinks", action="store_true")
        """, {"travlinks": "travplug:Trav"})


@each_version
def test_plugin_disabled_by_an_option_collision(version):
    project = projects.clean_project()
    env = _plugin_site(project)
    plain = run("nosetests", ["--collide-level", "3"], project, version, env)
    assert "no such option: --collide-level" in plain.stderr
    _, report, _ = harness_json(["--collide-level", "3"], project, version, env)
    finding = report["findings"][0]
    assert cause(finding) == "plugin-disabled", report
    assert "collide" in finding["title"] and "--stop" in finding["title"], finding


@each_version
def test_plugin_that_fails_to_import(version):
    project = projects.clean_project()
    env = _plugin_site(project)
    _, report, _ = harness_json(["--with-broken"], project, version, env)
    finding = report["findings"][0]
    assert cause(finding) == "plugin-failed", report
    assert "nonexistent_dependency_zz" in finding["title"] + finding["fix"], finding


@each_version
def test_abbreviation_made_ambiguous_by_a_plugin(version):
    project = projects.clean_project()
    assert run("nosetests", ["--trav"], project, version).returncode == 0  # unique without it
    env = _plugin_site(project)
    plain = run("nosetests", ["--trav"], project, version, env)
    assert "ambiguous option: --trav" in plain.stderr
    _, report, _ = harness_json(["--trav"], project, version, env)
    finding = report["findings"][0]
    assert cause(finding) == "ambiguous-option", report
    assert "it meant --traverse-namespace until plugin travlinks added options" in finding["title"]
    assert "--traverse-namespace" in "\n".join(finding["evidence"])


@each_version
def test_plugin_installed_for_another_interpreter(version):
    project = projects.clean_project()
    projects.plugin(project / ".tox/py312/lib/python3.12/site-packages", "nose-timer-zz",
                    "timerzz", """
        from nose.plugins import Plugin

        class Timer(Plugin):
            name = "timerzz"
        """, {"timerzz": "timerzz:Timer"})
    _, report, _ = harness_json(["--with-timerzz"], project, version)
    finding = report["findings"][0]
    assert cause(finding) == "plugin-other-python", report
    assert ".tox/py312" in finding["title"] and "nose-timer-zz" in finding["fix"], finding


@each_version
def test_typo(version):
    project = projects.clean_project()
    _, report, _ = harness_json(["--stpo"], project, version)
    finding = report["findings"][0]
    assert cause(finding) == "typo" and "--stop" in finding["title"], report


@each_version
def test_where_problems_get_one_line_each(version):
    project = projects.clean_project()
    plain = run("nosetests", ["-w", "nowhere"], project, version)
    assert "Traceback" in plain.stderr and plain.returncode == 1
    for argv, expected, text in (
            (["-w", "nowhere"], "where-missing", "-w nowhere: no directory nowhere"),
            (["-w", "tests/test_plain.py"], "where-is-file",
             "-w tests/test_plain.py: tests/test_plain.py is a file, not a directory")):
        done = run("harness", ["run", *argv], project, version)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr, done.stderr
        lines = [line for line in done.stderr.splitlines() if line.startswith("harness run:")]
        assert lines == [f"harness run: {text}" + (f" (relative to {project})"
                                                   if expected == "where-missing" else "")], lines
        _, report, _ = harness_json(argv, project, version)
        assert causes(report) == [expected]


@each_version
def test_several_where(version):
    project = projects.clean_project()
    (project / "tests/other").mkdir()
    done = run("harness", ["run", "-w", "tests", "-w", "other"], project, version)
    assert "DeprecationWarning" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if "-w given 2 times" in line]
    assert len(lines) == 1 and "nose works in tests" in lines[0], done.stderr
    # a later -w is a test name inside the first: one that is not there gets one line, no warning
    done = run("harness", ["run", "-w", "tests", "-w", "/missing-zz"], project, version)
    assert done.returncode == 1 and "DeprecationWarning" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("harness run:")]
    assert lines == ["harness run: -w given 2 times (tests, /missing-zz): nose works in tests and "
                     "takes the others as test names in it, but there is no /missing-zz"], lines


@each_version
def test_isolation_lets_the_run_proceed(version):
    project = projects.foreign_project(projects.OPTPARSE_HELPER)
    done = run("harness", ["run", "--isolate", "-x", "-v"], project, version)
    assert done.returncode == 0, done.stderr
    assert "test_a.test_one ... ok" in done.stderr
    assert "optparse parses nose's command line at tests/helper.py:5" in done.stderr


@each_version
def test_guard_stays_out_of_the_way(version):
    """On a healthy project the guard adds no output, and harness run passes nose's through."""
    project = projects.clean_project()

    def normal(text):
        return re.sub(r"in \d+\.\d+s", "in Ts", text)

    plain = run("nosetests", ["-v"], project, version)
    guarded = run("nosetests", ["-v", "--with-argv-guard"], project, version)
    harnessed = run("harness", ["run", "-v"], project, version)
    assert plain.returncode == guarded.returncode == harnessed.returncode == 0
    assert normal(plain.stderr) == normal(guarded.stderr) == normal(harnessed.stderr)
    assert "test_plain.test_plain ... ok" in plain.stderr
