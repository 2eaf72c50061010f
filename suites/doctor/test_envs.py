"""The environment builder's contract: a missing Python skips, unless CI requires every one."""

import os
from unittest import SkipTest

from suites.doctor import envs
from suites.doctor.doctoring import scratch


def _find_missing(require):
    saved = {k: os.environ.get(k) for k in ("PYENV_ROOT", "HARNESS_REQUIRE_PYTHONS")}
    os.environ["PYENV_ROOT"] = scratch("pyenv")
    os.environ.pop("HARNESS_REQUIRE_PYTHONS", None)
    if require is not None:
        os.environ["HARNESS_REQUIRE_PYTHONS"] = require
    try:
        envs.find_python("3.99")
    except (SkipTest, RuntimeError) as error:
        return error
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None)
            if value is not None:
                os.environ[key] = value
    raise AssertionError("find_python found a Python 3.99")


def test_missing_python_skips_by_default():
    error = _find_missing(None)
    assert isinstance(error, SkipTest), error
    assert str(error).startswith("Python 3.99 is not installed")


def test_missing_python_fails_when_every_python_is_required():
    error = _find_missing("1")
    assert isinstance(error, RuntimeError), error
    assert "Python 3.99 is not installed" in str(error)
    assert "HARNESS_REQUIRE_PYTHONS=1" in str(error)


def test_only_the_value_1_requires_them():
    assert isinstance(_find_missing("0"), SkipTest)
