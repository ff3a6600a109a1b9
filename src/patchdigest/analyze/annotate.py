"""One review summary per series: trailers, revision links and status together.

This is what a digest carries per series (``SeriesReview``) and what renderers show:
``[reviewed A:1 R:2 T:0] superseded by v3``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..store import StoredMessage
from .people import BotRules, Mailmap
from .reviews import SeriesReviews, collect_reviews, reply_targets
from .revisions import RevisionLinks, link_revisions
from .series import Series
from .status import Status, find_applied, series_status

__all__ = ["SeriesReview", "annotate_series", "confirmed_in_tree"]


@dataclass(frozen=True, slots=True)
class SeriesReview:
    key: str
    reviews: SeriesReviews
    links: RevisionLinks
    status: Status

    @property
    def counts(self) -> str:
        """``A:1 R:2 T:0`` (``N:1`` added when someone nacked)."""
        r = self.reviews
        text = f"A:{r.acked} R:{r.reviewed_by} T:{r.tested}"
        return text + (f" N:{r.nacked}" if r.nacked else "")

    @property
    def notes(self) -> str:
        """``revision of v2, superseded by v4, applied to fixes``: "" when none applies."""
        st = self.status
        notes = []
        if st.of_version:
            notes.append(f"revision of {st.of_version}")
        if st.superseded_by:
            notes.append(f"superseded by {st.superseded_version}")
        if st.applied is not None or st.confirmed:
            notes.append(self.applied_text)
        return ", ".join(notes)

    @property
    def summary(self) -> str:
        """``[reviewed A:1 R:2 T:0] revision of v2, superseded by v4``: one line for lists."""
        head = f"[{self.status.state} {self.counts}]"
        return f"{head} {self.notes}" if self.notes else head

    @property
    def applied_text(self) -> str:
        """``applied to fixes (2/2)``, ``applied (1/3), in tree`` ..."""
        st = self.status
        total = max(1, len(self.reviews.patches))
        text = "applied"
        if st.applied is not None and st.applied.where:
            text += f" to {st.applied.where}"
        if st.applied_patches and len(st.applied_patches) != total:
            text += f" ({len(st.applied_patches)}/{total})"
        if st.confirmed:
            text += ", in tree"
        return text


def confirmed_in_tree(series: Series, tree: Mapping[str, str]) -> tuple[tuple[int, str], ...]:
    """(n, commit) of the series' patches whose patch id is a commit's in the tree."""
    found = []
    for p in series.patches:
        commit = tree.get(p.message.patch_id) if p.message.patch_id else None
        if commit:
            found.append((p.message.subject.counter or 1, commit))
    return tuple(found)


def annotate_series(
    series: Sequence[Series],
    replies: Sequence[StoredMessage],
    *,
    related: Sequence[Series] = (),
    mailmap: Mailmap | None = None,
    bots: BotRules | None = None,
    tree: Mapping[str, str] | None = None,
) -> dict[str, SeriesReview]:
    """Review summaries for ``series``, by key.

    ``replies``: every reply below the series' mails (any date); ``related``: other series
    of the index that may be earlier or later revisions; ``tree``: patch id -> commit of a
    git tree that confirms what was applied.
    """
    ignore = bots.is_bot if bots else None
    reviews = collect_reviews(series, replies, mailmap=mailmap, ignore=ignore)
    keys = {s.key for s in series}
    pool = list(series) + [s for s in related if s.key not in keys]
    links = link_revisions(pool, mailmap=mailmap, only=keys)
    targets = reply_targets(series, replies)
    answers: dict[str, list[StoredMessage]] = {}
    for r in replies:
        target = targets.get(r.message.original_msgid)
        if target is not None and not (bots and bots.is_bot(r.message)):
            answers.setdefault(target.series, []).append(r)
    out: dict[str, SeriesReview] = {}
    for s in series:
        link = links.get(s.key) or RevisionLinks(s.key)
        applied, patches = find_applied(s, answers.get(s.key, []), targets, mailmap=mailmap)
        confirmed = confirmed_in_tree(s, tree) if tree else ()
        status = series_status(s, reviews[s.key], link, applied, patches, confirmed)
        out[s.key] = SeriesReview(s.key, reviews[s.key], link, status)
    return out
