"""Pure functions over models: series, digests (and, later, reviews, revisions, stats)."""

from .digest import Digest, Window, build_digest
from .series import Series, assemble

__all__ = ["Digest", "Window", "build_digest", "Series", "assemble"]
