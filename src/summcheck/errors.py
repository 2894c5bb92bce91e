"""User-facing errors: each says what is wrong, where, and what to do."""


class SummcheckError(Exception):
    """An error the CLI reports as one clear message (no traceback)."""


class ConfigError(SummcheckError):
    """A config file is invalid: names the file, the field and the fix."""


class DataError(SummcheckError):
    """Input data is malformed: names the file, the line or field and the fix."""


class MissingExtraError(SummcheckError):
    """An optional dependency is not installed; the message has the install command."""

    def __init__(self, package: str, extra: str):
        from .extras import install_command

        super().__init__(f"{package} is not installed. Install it with: "
                         f"{install_command(extra)}")
        self.package, self.extra = package, extra

    def __reduce__(self):
        """Pickled with its own arguments: a check's forked worker sends it back whole."""
        return type(self), (self.package, self.extra)
