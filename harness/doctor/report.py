"""A diagnosis as text for people (✓ ⚠ ✗, grouped) or as JSON for CI.

The text report shows each target (interpreter) with its nose and config, then one line per check
family: ``✓`` with the family's title when it found nothing, otherwise one line per finding
followed by its evidence and its fix. Colour is used only on a terminal, unless ``NO_COLOR`` is set
to a non-empty value (no-color.org: an empty one counts as unset) or ``TERM=dumb``.
The JSON schema is documented in docs/doctor.md.
"""

import json
import os

MARKS = {"ok": "✓", "error": "✗", "warning": "⚠", "info": "ℹ"}
COLOURS = {"ok": "32", "error": "31", "warning": "33", "info": "36", "dim": "2", "bold": "1"}


def use_colour(stream):
    return (hasattr(stream, "isatty") and stream.isatty() and not os.environ.get("NO_COLOR")
            and os.environ.get("TERM") != "dumb")


def to_json(diagnosis):
    return json.dumps(diagnosis.to_json(), indent=2, ensure_ascii=False)


def to_text(diagnosis, colour=False):
    def paint(kind, text):
        return f"\033[{COLOURS[kind]}m{text}\033[0m" if colour else text

    lines = [paint("bold", f"harness doctor: {diagnosis.project}")]
    by_target = {}
    for finding in diagnosis.findings:
        by_target.setdefault(finding.target, []).append(finding)

    def family_lines(scope, findings, skipped=None):
        out = []
        for family in diagnosis.families.values():
            if family.scope != scope:
                continue
            mine = [f for f in findings if f.family == family.name]
            if not mine and family.name in (skipped or {}):
                out.append("  " + paint("dim", f"– {family.title}: not checked, "
                                               f"{skipped[family.name]}"))
            elif not mine:
                out.append("  " + paint("ok", MARKS["ok"]) + " " + family.title)
            for finding in mine:
                out.append("  " + paint(finding.severity, MARKS[finding.severity]) + " "
                           + finding.title + paint("dim", f"  [{finding.id}]"))
                for line in finding.evidence:
                    if line:
                        out.append("      " + paint("dim", line))
                if finding.fix:
                    out.append("      fix: " + finding.fix)
        return out

    for result in diagnosis.results:
        summary = result.summary()
        head = f"Python {summary['version'] or '?'}  {summary['python']}"
        lines += ["", paint("bold", head) + paint("dim", "  (" + ", ".join(summary["via"]) + ")")]
        if result.error:
            lines.append("  " + paint("error", MARKS["error"]) + " the doctor cannot inspect "
                         "this interpreter: " + result.error.render().replace("\n", "\n      "))
            continue
        nose = summary["nose"] or {}
        dists = ", ".join(nose.get("distributions") or []) or "no distribution"
        lines.append(paint("dim", f"  nose: {dists}"
                                  + (f", imports {nose['version']} from {nose['path']}"
                                     if nose.get("imports") else ", does not import")))
        if summary["config_files"]:
            lines.append(paint("dim", "  config: " + ", ".join(summary["config_files"])))
        if summary["tests_collected"] is not None:
            lines.append(paint("dim", f"  collect-only: {summary['tests_collected']} tests"))
        lines += family_lines("target", by_target.get(result.target.python, []), result.skipped)
    lines += ["", paint("bold", "Commands and project")]
    lines += family_lines("global", by_target.get(None, []))
    counts = diagnosis.counts()
    verdict = {0: paint("ok", "healthy"), 1: paint("error", "problems found"),
               2: paint("error", "the doctor could not inspect everything")}[diagnosis.exit_code]
    lines += ["", f"{verdict}: {counts['error']} error(s), {counts['warning']} warning(s), "
                  f"{counts['info']} note(s) in {diagnosis.duration:.2f} s"]
    return "\n".join(lines)
