"""Plugins: import failures, pkg_resources, option collisions, duplicate names, broken builtins."""

from suites.doctor.doctoring import doctor, project, python


def _plugins_run():
    return doctor("--python", python("plugins-3.11"), project=project())


def test_plugin_with_a_missing_module():
    run = _plugins_run()
    found = run.finding("plugins.import-failed")
    assert "nonexistent_dep_xyz" in found["title"] and "brokenplug" in found["title"]
    assert found["file"].endswith("brokenplug.py") and found["line"] == 1


def test_plugin_needing_pkg_resources():
    text = _plugins_run().text_of("plugins.pkg-resources-missing")
    assert "needspkg" in text and "setuptools" in text


def test_option_collisions_name_both_sides_and_the_loser():
    run = _plugins_run()
    conflicts = [f for f in run.data["findings"] if f["id"] == "plugins.option-conflict"]
    titles = "\n".join(f["title"] for f in conflicts)
    assert "plugin clash is disabled" in titles and "--where is nose's own option" in titles
    assert "plugin beta is disabled" in titles and "registered by plugin alpha" in titles


def test_duplicate_plugin_names():
    found = _plugins_run().finding("plugins.duplicate-name")
    assert "'dup'" in found["title"] and "dupone" in found["fix"] and "duptwo" in found["fix"]


def test_a_plugin_printing_on_stdout_does_not_break_the_report():
    run = _plugins_run()
    assert run.data is not None and "clashplug says hello" not in run.stdout


def test_stock_nose_without_pkg_resources_ignores_every_plugin():
    found = doctor("--python", python("stock-3.10"), project=project()).finding(
        "plugins.entry-points-ignored")
    assert "okplug" in "\n".join(found["evidence"]) and "pkg_resources" in found["title"]


def test_plugin_raising_while_registering_its_options():
    run = doctor("--python", python("options-fail-3.11"), project=project())
    found = run.finding("plugins.options-failed")
    assert found["title"] == ("plugin optfail raises while registering its options: "
                              "KeyError: 'OPTFAIL_HOME'")
    assert found["file"].endswith("optfailplug.py") and found["line"] == 8
    # nose dies of it too; that is the same cause, reported once
    assert "plugins.import-failed" not in run.ids and "collection.crashed" not in run.ids


def test_broken_builtin_plugin_module():
    found = doctor("--python", python("tampered-3.11"), project=project()).finding(
        "plugins.builtin-failed")
    assert "nose.plugins.xunit" in found["title"] and "lxml_not_installed_xyz" in found["title"]
