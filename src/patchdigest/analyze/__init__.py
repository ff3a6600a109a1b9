"""Pure functions over models: series, digests (and, later, reviews, revisions, stats)."""

from .digest import Digest, Window, build_digest
from .headers import CURATED, Header, all_headers, curated_headers
from .replies import count_replies
from .series import Series, assemble

__all__ = [
    "CURATED",
    "Digest",
    "Header",
    "Series",
    "Window",
    "all_headers",
    "assemble",
    "build_digest",
    "count_replies",
    "curated_headers",
]
