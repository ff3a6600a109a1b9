"""Period statistics: who writes, who reviews, from where, how fast the list answers.

Counted the way the digest counts, so that the two agree on the same window:

* authors and author domains: every patch, cover letter and pull request email of the
  window, by author (the in-body ``From:`` when there is one); with the bots kept and no
  mailmap, these are exactly the digest's top contributors and domains. The mailmap
  merges one person's addresses; domains and organisations stay those of the address as
  sent (where the person worked then).
* reviewers: Reviewed-by, Acked-by, Tested-by and Nacked-by given in replies to the
  window's series (replies of any date), one per trailer line written; a cover-letter
  trailer counts once, not once per patch.
* review coverage: the window's series (pull requests aside) with a Reviewed-by or
  Acked-by, given or carried.
* time to first reply: from a series' first mail to the first reply in its thread by
  someone other than its author (and not a bot); the median over the series answered.
* busiest threads: the series with the most replies (the digest's reply counts).

Bots (see ``data/bots``) are left out of every count unless kept: their emails, their
series, their replies and trailers. How many were left out is part of the result.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from ..models import Kind, Message, Person
from ..store import StoredMessage
from .annotate import SeriesReview
from .digest import Window
from .people import BotRules, Mailmap, OrgMap
from .reviews import reply_targets, same_person
from .series import COUNTED, Series

__all__ = ["REVIEWER_KEYS", "ReviewerCount", "Stats", "compute_stats", "human_duration"]

REVIEWER_KEYS = ("Reviewed-by", "Acked-by", "Tested-by", "Nacked-by")


@dataclass(frozen=True, slots=True)
class ReviewerCount:
    count: int  # trailers given
    person: Person
    by_key: tuple[tuple[str, int], ...]  # ("Reviewed-by", 3), ... in REVIEWER_KEYS order


@dataclass(frozen=True, slots=True)
class Stats:
    title: str
    window: Window
    emails: int  # counted emails (patches, cover letters, pull requests), bots aside
    patches: int
    series: int
    authors_total: int
    authors: tuple[tuple[int, Person], ...]  # top N, most first
    author_domains: tuple[tuple[int, str], ...]
    author_orgs: tuple[tuple[int, str], ...]
    reviewers_total: int
    trailers_given: int
    reviewers: tuple[ReviewerCount, ...]
    reviewer_domains: tuple[tuple[int, str], ...]
    reviewer_orgs: tuple[tuple[int, str], ...]
    reviewable: int  # series that could be reviewed (pull requests aside)
    reviewed: int
    answered: int  # series with a reply from someone else
    median_first_reply: timedelta | None
    busiest: tuple[tuple[int, Series], ...]
    bots_excluded: bool
    bot_emails: int  # counted emails left out as bots'
    bot_series: int
    bot_addresses: tuple[str, ...]  # the bot senders/authors left out, sorted
    top: int

    @property
    def coverage(self) -> float | None:
        """Share of reviewable series with a review, 0..1 (None when there is none)."""
        return self.reviewed / self.reviewable if self.reviewable else None


def human_duration(delta: timedelta) -> str:
    """``45s``, ``12m``, ``3h 12m``, ``2d 4h``: two units at most."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def _ranked(counter: Counter[str], top: int) -> tuple[tuple[int, str], ...]:
    # Most first; ties alphabetically (the digest's order), so a window always reads the same.
    return tuple(sorted(((n, k) for k, n in counter.items()), key=lambda t: (-t[0], t[1]))[:top])


def _names(people: Sequence[Person]) -> dict[str, Person]:
    """One display name per address: the most used, ties to the first seen (as the digest)."""
    counts: dict[str, Counter[str]] = {}
    first: dict[tuple[str, str], int] = {}
    for i, p in enumerate(people):
        counts.setdefault(p.email, Counter())[p.name] += 1
        first.setdefault((p.email, p.name), i)
    return {
        email: Person(max(c.items(), key=lambda kv: (kv[1], -first[(email, kv[0])]))[0], email)
        for email, c in counts.items()
    }


def _people_ranking(people: Sequence[Person], top: int) -> tuple[tuple[int, Person], ...]:
    names = _names(people)
    counts = Counter(p.email for p in people)
    ranked = sorted(((n, names[e]) for e, n in counts.items()), key=lambda t: (-t[0], str(t[1]).casefold(), str(t[1])))
    return tuple(ranked[:top])


@dataclass(frozen=True, slots=True)
class _Who:
    """Resolves people through the mailmap and domains through the organisation map."""

    mailmap: Mailmap | None
    orgmap: OrgMap | None

    def person(self, p: Person) -> Person:
        return self.mailmap.resolve(p) if self.mailmap else p

    def org(self, domain: str) -> str:
        return self.orgmap.label(domain) if self.orgmap else (domain or "(none)")


def compute_stats(
    messages: Sequence[StoredMessage],
    series: Sequence[Series],
    reviews: Mapping[str, SeriesReview],
    replies: Sequence[StoredMessage],
    *,
    title: str,
    window: Window,
    mailmap: Mailmap | None = None,
    orgmap: OrgMap | None = None,
    bots: BotRules | None = None,
    top: int = 15,
) -> Stats:
    """Stats of a window. ``messages``: the window's messages (non-counted kinds ignored);
    ``series``: the window's series (``Digest.series``, reply counts filled in);
    ``reviews``: ``annotate`` of those series; ``replies``: every reply below them."""
    who = _Who(mailmap, orgmap)
    counted = [m for m in messages if m.message.kind in COUNTED]
    is_bot: Callable[[Message], bool] = bots.is_bot if bots else (lambda _m: False)
    bot_mails = [m for m in counted if is_bot(m.message)]
    kept = [m for m in counted if not is_bot(m.message)]
    kept_series = [s for s in series if not is_bot(s.root.message)]
    # Senders only: an AUTOSEL backport's author (in-body From:) is the person who wrote the fix.
    bot_addresses = sorted({m.message.sender.email for m in bot_mails if m.message.sender.email})

    authors = [who.person(m.message.author) for m in kept]
    domains = Counter(m.message.author.domain or "(none)" for m in kept)
    orgs = Counter(who.org(m.message.author.domain) for m in kept)

    given = [t for s in kept_series if s.key in reviews for t in reviews[s.key].reviews.given if t.key in REVIEWER_KEYS]
    givers = [who.person(t.person) for t in given]
    by_key: dict[str, Counter[str]] = {}
    for t, p in zip(given, givers, strict=True):
        by_key.setdefault(p.email, Counter())[t.key] += 1
    reviewers = tuple(
        ReviewerCount(n, p, tuple((k, by_key[p.email][k]) for k in REVIEWER_KEYS if by_key[p.email][k]))
        for n, p in _people_ranking(givers, top)
    )

    reviewable = [s for s in kept_series if not s.is_pull]
    reviewed = sum(1 for s in reviewable if s.key in reviews and reviews[s.key].reviews.reviewed)
    waits = _first_replies(reviewable, replies, is_bot, mailmap)
    busiest = sorted(((s.replies, s) for s in kept_series if s.replies), key=lambda t: (-t[0], t[1].first_seq))

    return Stats(
        title=title,
        window=window,
        emails=len(kept),
        patches=sum(1 for m in kept if m.message.kind is Kind.PATCH),
        series=len(kept_series),
        authors_total=len({p.email for p in authors}),
        authors=_people_ranking(authors, top),
        author_domains=_ranked(domains, top),
        author_orgs=_ranked(orgs, top),
        reviewers_total=len({p.email for p in givers}),
        trailers_given=len(given),
        reviewers=reviewers,
        reviewer_domains=_ranked(Counter(t.person.domain or "(none)" for t in given), top),
        reviewer_orgs=_ranked(Counter(who.org(t.person.domain) for t in given), top),
        reviewable=len(reviewable),
        reviewed=reviewed,
        answered=len(waits),
        median_first_reply=timedelta(seconds=statistics.median(waits)) if waits else None,
        busiest=tuple(busiest[:top]),
        bots_excluded=bots is not None,
        bot_emails=len(bot_mails),
        bot_series=len(series) - len(kept_series),
        bot_addresses=tuple(bot_addresses),
        top=top,
    )


def _first_replies(
    series: Sequence[Series],
    replies: Sequence[StoredMessage],
    is_bot: Callable[[Message], bool],
    mailmap: Mailmap | None,
) -> list[float]:
    """Seconds from each series' first mail to its first answer by someone else."""
    targets = reply_targets(series, replies)
    by_key = {s.key: s for s in series}
    first: dict[str, float] = {}
    for r in replies:
        target = targets.get(r.message.original_msgid)
        if target is None or is_bot(r.message):
            continue
        s = by_key[target.series]
        if same_person(r.message.sender, s.author, mailmap):
            continue  # the author's own follow-up ("forgot to Cc") is no answer
        wait = max(0.0, (r.message.date - s.first_date).total_seconds())
        first[s.key] = min(wait, first.get(s.key, wait))
    return sorted(first.values())
