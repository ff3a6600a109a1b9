"""Trailers given in replies: who reviewed, acked or tested which patch of a series.

The rules (b4's, where b4 has one):

* A trailer given in a reply applies to the series mail that the reply chain reaches
  first, walking up In-Reply-To (then References, newest first): "Re: Re: [PATCH v2 2/3]"
  answering a review of patch 2 still gives its trailers to patch 2.
* Given on the cover letter ("For the series: Reviewed-by: ..."), it applies to every
  patch of the series.
* Quoted lines ("> Reviewed-by: ...") and everything after the signature ("-- ") never
  count: the parser keeps them out of a reply's trailers.
* A trailer naming someone other than the reply's sender is kept but flagged
  (b4 drops it as a "mismatch"): "Acked-by: Jane" in a mail from John relays, it does not
  witness. Same email or same name (case-insensitive) is a match, as in b4.
* Trailers the patch itself carries (given on an earlier revision) count as ``via="patch"``
  for the patch's A/R/T, but not as trailers *given* (the stats' reviewers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..models import Message, Person
from ..store import StoredMessage
from .people import Mailmap
from .series import COUNTED, Series

__all__ = [
    "GIVEN_KEYS",
    "REVIEW_KEYS",
    "GivenTrailer",
    "PatchReviews",
    "SeriesReviews",
    "Target",
    "collect_reviews",
    "reply_targets",
]

GIVEN_KEYS = ("Reviewed-by", "Acked-by", "Tested-by", "Reported-by", "Suggested-by", "Nacked-by")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# What counts as review (and what a patch may carry from an earlier revision).
REVIEW_KEYS = ("Reviewed-by", "Acked-by", "Tested-by", "Nacked-by")


@dataclass(frozen=True, slots=True)
class GivenTrailer:
    key: str  # "Reviewed-by"
    person: Person  # whom the trailer names
    sender: Person  # who sent the mail that carries it
    source: str  # that mail's original Message-ID
    via: str  # "reply" (to the patch), "cover" (to the cover letter), "patch" (carried)
    flagged: bool  # the person named is not the sender

    @property
    def identity(self) -> tuple[str, str]:
        return (self.key, self.person.email)


@dataclass(frozen=True, slots=True)
class PatchReviews:
    msgid: str  # the patch's original Message-ID
    counter: int | None
    trailers: tuple[GivenTrailer, ...]  # one per (key, person), first given first

    def count(self, key: str) -> int:
        return sum(1 for t in self.trailers if t.key == key)

    @property
    def reviewed(self) -> bool:
        return any(t.key in ("Reviewed-by", "Acked-by") for t in self.trailers)


@dataclass(frozen=True, slots=True)
class SeriesReviews:
    key: str
    patches: tuple[PatchReviews, ...]
    # Every trailer as written in a reply (cover letter replies once, not once per patch),
    # in archive order: what the stats count as "given".
    given: tuple[GivenTrailer, ...]

    def people(self, key: str) -> tuple[Person, ...]:
        """Distinct people giving ``key`` to any part of the series, first given first."""
        seen: dict[str, Person] = {}
        for p in self.patches:
            for t in p.trailers:
                if t.key == key:
                    seen.setdefault(t.person.email, t.person)
        for t in self.given:
            if t.key == key:
                seen.setdefault(t.person.email, t.person)
        return tuple(seen.values())

    def count(self, key: str) -> int:
        return len(self.people(key))

    @property
    def acked(self) -> int:
        return self.count("Acked-by")

    @property
    def reviewed_by(self) -> int:
        return self.count("Reviewed-by")

    @property
    def tested(self) -> int:
        return self.count("Tested-by")

    @property
    def nacked(self) -> int:
        return self.count("Nacked-by")

    @property
    def reviewed(self) -> bool:
        """At least one Reviewed-by or Acked-by, on a patch or on the cover letter."""
        return self.reviewed_by > 0 or self.acked > 0

    @property
    def reviewed_patches(self) -> int:
        return sum(1 for p in self.patches if p.reviewed)


@dataclass(frozen=True, slots=True)
class Target:
    """The series mail a reply answers, directly or further down its thread."""

    series: str  # series key
    msgid: str  # the patch's or cover letter's original Message-ID
    counter: int | None  # the patch's n of n/N; None for a cover letter or lone patch
    is_cover: bool


def _series_mails(series: Sequence[Series]) -> dict[str, Target]:
    out: dict[str, Target] = {}
    for s in series:
        for sm in s.messages:
            m = sm.message
            out.setdefault(m.original_msgid, Target(s.key, m.original_msgid, m.subject.counter, sm is s.cover))
    return out


def reply_targets(series: Sequence[Series], replies: Iterable[StoredMessage]) -> dict[str, Target]:
    """For each reply (by original Message-ID), the series mail its thread reaches first.

    Replies whose chain leaves the known messages, or meets another patch first, have none.
    """
    mails = _series_mails(series)
    by_id = {r.message.original_msgid: r.message for r in replies if r.message.kind not in COUNTED}
    found: dict[str, Target | None] = {}

    def resolve(mid: str, depth: int) -> Target | None:
        if mid in mails:
            return mails[mid]
        if mid in found:
            return found[mid]
        msg = by_id.get(mid)
        if msg is None or depth > 200:  # a References loop or a very deep thread
            return None
        found[mid] = None  # in progress: a cycle resolves to nothing
        target = None
        for parent in _parents(msg):
            if parent in mails or parent in by_id:
                target = resolve(parent, depth + 1)
                break
        found[mid] = target
        return target

    out: dict[str, Target] = {}
    for mid in by_id:
        target = resolve(mid, 0)
        if target is not None:
            out[mid] = target
    return out


def _parents(msg: Message) -> list[str]:
    """In-Reply-To first, then References newest first (b4 falls back the same way)."""
    ids = [msg.in_reply_to] if msg.in_reply_to else []
    ids += [r for r in reversed(msg.references) if r != msg.in_reply_to]
    return [i for i in ids if i != msg.original_msgid]


def same_person(a: Person, b: Person, mailmap: Mailmap | None = None) -> bool:
    """b4's match: same email, or same name ignoring case; after the mailmap when given."""
    if mailmap:
        a, b = mailmap.resolve(a), mailmap.resolve(b)
    if a.email and a.email.lower() == b.email.lower():
        return True
    return bool(a.name) and a.name.casefold() == b.name.casefold()


def _given(sm: StoredMessage, via: str, mailmap: Mailmap | None, keys: Sequence[str]) -> list[GivenTrailer]:
    m = sm.message
    out = []
    for t in m.trailers:
        if t.key not in keys or t.person is None or not _EMAIL.match(t.person.email):
            continue  # "Acked-by: Jane Roe <jane>" names nobody b4 could reach either
        # A patch carries its earlier revisions' trailers: naming others is its job.
        flagged = via != "patch" and not same_person(t.person, m.sender, mailmap)
        out.append(GivenTrailer(t.key, t.person, m.sender, m.original_msgid, via, flagged))
    return out


def collect_reviews(
    series: Sequence[Series],
    replies: Iterable[StoredMessage],
    *,
    mailmap: Mailmap | None = None,
    ignore: Callable[[Message], bool] | None = None,
) -> dict[str, SeriesReviews]:
    """Trailers per patch and per series, by series key.

    ``replies`` are the replies found anywhere below the series' mails (any date);
    ``ignore`` drops some of them (bots: the kernel test robot's "Reported-by" is an
    invitation, not a report of this patch).
    """
    replies = sorted(replies, key=lambda r: r.prov.seq)
    targets = reply_targets(series, replies)
    on_patch: dict[str, list[GivenTrailer]] = {}
    on_cover: dict[str, list[GivenTrailer]] = {}
    given: dict[str, list[GivenTrailer]] = {}
    for r in replies:
        target = targets.get(r.message.original_msgid)
        if target is None or (ignore is not None and ignore(r.message)):
            continue
        trailers = _given(r, "cover" if target.is_cover else "reply", mailmap, GIVEN_KEYS)
        given.setdefault(target.series, []).extend(trailers)
        bucket = on_cover.setdefault(target.series, []) if target.is_cover else on_patch.setdefault(target.msgid, [])
        bucket.extend(trailers)
    return {s.key: _series_reviews(s, on_patch, on_cover.get(s.key, []), given.get(s.key, []), mailmap) for s in series}


def _series_reviews(
    s: Series,
    on_patch: Mapping[str, list[GivenTrailer]],
    on_cover: list[GivenTrailer],
    given: list[GivenTrailer],
    mailmap: Mailmap | None,
) -> SeriesReviews:
    patches = []
    for p in s.patches:
        mid = p.message.original_msgid
        carried = [
            t for t in _given(p, "patch", mailmap, REVIEW_KEYS) if not same_person(t.person, p.message.author, mailmap)
        ]
        # Given again in a reply, a carried trailer is shown as given (its reply is the source).
        given_here = [*on_patch.get(mid, []), *on_cover]
        patches.append(PatchReviews(mid, p.message.subject.counter, _dedup([*given_here, *carried])))
    return SeriesReviews(s.key, tuple(patches), tuple(given))


def _dedup(trailers: Iterable[GivenTrailer]) -> tuple[GivenTrailer, ...]:
    seen: dict[tuple[str, str], GivenTrailer] = {}
    for t in trailers:
        seen.setdefault(t.identity, t)
    return tuple(seen.values())
