"""The doctor's check families, and the registry other features add to.

A family is a function ``check(ctx) -> iterable of Finding`` registered under a name. The doctor
runs every default family; a family registered with ``flag="options"`` is off by default and gets
its own ``harness doctor --options`` switch (the command adds the switch from this registry). To
add a family, write ``checks/<name>.py`` calling ``register(...)`` at import and list the module
in ``MODULES``::

    from harness.doctor.checks import register

    def check(ctx):
        for option in ctx.facts["nose"]["options"]:
            ...
            yield Finding("options.rejected", "error", "...", evidence=[...], fix="...")

    register("options", "options nosetests --help lists", check, default=False,
             flag="options", help="check that the parser accepts every option --help lists")

``scope="target"`` families run once per inspected interpreter with ``ctx.target`` and
``ctx.facts`` set; ``scope="global"`` families run once with ``ctx.targets``. ``needs="collect"``
asks for the collection smoke run (``ctx.collect``).
"""

import importlib
from dataclasses import dataclass, field

MODULES = ("compat", "ownership", "resolution", "command", "plugins", "config", "collection",
           "leftovers", "options")


@dataclass
class Family:
    name: str
    title: str
    check: object
    default: bool = True
    flag: str | None = None
    help: str | None = None
    scope: str = "target"
    needs: tuple = ("probe",)


FAMILIES = {}


def register(name, title, check, *, default=True, flag=None, help=None, scope="target",
             needs=("probe",)):
    FAMILIES[name] = Family(name, title, check, default, flag, help, scope, tuple(needs))


def load():
    """Import every family module once; returns the registry in report order."""
    for module in MODULES:
        importlib.import_module(f"{__name__}.{module}")
    return FAMILIES


@dataclass
class Context:
    """What a check sees. ``facts`` and ``collect`` belong to ``target`` (None for global checks)."""
    project: str
    targets: list
    target: object = None
    facts: dict = field(default_factory=dict)
    collect: dict | None = None
    all_facts: dict = field(default_factory=dict)  # python path -> facts, for global checks
    options: dict = field(default_factory=dict)    # the command's parsed options
    found: list = field(default_factory=list)      # findings of the families run so far
    scripts: list = field(default_factory=list)    # nosetests on PATH (harness.doctor.scripts)
    skipped: str | None = None                     # set by skip()

    def skip(self, reason):
        """Say why this family could not look (shown instead of a misleading ✓)."""
        self.skipped = reason

    @property
    def python(self):
        return self.target.python if self.target else None

    @property
    def version(self):
        interp = self.facts.get("interp") or {}
        return tuple(interp.get("version") or ())

    def nose_owners(self):
        return [d for d in (self.facts.get("dists") or {}).get("dists", []) if d["owns_nose"]]
