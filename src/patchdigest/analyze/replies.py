"""Replies per series: the follow-ups in the index whose thread reaches a series' mails.

The walk goes down In-Reply-To links from the series' Message-IDs, one level per call to
``children``, through replies only: a patch, cover letter or pull request found on the
way ("[PATCH v2 3/5]" sent in reply to v1's 3/5) belongs to another series and stops the
walk there, so its own replies are not counted twice.

Counts cover the whole index, not only the digest's window: a review posted the day
after a daily digest's window still counts when the digest is rebuilt (that is the
number a reader wants: "has anyone answered?"). A reply that names its parent only in
References, with no In-Reply-To, is not found (rare; it would need a scan of every row).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from .series import COUNTED, Series

# (original Message-ID, In-Reply-To, kind value) of every message replying to the given ids.
Children = Callable[[Sequence[str]], Iterable[tuple[str, str, str]]]

_SERIES_KINDS = frozenset(k.value for k in COUNTED)


def count_replies(series: Sequence[Series], children: Children) -> dict[str, int]:
    """Replies descending from each series mail, by its original Message-ID (0s omitted)."""
    origin = {mid: mid for s in series for mid in s.msgids}
    seen = set(origin)
    counts: Counter[str] = Counter()
    frontier = list(origin)
    while frontier:
        found: list[str] = []
        for mid, parent, kind in children(frontier):
            if mid in seen or kind in _SERIES_KINDS or parent not in origin:
                continue
            seen.add(mid)
            origin[mid] = origin[parent]
            counts[origin[mid]] += 1
            found.append(mid)
        frontier = found
    return dict(counts)


__all__ = ["Children", "count_replies"]
