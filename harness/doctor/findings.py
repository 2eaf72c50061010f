"""What the doctor reports: one ``Finding`` per problem, with its evidence and its fix.

A finding names the cause, not the symptom: "stock nose 1.3.7 uses collections.Callable, removed in
Python 3.10", not "collection failed". ``id`` is stable (``family.slug``) and documented in
docs/doctor.md, so CI can match on it; ``title`` is the one line a human reads first.
"""

from dataclasses import asdict, dataclass, field

SCHEMA = "nose-harness.doctor/1"  # of the JSON report; see docs/doctor.md
SEVERITIES = ("error", "warning", "info")


@dataclass
class Finding:
    id: str
    severity: str
    title: str
    evidence: list = field(default_factory=list)
    fix: str | None = None
    family: str = ""
    target: str | None = None
    file: str | None = None
    line: int | None = None

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if not self.family:
            self.family = self.id.split(".", 1)[0]

    @property
    def is_problem(self):
        return self.severity in ("error", "warning")

    def to_json(self):
        return asdict(self)


def cap(lines, limit=6):
    """At most ``limit`` evidence lines, and how many more there were."""
    lines = list(lines)
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [f"... and {len(lines) - limit} more"]
