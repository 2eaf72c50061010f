"""INI files read the way ConfigParser reads them, but keeping the file and line of every value.

nose, setup.cfg and the harness all use INI files; when a value is wrong, the user needs to know
which file and which line set it. ``read()`` returns ``Entry`` objects instead of bare strings.
"""

import re
from dataclasses import dataclass

_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*$")
_OPTION = re.compile(r"^(?P<key>[^=:\s][^=:]*?)\s*[=:]\s*(?P<value>.*)$")


@dataclass(frozen=True)
class Entry:
    section: str
    key: str
    value: str
    file: str
    line: int

    @property
    def where(self):
        return f"{self.file}:{self.line}"


def read(path):
    """Return the entries of ``path`` in file order; a missing file gives ``[]``.

    Keys are lower-cased and continuation lines are joined with a newline, as ConfigParser does.
    Comment lines (``#`` or ``;``) are skipped.
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return []
    entries = []
    section = None
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if raw[0].isspace() and entries and entries[-1].section == section:
            last = entries[-1]
            entries[-1] = Entry(last.section, last.key, f"{last.value}\n{stripped}".strip(),
                                last.file, last.line)
            continue
        match = _SECTION.match(stripped)
        if match:
            section = match.group("name").strip()
            continue
        match = _OPTION.match(stripped)
        if match and section is not None:
            entries.append(Entry(section, match.group("key").strip().lower(),
                                 match.group("value").strip(), str(path), number))
    return entries


def section(path, name):
    """Return ``{key: Entry}`` for one section of ``path``; later keys win, as in ConfigParser."""
    return {entry.key: entry for entry in read(path) if entry.section == name}
