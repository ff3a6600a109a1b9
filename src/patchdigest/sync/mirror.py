"""Keeping a local mirror of a remote inbox current: ``DATA/mirrors/NAME/git/N.git``.

The mirror is an ordinary v2 inbox directory, so the indexer reads it like any other.
What a sync does, per epoch on the server (newest first):

* an epoch already mirrored is fetched only when the server's fingerprint differs from
  the mirror's own (``git show-ref`` digest), or the server gave none;
* an epoch not yet mirrored is cloned if the mirror's choice wants it (see
  :mod:`.choice`): every epoch (the default), only the newest, or those with a message
  on or after a date; given in the options, the choice is remembered for later syncs;
* a clone is made in a hidden temporary directory and renamed into place only when
  complete, so an interrupted or failed sync never leaves a half-made epoch behind.

Fetches are forced (``+refs/*:refs/*``): a server-side purge rewrites history, and the
indexer notices and rewinds to the fork point on its own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Literal

from ..config import Remote, check_name, redact
from ..errors import SyncError
from ..sources.publicinbox import epoch_dirs
from . import choice, gitnet
from .choice import Choice
from .discover import Listing, Network, discover
from .manifest import RemoteEpoch
from .retry import Notify, with_retries

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; concurrent syncs of one remote are unsafe
    fcntl = None  # type: ignore[assignment]

EpochChoice = Literal["all", "newest"]
_PARTIAL = ".partial"


@dataclass(frozen=True, slots=True)
class SyncOptions:
    epochs: EpochChoice | None = None
    since: datetime | None = None  # aware; compared with each epoch's newest commit time
    net: Network = field(default_factory=Network)


@dataclass(frozen=True, slots=True)
class SyncResult:
    name: str
    path: Path  # the mirror: a v2 inbox directory
    how: str  # how the epochs were listed: "manifest", "probe" or "directory"
    cloned: tuple[int, ...] = ()
    fetched: tuple[int, ...] = ()
    unchanged: tuple[int, ...] = ()
    skipped: tuple[int, ...] = ()  # on the server, not mirrored by choice


def mirror_path(data_dir: Path, name: str) -> Path:
    """``data_dir/mirrors/NAME``, refusing any name or symlink that would lead elsewhere."""
    check_name(name)
    root = data_dir / "mirrors"
    path = root / name
    if path.is_symlink() or (path.exists() and path.resolve().parent != root.resolve()):
        raise SyncError("the mirror directory is a link out of the data directory", where=str(path))
    return path


def sync_remote(
    remote: Remote,
    data_dir: Path,
    options: SyncOptions | None = None,
    *,
    progress: Notify | None = None,
    on_retry: Notify | None = None,
) -> SyncResult:
    """Bring the mirror of ``remote`` up to date; SyncError (with the reason, one line) if it fails.

    ``progress`` hears what is being done ("kvm: cloning epoch 3"), ``on_retry`` each
    failure that will be retried. Epochs already brought up to date stay so when a later
    one fails; nothing is indexed here, so a caller that indexes only after success
    never indexes a partial sync.
    """
    options = options or SyncOptions()
    path = mirror_path(data_dir, remote.name)
    git_root = path / "git"
    try:
        git_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SyncError(f"cannot create the mirror: {exc}", where=str(path)) from exc
    with _locked(path):
        _remove_partial(git_root)
        say = progress or (lambda _text: None)
        say(f"{remote.name}: listing epochs at {redact(remote.url)}")
        listing = discover(remote.url, options.net, on_retry)
        return _sync_epochs(remote, path, listing, options, say, on_retry)


def _choice(path: Path, options: SyncOptions) -> Choice:
    """The options' choice (remembered from now on), else the remembered one, else all."""
    if options.since is not None:
        chosen = Choice("since", int(options.since.timestamp()))
    elif options.epochs is not None:
        chosen = Choice(options.epochs)
    else:
        return choice.load(path) or Choice()
    choice.save(path, chosen)
    return chosen


def _sync_epochs(
    remote: Remote, path: Path, listing: Listing, options: SyncOptions, say: Notify, on_retry: Notify | None
) -> SyncResult:
    chosen = _choice(path, options)
    mirrored = {n for n, _ in epoch_dirs(path)}
    top = max(mirrored, default=None)
    newest = max(e.number for e in listing.epochs)
    done: dict[str, list[int]] = {"cloned": [], "fetched": [], "unchanged": [], "skipped": []}
    above: Path | None = None  # the next newer epoch, if it is mirrored
    for epoch in sorted(listing.epochs, key=lambda e: e.number, reverse=True):
        dest = path / "git" / f"{epoch.number}.git"
        if epoch.number in mirrored:
            action = _update(epoch, dest, remote, options, say, on_retry)
        elif choice.wanted(epoch, chosen, newest=newest, top=top, first_time_above=partial(_first_time, above)):
            _clone(epoch, dest, remote, options, say, on_retry)
            action = "cloned"
        else:
            action = "skipped"
        done[action].append(epoch.number)
        above = dest if action != "skipped" else None
    return SyncResult(
        remote.name,
        path,
        listing.how,
        *(tuple(sorted(done[k])) for k in ("cloned", "fetched", "unchanged", "skipped")),
    )


def _first_time(git_dir: Path | None) -> int | None:
    return gitnet.first_commit_time(git_dir) if git_dir is not None else None


def _update(
    epoch: RemoteEpoch, dest: Path, remote: Remote, options: SyncOptions, say: Notify, on_retry: Notify | None
) -> str:
    if epoch.fingerprint is not None and epoch.fingerprint == gitnet.local_fingerprint(dest):
        return "unchanged"
    say(f"{remote.name}: fetching epoch {epoch.number}")
    _fetch(epoch, dest, options, on_retry)
    return "fetched"


def _clone(
    epoch: RemoteEpoch, dest: Path, remote: Remote, options: SyncOptions, say: Notify, on_retry: Notify | None
) -> None:
    say(f"{remote.name}: cloning epoch {epoch.number}")
    staging = Path(tempfile.mkdtemp(prefix=f".{epoch.number}.git-", suffix=_PARTIAL, dir=dest.parent))
    try:
        gitnet.init_bare(staging)
        _fetch(epoch, staging, options, on_retry)
        os.rename(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _fetch(epoch: RemoteEpoch, git_dir: Path, options: SyncOptions, on_retry: Notify | None) -> None:
    found = with_retries(
        lambda: gitnet.fetch(git_dir, epoch.url, low_speed_time=options.net.low_speed_time),
        policy=options.net.retry,
        where=redact(epoch.url),
        notify=on_retry,
    )
    if not found:
        raise SyncError("repository not found (listed by the server, then gone)", where=redact(epoch.url))


def _remove_partial(git_root: Path) -> None:
    """Drop clones left by a sync that was killed (they are never renamed into place)."""
    for entry in git_root.glob(f".*{_PARTIAL}"):
        shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    with open(path / ".sync.lock", "a+b") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncError("another sync of this remote is running", where=str(path)) from None
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
