"""nose and Python that cannot work together, on real stock nose installs; healthy forks stay quiet."""

import subprocess

from suites.doctor.doctoring import doctor, project, python


def test_stock_nose_on_310_names_collections_callable():
    run = doctor("--python", python("stock-3.10"), project=project())
    assert run.code == 1
    text = run.text_of("compat.collections-callable")
    assert "nose 1.3.7" in text and "collections.Callable" in text and "3.10" in text
    assert "site-packages/nose/" in text  # the real file and line, not a guess
    assert "pynose" in run.finding("compat.collections-callable")["fix"]
    # a symptom elsewhere must not be reported as a second cause
    assert "collection.crashed" not in run.ids


def test_stock_nose_on_310_still_answers_version():
    # why the doctor is needed: the usual first check says all is well
    done = subprocess.run([python("stock-3.10"), "-m", "nose", "--version"],
                          capture_output=True, text=True, cwd=project(),
                          env={"PATH": "/usr/bin:/bin", "NOSE_IGNORE_CONFIG_FILES": "1"})
    assert done.returncode == 0 and "1.3.7" in done.stdout + done.stderr


def test_stock_nose_on_312_names_the_removed_imp_module():
    run = doctor("--python", python("stock-3.12"), project=project())
    assert run.code == 1
    found = run.finding("compat.imp-removed")
    assert "'imp'" in found["title"] and "3.12" in found["title"]
    assert found["file"].endswith("nose/importer.py") and found["line"] == 12


def test_fork_release_without_support_for_the_interpreter():
    run = doctor("--python", python("nose3-3.12"), project=project())
    found = run.finding("compat.imp-removed")
    assert found["title"].startswith("nose3 1.3.8 imports the 'imp' module")
    assert "pynose" in found["fix"] and "nose3" in found["fix"]


def test_fork_forced_onto_a_python_its_requires_python_excludes():
    run = doctor("--python", python("requires-3.11"), project=project())
    assert run.code == 1
    found = run.finding("compat.requires-python")
    assert found["title"] == ("nose-oldfork 1.4.0 requires Python >=3.6,<3.10, but it is "
                              "installed on Python 3.11")
    assert found["evidence"][0].endswith(
        "nose_oldfork-1.4.0.dist-info: Requires-Python: >=3.6,<3.10")
    assert "compat.unsupported-python" not in run.ids  # one finding per distribution


def test_fork_whose_classifiers_stop_below_the_interpreter():
    run = doctor("--python", python("classifiers-3.11"), project=project())
    found = run.finding("compat.unsupported-python")
    assert found["severity"] == "warning"
    assert found["title"] == ("nose-oldfork 1.4.0 declares support for Python up to 3.10 only; "
                              "this is Python 3.11")
    assert found["evidence"][0].endswith("classifiers list Python 3.8, 3.9, 3.10")
    assert "compat.requires-python" not in run.ids


def _healthy(name):
    run = doctor("--python", python(name), project=project())
    problems = [f for f in run.data["findings"] if f["severity"] != "info"]
    assert run.code == 0, (problems, run.stderr)
    assert run.data["status"] == "healthy"
    assert run.data["targets"][0]["tests_collected"] == 1


def test_healthy_pynose_on_310():
    _healthy("healthy-3.10")


def test_healthy_pynose_on_311():
    _healthy("healthy-3.11")


def test_healthy_pynose_on_312():
    _healthy("healthy-3.12")


def test_healthy_pynose_on_313():
    _healthy("healthy-3.13")


def test_probe_runs_on_python_38():
    _healthy("healthy-3.8")


def test_the_project_venv_is_healthy():
    import sys
    run = doctor("--python", sys.executable, project=project())
    assert run.code == 0, [f for f in run.data["findings"] if f["severity"] != "info"]
    assert "pynose 1.5.5" in run.data["targets"][0]["nose"]["distributions"]
