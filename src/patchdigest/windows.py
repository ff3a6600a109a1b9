"""Turning what the user asked for (--range A..B, --since/--until, --day, --week) into
selections over the index: a seq range (after, through] or a UTC date window [since, until).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .analyze import Window
from .errors import RangeError
from .sources import Archive
from .sources.publicinbox import PublicInbox


@dataclass(frozen=True, slots=True)
class Selection:
    window: Window
    seq_range: tuple[int, int] | None = None  # (after, through]
    date_range: tuple[datetime, datetime] | None = None  # [since, until)


def zone(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z", ""):
        return UTC
    # Imported here: most reports are in UTC, and zoneinfo (which looks for the tz
    # database through sysconfig) was 2 ms of every report's start.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RangeError(f"unknown time zone {name!r}") from exc


def parse_when(text: str, tz: tzinfo, *, end: bool = False) -> datetime:
    """ "2021-03-10" (a day: its start, or with end=True the next day's start),
    "2021-03-10T12:00", "2021-03-10 12:00:00+01:00"."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            d = date.fromisoformat(text)
            start = datetime.combine(d, time(0), tz)
            return start + timedelta(days=1) if end else start
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise RangeError(f"not a date: {text!r} (use YYYY-MM-DD or an ISO 8601 time)") from exc
    return value if value.tzinfo else value.replace(tzinfo=tz)


def dates(since: str | None, until: str | None, tz: tzinfo) -> Selection:
    start = parse_when(since, tz) if since else datetime(1970, 1, 1, tzinfo=UTC)
    stop = parse_when(until, tz, end=True) if until else datetime(9999, 1, 1, tzinfo=UTC)
    if stop <= start:
        raise RangeError(f"empty date window: {since} .. {until}")
    label_end = until or "now"
    return Selection(
        Window(since or "the beginning", label_end, "dates", start, stop),
        date_range=(start.astimezone(UTC), stop.astimezone(UTC)),
    )


def day(text: str, tz: tzinfo) -> Selection:
    start = parse_when(text, tz)
    return Selection(Window(text, text, "dates", start, start + timedelta(days=1)),
                     date_range=(start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)))  # fmt: skip


def week(text: str, tz: tzinfo) -> Selection:
    m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text.strip(), re.I)
    if not m:
        raise RangeError(f"not an ISO week: {text!r} (use e.g. 2021-W10)")
    try:
        first = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as exc:
        raise RangeError(f"not an ISO week: {text!r}") from exc
    start = datetime.combine(first, time(0), tz)
    stop = start + timedelta(days=7)
    label = f"{m.group(1)}-W{int(m.group(2)):02d}"
    return Selection(Window(label, label, "dates", start, stop),
                     date_range=(start.astimezone(UTC), stop.astimezone(UTC)))  # fmt: skip


def _locate(archive: PublicInbox, rev: str) -> tuple[int, str]:
    """(seq, full commit) of a commit given by (abbreviated) hash, searching every epoch."""
    for epoch in archive.epochs():
        full = epoch.resolve(rev)
        if full is not None:
            return (epoch.number << 32) | (epoch.count(full) - 1), full
    raise RangeError(f"commit {rev!r} is not in the archive", where=str(archive.path))


def commit_range(archive: Archive, spec: str, abbrev: int = 9) -> Selection:
    """``A..B``: the commits after A up to and including B, in archive order across epochs.

    ``A..`` runs to the newest commit; ``..B`` from the first.
    """
    if not isinstance(archive, PublicInbox):
        raise RangeError("--range needs a public-inbox archive (mboxes have no commits); use --since/--until")
    if ".." not in spec:
        raise RangeError(f"not a range: {spec!r} (use A..B)")
    a, _, b = spec.partition("..")
    a, b = a.strip(), b.strip()
    if a:
        after, a_full = _locate(archive, a)
    else:
        after, a_full = -1, ""
    if b:
        through, b_full = _locate(archive, b)
    else:
        epochs = archive.epochs()
        tips = [(e, e.tip()) for e in epochs if e.tip()]
        if not tips:
            raise RangeError("the archive is empty", where=str(archive.path))
        e, tip = tips[-1]
        assert tip is not None
        through, b_full = (e.number << 32) | (e.count(tip) - 1), tip
    if through < after:
        raise RangeError(f"{b} comes before {a} in the archive", where=str(archive.path))
    start = a_full[:abbrev] if a_full else "the beginning"
    return Selection(Window(start, b_full[:abbrev], "range"), seq_range=(after, through))


def everything() -> Selection:
    return Selection(Window("the beginning", "now", "all"))
