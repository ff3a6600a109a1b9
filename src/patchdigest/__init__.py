"""patchdigest: digests of patch traffic from public-inbox mailing-list archives.

The public API; everything else is private and may change.
"""

from .analyze import Digest, Series, Window, build_digest
from .errors import (
    ConfigError,
    ParseError,
    PatchdigestError,
    RangeError,
    SourceError,
    StoreError,
    SyncError,
)
from .models import Kind, Message, Person, Provenance, RawMessage, Subject
from .parse import parse_message
from .pipeline import index_archive, make_digest, register
from .sources import open_archive
from .store import Store

__all__ = [
    "ConfigError", "Digest", "Kind", "Message", "ParseError", "PatchdigestError", "Person",
    "Provenance", "RangeError", "RawMessage", "Series", "SourceError", "Store", "StoreError",
    "Subject", "SyncError", "Window", "build_digest", "index_archive", "make_digest",
    "open_archive", "parse_message", "register",
]  # fmt: skip
