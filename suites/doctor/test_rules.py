"""Check rules on hand-made facts, for cases no PyPI release reproduces on these Pythons."""

from harness.doctor.checks import Context, compat


class _Target:
    python = "/venv/bin/python"


def _ctx(version, **dist):
    owner = {"name": "nose-fork", "version": "2.0", "path": "/venv/lib/nose_fork-2.0.dist-info",
             "location": "/venv/lib", "owns_nose": True, "requires_python": None,
             "python_classifiers": [], "record_missing": [], "record_modified": []}
    owner.update(dist)
    facts = {"interp": {"version": list(version)}, "dists": {"dists": [owner]},
             "resolve": {"candidates": []}, "nose": {"import": {"ok": True}}}
    return Context(project="/p", targets=[], target=_Target(), facts=facts)


def test_installed_despite_requires_python():
    found = list(compat.check(_ctx((3, 12, 1), requires_python=">=3.6,<3.10")))
    assert [f.id for f in found] == ["compat.requires-python"]
    assert "requires Python >=3.6,<3.10" in found[0].title and "3.12" in found[0].title


def test_classifiers_stop_below_the_interpreter():
    found = list(compat.check(_ctx((3, 13, 0), python_classifiers=["3.8", "3.9", "3.11"])))
    assert [f.id for f in found] == ["compat.unsupported-python"]
    assert "up to 3.11 only" in found[0].title and found[0].severity == "warning"


def test_supported_fork_is_quiet():
    assert list(compat.check(_ctx((3, 12, 1), requires_python=">=3.7",
                                  python_classifiers=["3.11", "3.12", "3.13"]))) == []
