"""Where `import nose` really resolves: PYTHONPATH, a .pth egg, a local nose.py, nothing."""

import os

from suites.doctor.doctoring import doctor, project, python, scratch


def test_pythonpath_shadows_the_installed_fork():
    fake = scratch("pythonpath")
    os.makedirs(os.path.join(fake, "nose"))
    with open(os.path.join(fake, "nose", "__init__.py"), "w") as handle:
        handle.write("__version__ = '0.10.0'\n")
    run = doctor("--python", python("healthy-3.11"), project=project(),
                 env={"PYTHONPATH": fake})
    assert run.code == 1
    found = run.finding("resolution.shadowed")
    assert fake in found["title"] and "pynose 1.5.5" in found["title"]
    assert "PYTHONPATH" in found["fix"] and "0.10.0" in "\n".join(found["evidence"])


def test_pth_line_puts_an_old_egg_first():
    run = doctor("--python", python("pth-3.11"), project=project())
    found = run.finding("resolution.shadowed")
    assert found["file"].endswith("zz_legacy.pth") and found["line"] == 1
    assert "nose-0.11.4.egg" in found["title"]


def test_local_nose_module_in_the_project():
    directory = project({"test_ok.py": "def test_ok():\n    pass\n", "nose.py": "x = 1\n"})
    run = doctor("--python", python("healthy-3.11"), project=directory)
    found = run.finding("resolution.local-nose")
    assert found["file"] == os.path.join(directory, "nose.py")
    assert "python -m nose" in found["title"]


def test_local_nose_package_in_the_project():
    directory = project({"test_ok.py": "def test_ok():\n    pass\n",
                         "nose/__init__.py": "x = 1\n"})
    run = doctor("--python", python("healthy-3.11"), project=directory)
    found = run.finding("resolution.local-nose")
    assert found["file"] == os.path.join(directory, "nose")
    assert found["title"].startswith(os.path.join(directory, "nose") + " in the project shadows")


def test_intact_fork_whose_own_import_fails():
    run = doctor("--python", python("import-fails-3.11"), project=project())
    assert run.code == 1
    found = run.finding("resolution.import-fails")
    assert found["title"] == ("'import nose' fails: ModuleNotFoundError: No module named "
                              "'nose_runtime_gone_xyz'")
    assert found["file"].endswith("site-packages/nose/core.py") and found["line"] == 1
    assert not any("probe.py" in line for line in found["evidence"]), found["evidence"]


def test_no_nose_installed():
    run = doctor("--python", python("bare-3.11"), project=project())
    assert run.code == 1
    assert "not installed" in run.finding("resolution.not-installed")["title"]


def test_vendored_copy_on_pythonpath_wins_over_the_venv():
    from suites.doctor.envs import get
    vendor = os.path.join(get("vendored-3.11"), "vendor")
    run = doctor("--python", python("vendored-3.11"), project=project(),
                 env={"PYTHONPATH": vendor})
    assert run.finding("ownership.several-places")["severity"] == "info"
    shadowed = run.finding("resolution.shadowed")
    assert vendor in shadowed["title"] and "PYTHONPATH" in shadowed["fix"]
    assert "ownership.multiple-owners" not in run.ids  # different directories share no files
