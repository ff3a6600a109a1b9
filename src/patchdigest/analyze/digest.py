"""The format-independent digest view model: every renderer reads only this.

Everything a renderer shows is decided here (series, counts, links, header lines,
replies); renderers only escape and lay it out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import quote

from ..models import Kind, Person
from ..store import StoredMessage
from .annotate import SeriesReview
from .headers import Header, curated_headers
from .series import COUNTED, Series, assemble

# public-inbox's mid_escape(): what may stay unescaped in a /list/<Message-ID>/ URL.
_MSGID_SAFE = "-._~!$&'()*+,;=:@"


@dataclass(frozen=True, slots=True)
class Window:
    """What the digest covers: a commit range ``start..end`` or a date window."""

    start: str  # "b6930108e" or "2021-03-10"
    end: str
    kind: str  # "range", "dates", "all"
    since: datetime | None = None
    until: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class Digest:
    title: str  # "KVM"
    window: Window
    series: tuple[Series, ...]
    top_domains: tuple[tuple[int, str], ...]
    top_people: tuple[tuple[int, Person], ...]
    counted: int  # patch, cover and pull-request emails in the window
    base_url: str = ""  # "https://lore.kernel.org/kvm" -> links per message
    patches: int = 0  # of ``counted``: patch emails
    covers: int = 0  # cover letters
    pulls: int = 0  # pull requests
    authors: int = 0  # distinct authors of the counted emails
    # Header lines per email (by original Message-ID) when they were read from the
    # archive (--all-headers); the curated set from the index otherwise.
    headers: Mapping[str, tuple[Header, ...]] = field(default_factory=dict)
    all_headers: bool = False
    # Replies descending from each series email, by original Message-ID (see analyze.replies).
    replies: Mapping[str, int] = field(default_factory=dict)
    # Trailers, revision links and status per series key (see analyze.annotate), when the
    # digest was annotated from the index; empty otherwise.
    reviews: Mapping[str, SeriesReview] = field(default_factory=dict)

    @property
    def emails(self) -> tuple[StoredMessage, ...]:
        """Every counted email once, series grouped, in display order."""
        return tuple(m for s in self.series for m in s.messages)

    def link(self, sm: StoredMessage) -> str:
        """``https://lore.kernel.org/kvm/<Message-ID>/``, or "" without a base URL."""
        return self.link_id(sm.message.original_msgid)

    def link_id(self, msgid: str) -> str:
        """The link of a Message-ID (a series key outside the digest: an earlier revision)."""
        if not self.base_url:
            return ""
        base = quote(self.base_url.strip().rstrip("/"), safe=":/?#@!$&'()*+,;=%~-._")
        return f"{base}/{quote(msgid.strip('<>'), safe=_MSGID_SAFE)}/"

    def headers_of(self, sm: StoredMessage) -> tuple[Header, ...]:
        return self.headers.get(sm.message.original_msgid) or curated_headers(sm.message)

    def replies_to(self, sm: StoredMessage) -> int:
        return self.replies.get(sm.message.original_msgid, 0)

    def review_of(self, s: Series) -> SeriesReview | None:
        return self.reviews.get(s.key)

    def with_reviews(self, reviews: Mapping[str, SeriesReview]) -> Digest:
        """The digest showing each series' status, revision links and A/R/T counts."""
        return replace(self, reviews=dict(reviews))

    def with_replies(self, replies: Mapping[str, int]) -> Digest:
        """The digest with reply counts per email and per series (``analyze.count_replies``)."""
        series = tuple(replace(s, replies=sum(replies.get(mid, 0) for mid in s.msgids)) for s in self.series)
        return replace(self, series=series, replies=dict(replies))

    def with_headers(self, headers: Mapping[str, tuple[Header, ...]]) -> Digest:
        """The digest showing these header lines (all of a mail's headers, read from the archive)."""
        return replace(self, headers=dict(headers), all_headers=True)


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
    kinds = Counter(m.message.kind for m in counted)
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
        patches=kinds[Kind.PATCH],
        covers=kinds[Kind.COVER],
        pulls=kinds[Kind.PULL],
        authors=len(by_person),
    )
