"""A doctor run: probe every target at once, run the check families, collect the findings.

``diagnose()`` is what ``harness doctor`` calls; it is usable without the CLI::

    from harness.doctor.diagnosis import default_targets, diagnose
    result = diagnose(default_targets(project="."), project=".")
    result.exit_code, [f.id for f in result.findings]

The probes (facts, and the collection smoke run) of all targets run in parallel subprocesses, so
a run costs about one interpreter start plus the slowest collection.
"""

import os
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from harness.doctor import checks, scripts
from harness.doctor.findings import SCHEMA, Finding
from harness.doctor.target import COLLECT_TIMEOUT, Target
from harness.errors import DoctorError


@dataclass(eq=False)
class TargetResult:
    target: Target
    facts: dict = field(default_factory=dict)
    collect: dict | None = None
    error: DoctorError | None = None
    skipped: dict = field(default_factory=dict)  # family name -> why it could not look

    def summary(self):
        interp = self.facts.get("interp") or {}
        owners = [d for d in (self.facts.get("dists") or {}).get("dists", []) if d["owns_nose"]]
        nose = (self.facts.get("nose") or {}).get("import") or {}
        config = self.facts.get("config") or {}
        return {
            "python": self.target.python,
            "via": self.target.via,
            "version": interp.get("version_str"),
            "nose": {"distributions": [f"{d['name']} {d['version']}" for d in owners],
                     "version": nose.get("version"), "path": nose.get("file"),
                     "imports": bool(nose.get("ok"))} if self.facts else None,
            "config_files": [f["path"] for f in config.get("files", [])],
            "tests_collected": (self.collect or {}).get("ran"),
            "skipped": dict(self.skipped),
            "error": self.error.render() if self.error else None,
        }


@dataclass
class Diagnosis:
    project: str
    results: list
    findings: list
    families: dict
    duration: float = 0.0

    @property
    def exit_code(self):
        if any(r.error for r in self.results) or not self.results or any(
                f.family == "doctor" for f in self.findings):
            return 2
        return 1 if any(f.is_problem for f in self.findings) else 0

    @property
    def status(self):
        return {0: "healthy", 1: "problems", 2: "failed"}[self.exit_code]

    def counts(self):
        return {s: sum(f.severity == s for f in self.findings) for s in ("error", "warning", "info")}

    def to_json(self):
        return {
            "schema": SCHEMA,
            "status": self.status,
            "exit_code": self.exit_code,
            "project": self.project,
            "duration_s": round(self.duration, 3),
            "targets": [r.summary() for r in self.results],
            "families": [{"name": f.name, "title": f.title, "scope": f.scope,
                          "status": _family_status(f.name, self.findings)}
                         for f in self.families.values()],
            "findings": [f.to_json() for f in self.findings],
            "counts": self.counts(),
        }


def _family_status(name, findings):
    severities = {f.severity for f in findings if f.family == name}
    for severity in ("error", "warning", "info"):
        if severity in severities:
            return severity
    return "ok"


def _key(python):
    """Two paths are one target when they are the same binary in the same venv."""
    prefix = os.path.dirname(os.path.dirname(os.path.abspath(python)))
    venv = prefix if os.path.isfile(os.path.join(prefix, "pyvenv.cfg")) else None
    return venv, os.path.realpath(python)


def default_targets(project=None, config_files=(), env_path=None, env=None):
    """The interpreter behind the ``nosetests`` first on PATH, and the current interpreter."""
    found = []
    on_path = scripts.on_path(env_path)
    if on_path and on_path[0].exists:
        found.append((on_path[0].interpreter, f"nosetests on PATH ({on_path[0].path})"))
    found.append((sys.executable, "the current interpreter"))
    return merge(found, project, config_files, env)


def merge(pairs, project=None, config_files=(), env=None):
    """Targets from (python, why) pairs; the same interpreter twice is one target."""
    targets = {}
    for python, why in pairs:
        key = _key(python)
        if key in targets:
            targets[key].via.append(why)
        else:
            targets[key] = Target(python, project=project, via=[why], config_files=config_files,
                                  env=env)
    return list(targets.values())


def diagnose(targets, project=None, *, collect=True, selected=None, timeout=COLLECT_TIMEOUT,
             env_path=None, options=None):
    """Probe ``targets`` and run the check families; ``selected`` names extra (opt-in) families."""
    started = time.perf_counter()
    project = os.path.abspath(project or os.getcwd())
    registry = checks.load()
    families = {name: fam for name, fam in registry.items()
                if fam.default or name in (selected or ())}
    wants_collect = collect and any("collect" in f.needs for f in families.values())
    results = [TargetResult(t) for t in targets]
    with ThreadPoolExecutor(max_workers=max(1, 2 * len(results))) as pool:
        facts = {r: pool.submit(r.target.probe) for r in results}
        smoke = {r: pool.submit(r.target.collect, timeout=timeout) for r in results
                 if wants_collect}
        for result in results:
            try:
                result.facts = facts[result].result()
                if result in smoke:
                    result.collect = smoke[result].result()
            except DoctorError as error:
                result.error = error
    all_facts = {r.target.python: r.facts for r in results if not r.error}
    on_path = scripts.on_path(env_path)
    findings = []
    for family in families.values():
        if family.scope == "global":
            ctx = checks.Context(project=project, targets=targets, all_facts=all_facts,
                                 options=options or {}, found=list(findings), scripts=on_path)
            findings += _run(family, ctx, None)
            continue
        for result in results:
            if result.error:
                continue
            ctx = checks.Context(project=project, targets=targets, target=result.target,
                                 facts=result.facts, collect=result.collect,
                                 all_facts=all_facts,
                                 options=options or {}, scripts=on_path,
                                 found=[f for f in findings if f.target == result.target.python])
            findings += _run(family, ctx, result.target.python)
            if ctx.skipped:
                result.skipped[family.name] = ctx.skipped
    for result in results:
        for section, trace in result.target.failed.items():
            findings.append(Finding(
                "doctor.probe-failed", "error",
                f"the probe failed on the {section!r} facts; the findings above may be incomplete",
                evidence=trace.strip().splitlines()[-3:], family="doctor",
                fix="please report this with the traceback", target=result.target.python))
    return Diagnosis(project, results, findings, families, time.perf_counter() - started)


def _run(family, ctx, python):
    out = []
    try:
        for finding in family.check(ctx) or ():
            finding.family = family.name
            finding.target = python
            out.append(finding)
            ctx.found.append(finding)
    except Exception:  # a bug in one family must not hide what the others found
        trace = traceback.format_exc().strip().splitlines()
        out.append(Finding(
            "doctor.check-failed", "error", f"the {family.name!r} checks crashed; they are "
            f"incomplete", evidence=trace[-3:], family="doctor", target=python,
            fix="please report this with the traceback"))
    return out
