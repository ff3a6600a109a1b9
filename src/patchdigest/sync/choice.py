"""Which epochs a mirror wants, remembered between syncs in ``mirrors/NAME/sync.json``.

The choice is made by ``--epochs all|newest`` or ``--since DATE`` and kept, so that a
plain ``sync`` later goes on with it: a mirror started with only the newest epoch does
not suddenly clone years of history, and a first sync that failed half-way is completed
by the next one. Whatever the choice, an epoch already mirrored is kept current and an
epoch newer than every mirrored one (the inbox rolled over) is always taken.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import SyncError
from .manifest import RemoteEpoch

Mode = Literal["all", "newest", "since"]
STATE = "sync.json"


@dataclass(frozen=True, slots=True)
class Choice:
    mode: Mode = "all"
    since: int | None = None  # Unix seconds, with mode "since"


def load(mirror: Path) -> Choice | None:
    path = mirror / STATE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        mode, since = data["mode"], data.get("since")
        if mode not in ("all", "newest", "since") or not (since is None or isinstance(since, int)):
            raise ValueError(f"unexpected values {data!r}")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SyncError(f"unreadable sync state ({exc}); delete it or pass --epochs", where=str(path)) from exc
    return Choice(mode, since if mode == "since" else None)


def save(mirror: Path, choice: Choice) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".sync.", suffix=".tmp", dir=mirror)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"mode": choice.mode, "since": choice.since}, out)
        os.replace(tmp, mirror / STATE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def wanted(
    epoch: RemoteEpoch, choice: Choice, *, newest: int, top: int | None, first_time_above: Callable[[], int | None]
) -> bool:
    """Whether to clone an epoch that is not mirrored yet.

    ``top`` is the newest mirrored epoch; ``first_time_above()`` the time the next newer
    epoch's first message arrived, if it is mirrored (asked only when needed).
    """
    if choice.mode == "all" or epoch.number == newest:
        return True
    if top is not None and epoch.number > top:
        return True  # the inbox rolled over to a new epoch since the last sync
    if choice.mode == "newest" or choice.since is None:
        return False
    if epoch.modified is not None:
        return epoch.modified >= choice.since  # its newest message is recent enough
    # No manifest date: an epoch can hold mail from after `since` only if the next newer
    # one started after it (epochs follow each other in time).
    first = first_time_above()
    return first is not None and first >= choice.since
