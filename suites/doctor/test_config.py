"""The config chain, validated against the real parser, with file and line."""

import os

from suites.doctor.doctoring import doctor, project, python, scratch

SETUP_CFG = """[metadata]
name = demo

[nosetests]
with-doctest = 0
verbosity = no
with-coverag = 1
verbose = 2
"""


def _run(**kw):
    directory = project({"test_ok.py": "def test_ok():\n    pass\n", "setup.cfg": SETUP_CFG})
    return directory, doctor("--python", python("healthy-3.11"), project=directory, **kw)


def test_flag_set_to_zero_is_on():
    directory, run = _run()
    found = run.finding("config.misleading-flag")
    assert found["file"] == os.path.join(directory, "setup.cfg") and found["line"] == 5
    assert "turns with-doctest ON" in found["title"]


def test_bad_value_and_unknown_option_with_file_and_line():
    directory, run = _run()
    invalid = run.finding("config.invalid-value")
    assert invalid["line"] == 6 and "invalid integer value: 'no'" in invalid["title"]
    unknown = run.finding("config.unknown-option")
    assert unknown["line"] == 7 and "with-coverage" in unknown["fix"]
    assert run.finding("config.ignored-option")["line"] == 8
    assert run.code == 1
    # the smoke run failing on the same options is not a second cause
    assert "collection.options-rejected" not in run.ids


def test_nose_variables():
    _, run = _run(env={"NOSE_WITH_DOCTEST": "false", "NOSE_VERBOSE": "loud",
                       "NOSE_EXCLUDE_DIRS": "x"})
    assert "NOSE_WITH_DOCTEST=false" in run.finding("config.misleading-env")["title"]
    assert "NOSE_VERBOSE=loud" in run.finding("config.invalid-env")["title"]
    assert "NOSE_EXCLUDE" in run.finding("config.unknown-env")["fix"]


def test_user_config_and_dash_c_files_are_in_the_chain():
    home = scratch("home")  # the run's HOME: ~ is this directory, never the developer's
    with open(os.path.join(home, ".noserc"), "w") as handle:
        handle.write("[nosetests]\nwith-nothing-here = 1\n")
    with open(os.path.join(home, "nose.cfg"), "w") as handle:
        handle.write("[nosetests]\n\nwith-id = off\n")
    extra = os.path.join(scratch("cfg"), "ci.cfg")
    with open(extra, "w") as handle:
        handle.write("[nosetests]\nverbosity = many\n")
    directory = project({"test_ok.py": "def test_ok():\n    pass\n",
                         "setup.cfg": "[nosetests]\nverbosity = 2\n"})
    run = doctor("--python", python("healthy-3.11"), "-c", extra, project=directory, home=home)
    chain = run.data["targets"][0]["config_files"]
    # nose's order: ~/.noserc, ~/nose.cfg, the project's setup.cfg, then -c files
    assert chain == [os.path.join(home, ".noserc"), os.path.join(home, "nose.cfg"),
                     os.path.join(directory, "setup.cfg"), extra]
    unknown = run.finding("config.unknown-option")
    assert unknown["file"] == os.path.join(home, ".noserc") and unknown["line"] == 2
    flag = run.finding("config.misleading-flag")
    assert (flag["file"], flag["line"]) == (os.path.join(home, "nose.cfg"), 3)
    invalid = run.finding("config.invalid-value")
    assert invalid["file"] == extra and "many" in invalid["title"]


def test_requested_plugin_that_nose_disabled():
    directory = project({"test_ok.py": "def test_ok():\n    pass\n",
                         "setup.cfg": "[nosetests]\nwith-clash = 1\n"})
    run = doctor("--python", python("plugins-3.11"), project=directory)
    # clash keeps its --with-clash option, but nose disabled it: an error now that it is wanted
    inactive = run.finding("collection.plugin-inactive")
    assert inactive["title"] == ("plugin clash is requested but not active: nose disabled it "
                                 "because its option --where is already taken (see "
                                 "plugins.option-conflict)")
    assert (inactive["file"], inactive["line"]) == (os.path.join(directory, "setup.cfg"), 2)
    conflicts = {f["title"].split(" is disabled")[0]: f["severity"] for f in run.data["findings"]
                 if f["id"] == "plugins.option-conflict"}
    assert conflicts == {"plugin clash": "error", "plugin beta": "warning"}


def test_option_of_a_plugin_that_failed_to_import():
    directory = project({"test_ok.py": "def test_ok():\n    pass\n",
                         "setup.cfg": "[nosetests]\nwith-broken = 1\n"})
    run = doctor("--python", python("plugins-3.11"), project=directory)
    unknown = run.finding("config.unknown-option")
    assert unknown["line"] == 2 and "nonexistent_dep_xyz" in "\n".join(unknown["evidence"])


def test_short_option_name_in_config_names_the_long_one():
    directory = project({"test_ok.py": "def test_ok():\n    pass\n",
                         "setup.cfg": "[nosetests]\nverbosity = 2\nx = 1\n"})
    run = doctor("--python", python("healthy-3.11"), project=directory)
    short = run.finding("config.short-option")
    assert short["line"] == 3 and "short form of --stop" in short["title"]
    assert short["fix"] == "write 'stop = 1' instead"
    # the smoke run cannot collect: it says so instead of a ✓
    assert "collection.options-rejected" not in run.ids
    assert "config problem" in run.data["targets"][0]["skipped"]["collection"]
