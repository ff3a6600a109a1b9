"""The format-independent digest view model: every renderer reads only this."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..models import Person
from ..store import StoredMessage
from .series import COUNTED, Series, assemble


@dataclass(frozen=True, slots=True)
class Window:
    """What the digest covers: a commit range ``start..end`` or a date window."""

    start: str  # "b6930108e" or "2021-03-10"
    end: str
    kind: str  # "range", "dates", "all"
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    title: str  # "KVM"
    window: Window
    series: tuple[Series, ...]
    top_domains: tuple[tuple[int, str], ...]
    top_people: tuple[tuple[int, Person], ...]
    counted: int  # patch, cover and pull-request emails in the window
    base_url: str = ""  # "https://lore.kernel.org/kvm" -> links per message

    @property
    def emails(self) -> tuple[StoredMessage, ...]:
        """Every counted email once, series grouped, in display order."""
        return tuple(m for s in self.series for m in s.messages)

    def link(self, sm: StoredMessage) -> str:
        if not self.base_url:
            return ""
        return f"{self.base_url.rstrip('/')}/{sm.message.original_msgid.strip('<>')}/"


def _people(messages: Sequence[StoredMessage]) -> dict[str, Person]:
    """One display name per address: the most used one, ties to the first seen."""
    names: dict[str, Counter[str]] = {}
    order: dict[tuple[str, str], int] = {}
    for i, sm in enumerate(messages):
        a = sm.message.author
        names.setdefault(a.email, Counter())[a.name] += 1
        order.setdefault((a.email, a.name), i)
    out: dict[str, Person] = {}
    for email, counter in names.items():
        best = max(counter.items(), key=lambda kv: (kv[1], -order[(email, kv[0])]))[0]
        out[email] = Person(best, email)
    return out


def build_digest(
    messages: Sequence[StoredMessage],
    *,
    title: str,
    window: Window,
    top: int = 15,
    base_url: str = "",
) -> Digest:
    counted = [m for m in messages if m.message.kind in COUNTED]
    people = _people(counted)
    by_person = Counter(m.message.author.email for m in counted)
    by_domain = Counter(m.message.author.domain or "(none)" for m in counted)
    # Most first; ties alphabetically, so the same range always reads the same.
    top_domains = sorted(((n, d) for d, n in by_domain.items()), key=lambda t: (-t[0], t[1]))[:top]
    top_people = sorted(
        ((n, people[e]) for e, n in by_person.items()), key=lambda t: (-t[0], str(t[1]).casefold(), str(t[1]))
    )[:top]
    return Digest(
        title=title,
        window=window,
        series=tuple(assemble(counted)),
        top_domains=tuple(top_domains),
        top_people=tuple(top_people),
        counted=len(counted),
        base_url=base_url,
    )
