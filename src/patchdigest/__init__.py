"""patchdigest: digests of patch traffic from public-inbox mailing-list archives.

The public API; everything else is private and may change.

Names are imported on first use (PEP 562): ``import patchdigest`` stays cheap, so that
the command line, which imports this package first, starts fast for `index` from cron.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    ConfigError,
    ParseError,
    PatchdigestError,
    RangeError,
    SourceError,
    StoreError,
    SyncError,
)

if TYPE_CHECKING:
    from .analyze import Digest, Series, Window, build_digest
    from .models import Kind, Message, Person, Provenance, RawMessage, Subject
    from .parse import parse_message
    from .pipeline import index_archive, make_digest, register
    from .sources import open_archive
    from .store import Store

_LAZY = {
    "Digest": ".analyze", "Series": ".analyze", "Window": ".analyze", "build_digest": ".analyze",
    "Kind": ".models", "Message": ".models", "Person": ".models", "Provenance": ".models",
    "RawMessage": ".models", "Subject": ".models", "parse_message": ".parse",
    "index_archive": ".pipeline", "make_digest": ".pipeline", "register": ".pipeline",
    "open_archive": ".sources", "Store": ".store",
}  # fmt: skip

__all__ = [
    "ConfigError", "Digest", "Kind", "Message", "ParseError", "PatchdigestError", "Person",
    "Provenance", "RangeError", "RawMessage", "Series", "SourceError", "Store", "StoreError",
    "Subject", "SyncError", "Window", "build_digest", "index_archive", "make_digest",
    "open_archive", "parse_message", "register",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
