"""The window options every reading command shares (--range, --since/--until, --day,
--week, --tz), gathered into one value so that commands neither repeat them nor their checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

import click

from .. import windows
from ..sources import Archive

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class WindowArgs:
    range_: str | None
    since: str | None
    until: str | None
    day: str | None
    week: str | None
    tz: str

    def check(self, **others: bool) -> None:
        """At most one way of choosing messages (``others``: more flags, e.g. since_last)."""
        chosen = [o for o, v in (("--range", self.range_), ("--day", self.day), ("--week", self.week)) if v]
        if self.since or self.until:
            chosen.append("--since/--until")
        chosen += ["--" + name.replace("_", "-") for name, on in others.items() if on]
        if len(chosen) > 1:
            raise click.UsageError(f"choose one of {', '.join(chosen)}")
        windows.zone(self.tz)  # an unknown zone is an error before any work is done

    def start(self) -> datetime | None:
        """Where the date window starts, if there is one: how far back a first sync must go."""
        zone = windows.zone(self.tz)
        if self.day:
            selection = windows.day(self.day, zone)
        elif self.week:
            selection = windows.week(self.week, zone)
        elif self.since:
            selection = windows.dates(self.since, None, zone)
        else:
            return None
        return selection.date_range[0] if selection.date_range else None

    def selection(self, archive: Archive) -> windows.Selection:
        zone = windows.zone(self.tz)
        if self.range_:
            return windows.commit_range(archive, self.range_)
        if self.day:
            return windows.day(self.day, zone)
        if self.week:
            return windows.week(self.week, zone)
        if self.since or self.until:
            return windows.dates(self.since, self.until, zone)
        return windows.everything()


_OPTIONS = (
    click.option("--range", "range_", metavar="A..B", help="Commits after A up to and including B."),
    click.option("--since", metavar="DATE", help="Messages dated on or after DATE (YYYY-MM-DD or ISO time)."),
    click.option("--until", metavar="DATE", help="Messages dated up to DATE (a day is included whole)."),
    click.option("--day", metavar="DATE", help="One day, e.g. 2021-03-10."),
    click.option("--week", metavar="YYYY-Www", help="One ISO week, e.g. 2021-W10."),
    click.option("--tz", default="UTC", show_default=True, help="Time zone for dates and days."),
)


def window_options(func: F) -> F:
    """Add the window options; the command receives them as one ``window: WindowArgs``."""

    @wraps(func)
    def wrapper(
        *args: Any,
        range_: str | None,
        since: str | None,
        until: str | None,
        day: str | None,
        week: str | None,
        tz: str,
        **kwargs: Any,
    ) -> Any:
        return func(*args, window=WindowArgs(range_, since, until, day, week, tz), **kwargs)

    decorated: Callable[..., Any] = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated  # type: ignore[return-value]
