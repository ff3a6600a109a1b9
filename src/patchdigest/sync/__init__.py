"""Mirroring public-inbox servers (lore.kernel.org and the like) into local v2 inboxes.

Only network and git I/O lives here; indexing the mirror is the pipeline's job, done by
the caller after a successful sync so that a failed one never leaves a half-indexed state.
"""

from __future__ import annotations

from .discover import Listing, Network, discover
from .manifest import RemoteEpoch
from .mirror import EpochChoice, SyncOptions, SyncResult, mirror_path, sync_remote
from .retry import RetryPolicy

__all__ = [
    "EpochChoice",
    "Listing",
    "Network",
    "RemoteEpoch",
    "RetryPolicy",
    "SyncOptions",
    "SyncResult",
    "discover",
    "mirror_path",
    "sync_remote",
]
