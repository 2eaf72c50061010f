"""`harness doctor --options`: every option --help lists is tried on a real run of the project.

The probe and the option check run inside the target interpreter: the tests marked
``@each_version`` run on the oldest and newest Python (see test_origins), the others on the
suite's own."""

import json
import sys

from harness.doctor.checks import Context
from harness.doctor.checks.config import check as config_check
from harness.doctor.checks.options import check
from harness.doctor.target import Target
from suites.options import projects
from suites.options.test_origins import _plugin_site, each_version


def teardown_module():
    projects.cleanup()


def python(version=None):
    return str(projects.bin_dir(version) / "python") if version else sys.executable


def findings(project, env=None, version=None):
    environ = projects._env(env)
    target = Target(python(version), project=str(project), env=environ)
    ctx = Context(project=str(project), targets=[target], target=target, facts=target.probe())
    return list(check(ctx))


def by_id(found):
    return {finding.id: finding for finding in found}


def test_healthy_project_accepts_every_listed_option():
    found = by_id(findings(projects.clean_project()))
    assert list(found) == ["options.accepted"], found
    assert found["options.accepted"].severity == "info"


@each_version
def test_foreign_parser_rejects_listed_options_with_file_and_line(version):
    found = by_id(findings(projects.foreign_project(projects.OPTPARSE_HELPER), version=version))
    rejected = found["options.rejected-by-foreign"]
    assert (rejected.file, rejected.line, rejected.severity) == ("tests/helper.py", 5, "error")
    assert "optparse" in rejected.title
    assert rejected.evidence[0] == "tests/helper.py:5: options, args = parser.parse_args()"
    # every option of nose is rejected, even -p: nose's flag is the module's -p PORT
    assert rejected.evidence[1] == "accepted: none", rejected.evidence
    assert "rejected at run time by the optparse parser" in rejected.title
    assert "no such option" in rejected.evidence[2]


@each_version
def test_config_error_rejects_every_option_with_nose_reason(version):
    project = projects.make({"setup.cfg": "[nosetests]\nstpo = 1\n",
                             "test_plain.py": projects.PLAIN_TEST})
    found = by_id(findings(project, version=version))
    assert list(found) == ["options.rejected-by-nose"], found  # not also an "exit at import"
    assert "no such option 'stpo'" in found["options.rejected-by-nose"].title


def test_disabled_plugin_options_are_inert():
    project = projects.clean_project()
    env = _plugin_site(project, only="collide")
    inert = [f for f in findings(project, env) if f.id == "options.inert"]
    assert len(inert) == 1, inert  # only the plugin nose really disabled
    assert "--with-collide" in inert[0].title and "--stop" not in inert[0].title
    assert "conflicting option string" in inert[0].evidence[0]


@each_version
def test_exit_at_import_is_reported(version):
    project = projects.make({"tests/__init__.py": "", "tests/test_a.py": projects.UNITTEST_MAIN})
    found = by_id(findings(project, version=version))["options.exit-at-import"]
    assert (found.file, found.line) == ("tests/test_a.py", 7)
    assert "unittest.main()" in found.title


def test_plain_sys_exit_at_import_is_not_blamed_on_unittest():
    project = projects.make({"tests/__init__.py": "", "tests/test_a.py": projects.EXIT_AT_IMPORT})
    found = by_id(findings(project))["options.exit-at-import"]
    assert found.title.startswith("sys.exit raises SystemExit(0) when nose imports "
                                  "tests/test_a.py"), found.title


def test_doctor_command_has_the_options_switch():
    """The real CLI, on the newest Python: the family is off by default and --options runs it."""
    project = projects.foreign_project(projects.OPTPARSE_HELPER)
    python = str(projects.bin_dir(projects.NEWEST) / "python")
    base = ["doctor", "--json", "--no-collect", "--python", python]
    without = json.loads(projects.run("harness", base, project).stdout)
    assert not [f for f in without["findings"] if f["id"].startswith("options.")]
    done = projects.run("harness", [*base, "--options"], project)
    assert done.returncode == 1, done.stderr
    ids = {f["id"]: f for f in json.loads(done.stdout)["findings"]}
    assert (ids["options.rejected-by-foreign"]["file"],
            ids["options.rejected-by-foreign"]["line"]) == ("tests/helper.py", 5)


@each_version
def test_bad_testmatch_variable_is_named_not_taken_for_a_broken_import(version):
    project = projects.clean_project()
    target = Target(python(version), project=str(project),
                    env=projects._env({"NOSE_TESTMATCH": "["}))
    facts = target.probe()
    assert "load_error" not in facts["nose"], facts["nose"].get("load_error")
    ctx = Context(project=str(project), targets=[target], target=target, facts=facts)
    found = by_id(config_check(ctx))
    assert "config.invalid-env" in found, found
    assert found["config.invalid-env"].title.startswith(
        "NOSE_TESTMATCH=[: invalid regular expression '[': unterminated character set"), found


def test_no_listed_option_is_unchecked_not_all_accepted():
    facts = {"nose": {"import": {"ok": True}, "options": [],
                      "parser_error": {"type": "TypeError", "message": "bad plugin"}}}
    ctx = Context(project=".", targets=[], facts=facts)
    found = by_id(check(ctx))
    assert list(found) == ["options.unchecked"], found
    assert found["options.unchecked"].evidence == ["TypeError: bad plugin"]
