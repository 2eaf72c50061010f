"""Stray bytecode without its source."""

import os
import py_compile
import sys

from suites.doctor.doctoring import OK_TEST, doctor, project, python


def test_orphan_pyc_is_reported_and_pycache_is_not():
    directory = project({"test_a.py": OK_TEST, "pkg/old.py": "X = 1\n"})
    source = os.path.join(directory, "pkg", "old.py")
    py_compile.compile(source, cfile=os.path.join(directory, "pkg", "old.pyc"))
    py_compile.compile(source)  # pkg/__pycache__/old.*.pyc: harmless once the source is gone
    os.remove(source)
    run = doctor("--python", python("healthy-3.11"), project=directory)
    found = run.finding("leftovers.orphan-bytecode")
    [evidence] = found["evidence"]
    assert evidence.split(" ")[0] == os.path.join("pkg", "old.pyc"), evidence
    # The bytecode was compiled by the Python running this suite; the target is 3.11.
    other = sys.version_info[:2] != (3, 11)
    assert evidence.endswith("(compiled by another Python)") == other, evidence
