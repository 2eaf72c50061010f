"""``nosetests`` scripts: where they are on PATH and which interpreter each one runs.

pip writes console scripts with a ``#!/abs/path/python`` line, or, when that path is too long for
the kernel, with a ``#!/bin/sh`` preamble that ``exec``s the interpreter. ``#!/usr/bin/env python3``
scripts (hand-made, or from distro packages) resolve through PATH.
"""

import os
import re
import shutil
from dataclasses import dataclass

NAMES = ("nosetests",)


@dataclass
class Script:
    path: str
    interpreter: str | None  # absolute path the script runs, None if unreadable
    shebang: str

    @property
    def exists(self):
        return bool(self.interpreter) and os.access(self.interpreter, os.X_OK)

    @property
    def venv(self):
        """The venv the script lives in (its bin/ has a pyvenv.cfg next to it), or None."""
        prefix = os.path.dirname(os.path.dirname(self.path))
        return prefix if os.path.isfile(os.path.join(prefix, "pyvenv.cfg")) else None


def read(path, env_path=None):
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024).decode("utf-8", "replace")
    except OSError:
        return Script(path, None, "")
    first = head.splitlines()[0] if head else ""
    if not first.startswith("#!"):
        return Script(path, None, first)
    words = first[2:].split()
    if not words:
        return Script(path, None, first)
    if words[0].endswith("/sh"):
        match = re.search(r"^'''exec' \"?([^\"\s]+)\"?", head, re.M)
        return Script(path, match.group(1) if match else None, first)
    if os.path.basename(words[0]) == "env" and len(words) > 1:
        name = [w for w in words[1:] if not w.startswith("-")][0]
        return Script(path, shutil.which(name, path=env_path) or name, first)
    return Script(path, words[0], first)


def on_path(env_path=None):
    """Every ``nosetests`` on PATH in PATH order (the first one runs), without duplicates."""
    found, seen = [], set()
    for directory in (env_path if env_path is not None else os.environ.get("PATH", "")).split(
            os.pathsep):
        for name in NAMES:
            path = os.path.join(directory or ".", name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                real = os.path.realpath(path)
                if real not in seen:
                    seen.add(real)
                    found.append(read(os.path.abspath(path), env_path))
    return found
