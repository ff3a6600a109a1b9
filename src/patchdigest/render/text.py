"""The plain-text "mailing list update" (the seed 000 layout, its empty patch list fixed)."""

from __future__ import annotations

from ..analyze import Digest, Series
from ..analyze.annotate import SeriesReview
from ._blocks import number_ranges
from ._env import environment, one_line, strip_controls


def series_line(s: Series, review: SeriesReview | None = None) -> str:
    """``[PATCH v2 0/2] KVM: fix things -- Name <mail> (2/2)`` plus resend/missing notes,
    then the review summary: ``[reviewed A:1 R:2 T:0] revision of v1, superseded by v3``."""
    line = f"{one_line(s.subject)} -- {one_line(str(s.author))} ({s.received}/{s.total})"
    if s.missing and s.total > 1:
        line += " incomplete, missing " + number_ranges(s.missing)
    if s.resent:
        line += f" ({len(s.resent)} resent)"
    if review is not None and not s.is_pull:  # a pull request is merged, not reviewed
        line += f" {one_line(review.summary)}"
    return line


def render_text(digest: Digest, *, top: int = 15, patches: str = "all") -> str:
    """The update; ``patches="first"`` keeps each series' cover letter and first patch only.

    With "all", every counted email is shown once (resent copies too), series grouped.
    """
    if patches == "first":
        shown = [m for s in digest.series for m in ((s.cover,) if s.cover else ()) + s.patches[:1]]
    else:
        shown = list(digest.emails)
    emails = [
        {
            "title": one_line(m.message.subject.title),
            "subject": one_line(m.message.subject.full),
            "author": one_line(str(m.message.author)),
            "text": strip_controls(m.message.report_text()),
        }
        for m in shown
    ]
    return (
        environment()
        .get_template("text.txt.j2")
        .render(
            title=one_line(digest.title),
            window=digest.window,
            top=top,
            domains=[(n, one_line(d)) for n, d in digest.top_domains],
            people=[(n, one_line(str(p))) for n, p in digest.top_people],
            series=[series_line(s, digest.review_of(s)) for s in digest.series],
            emails=emails,
        )
    )
