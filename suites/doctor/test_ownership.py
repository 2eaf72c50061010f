"""Who owns the nose package: two owners, files missing after an uninstall, tampered files."""

import os

from suites.doctor.doctoring import doctor, project, python
from suites.doctor.envs import get, site_packages


def test_plugin_dependency_pulls_stock_nose_over_the_fork():
    run = doctor("--python", python("both-3.11"), project=project())
    assert run.code == 1
    text = run.text_of("ownership.multiple-owners")
    assert "pynose" in text and "nose 1.3.7" in text
    assert "pulled in by legacyplug 2.0" in text
    # what actually runs is stock nose's code, and the doctor says so
    assert "nose 1.3.7 uses collections.Callable" in run.text_of("compat.collections-callable")


def test_uninstalling_one_owner_leaves_the_other_without_its_files():
    run = doctor("--python", python("uninstalled-3.11"), project=project())
    assert run.code == 1
    found = run.finding("ownership.files-missing")
    assert "nose 1.3.7" in found["title"] and "RECORD" in found["title"]
    assert any(line.endswith("nose/__init__.py") for line in found["evidence"])
    # one cause, one error: no generic "import fails" on top
    assert "resolution.import-fails" not in run.ids


def test_nose_files_whose_dist_info_is_gone():
    run = doctor("--python", python("no-owner-3.11"), project=project())
    assert run.code == 1
    found = run.finding("ownership.no-owner")
    nose_dir = os.path.join(site_packages(get("no-owner-3.11")), "nose")
    assert found["file"] == nose_dir
    assert found["title"].startswith(f"{nose_dir} belongs to no installed distribution")
    assert found["fix"].startswith(f"rm -rf {nose_dir} && ")
    # one cause, one error: the same directory is not also reported as shadowing nose
    assert "resolution.shadowed" not in run.ids


def test_tampered_files_and_leftovers_are_named():
    run = doctor("--python", python("tampered-3.11"), project=project())
    assert run.code == 1
    assert "nose/plugins/xunit.py" in run.text_of("ownership.files-modified")
    assert "nose/plugins/oldplugin.py" in run.text_of("ownership.unowned-files")
