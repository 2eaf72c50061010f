"""The error types the harness raises for things a user can fix.

Each layer has one type. It carries where the problem is (file and line when there is one), what was
expected, and the fix. The CLI and the plugins print ``render()`` and no traceback: a traceback is
for bugs in the harness, not for mistakes in a fixture file or a URL.
"""


class HarnessError(Exception):
    """A problem the user can fix, with its location and the fix."""

    def __init__(self, message, *, file=None, line=None, fix=None, detail=None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.fix = fix
        self.detail = detail

    @property
    def where(self):
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else str(self.file)

    def render(self):
        head = f"{self.where}: {self.message}" if self.where else self.message
        parts = [head]
        if self.detail:
            parts.extend("  " + line for line in str(self.detail).rstrip().splitlines())
        if self.fix:
            parts.append(f"  fix: {self.fix}")
        return "\n".join(parts)

    def __str__(self):
        return self.render()


class ConfigError(HarnessError):
    """Bad settings: a config file value, an option or an environment variable."""


class ServiceError(HarnessError):
    """A server that cannot be found, started or reached."""


class FixtureError(HarnessError):
    """A fixture that cannot be parsed, validated or loaded."""


class WebError(HarnessError):
    """The app under test cannot be built, started or reached."""


class DoctorError(HarnessError):
    """The doctor itself cannot run (not: the doctor found a problem)."""
