"""Why a nose install is broken: probes run in the target interpreter, checks judge the facts.

- ``probe.py``      runs INSIDE the inspected interpreter (stdlib only, 3.8+), prints JSON facts
- ``target.py``     ``Target(python)``: runs the probe in a subprocess with a timeout (shared API)
- ``scripts.py``    ``nosetests`` on PATH and the interpreter each one runs
- ``checks/``       one module per family of problems, registered in ``checks/__init__.py``
- ``findings.py``   ``Finding``: id, severity, title, evidence, fix
- ``diagnosis.py``  a doctor run: probe every target in parallel, run the families
- ``report.py``     the text report (✓ ⚠ ✗) and the JSON one (schema in docs/doctor.md)
"""
