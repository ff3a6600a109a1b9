"""One exception hierarchy. Every error carries what it is about (file, commit, Message-ID)."""

from __future__ import annotations


class PatchdigestError(Exception):
    """Base of every error the library raises on purpose.

    ``str(err)`` is one line fit for a terminal: it names the thing at fault.
    """

    def __init__(self, message: str, *, where: str = "") -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class SourceError(PatchdigestError):
    """An archive, repository or mailbox could not be read."""


class ParseError(PatchdigestError):
    """A message could not be parsed; ``where`` names its commit/file and Message-ID."""


class RangeError(PatchdigestError):
    """A --range endpoint or date window is invalid or not in the archive."""


class StoreError(PatchdigestError):
    """The index database is unusable (wrong schema, locked, corrupt)."""


class ConfigError(PatchdigestError):
    """The configuration file or a command-line value is invalid."""


class SyncError(PatchdigestError):
    """Fetching from a remote public-inbox server failed."""
