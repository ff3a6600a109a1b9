"""Which epochs a remote inbox has: its manifest, else probing ``URL/0``, ``URL/1``, ...

A file:// remote is an inbox directory on this machine: its ``git/N.git`` are listed
and fingerprinted directly, exactly as a server would for its manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ..config import redact
from ..errors import SyncError
from ..sources.publicinbox import epoch_dirs
from . import gitnet, http, manifest
from .manifest import EpochUrl, RemoteEpoch
from .retry import Notify, RetryPolicy, with_retries


@dataclass(frozen=True, slots=True)
class Listing:
    epochs: tuple[RemoteEpoch, ...]
    how: str  # "manifest", "probe" or "directory"


@dataclass(frozen=True, slots=True)
class Network:
    """How patient to be with the network."""

    retry: RetryPolicy = RetryPolicy()
    timeout: float = 30.0  # seconds for one HTTP request (the manifest)
    low_speed_time: int = 60  # seconds below 1 KB/s before git gives up on a transfer


def discover(url: str, net: Network, notify: Notify | None = None) -> Listing:
    if urlsplit(url).scheme == "file":
        return _directory(url)
    shown = redact(url)
    manifest_url = f"{url}/manifest.js.gz"
    body = with_retries(
        partial(http.get, manifest_url, timeout=net.timeout),
        policy=net.retry,
        where=redact(manifest_url),
        notify=notify,
    )
    if body is not None:
        try:
            decoded = manifest.decode(body)
            epochs = manifest.parse(decoded, urlsplit(url).path, EpochUrl(url, local=False)) if decoded else []
        except SyncError as exc:
            raise SyncError(str(exc), where=redact(manifest_url)) from None
        if epochs:
            return Listing(tuple(epochs), "manifest")
    # No manifest (a plain git server), or one hiding this inbox: ask git, epoch by epoch.
    epoch_url = EpochUrl(url, local=False)
    found: list[RemoteEpoch] = []
    for number in range(manifest.MAX_EPOCH):
        target = epoch_url(number)
        fp = with_retries(
            partial(gitnet.remote_fingerprint, target, low_speed_time=net.low_speed_time),
            policy=net.retry,
            where=redact(target),
            notify=notify,
        )
        if fp is None:
            break
        found.append(RemoteEpoch(number, target, fp))
    if not found:
        raise SyncError("not a public-inbox v2 inbox: no manifest.js.gz and no epoch at URL/0", where=shown)
    return Listing(tuple(found), "probe")


def _directory(url: str) -> Listing:
    path = Path(url2pathname(urlsplit(url).path))
    dirs = epoch_dirs(path)
    if not dirs:
        raise SyncError("not a public-inbox v2 inbox directory (no git/N.git)", where=redact(url))
    epoch_url = EpochUrl(url, local=True)
    return Listing(
        tuple(RemoteEpoch(n, epoch_url(n), gitnet.local_fingerprint(d), gitnet.modified_time(d)) for n, d in dirs),
        "directory",
    )
