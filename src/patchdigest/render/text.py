"""The plain-text "mailing list update" (the seed 000 layout, its empty patch list fixed)."""

from __future__ import annotations

from ..analyze import Digest, Series
from ._env import environment, one_line, strip_controls


def series_line(s: Series) -> str:
    """``[PATCH v2 0/2] KVM: fix things -- Name <mail> (2/2)`` plus resend/missing notes."""
    line = f"{one_line(s.subject)} -- {one_line(str(s.author))} ({s.received}/{s.total})"
    if s.missing and s.total > 1:
        line += " incomplete, missing " + ", ".join(str(n) for n in s.missing)
    if s.resent:
        line += f" ({len(s.resent)} resent)"
    return line


def render_text(digest: Digest, *, top: int = 15) -> str:
    series = [
        {"line": series_line(s), "emails": [one_line(m.message.subject.full) for m in s.messages]}
        for s in digest.series
    ]
    emails = [
        {
            "title": one_line(m.message.subject.title),
            "subject": one_line(m.message.subject.full),
            "author": one_line(str(m.message.author)),
            "text": strip_controls(m.message.report_text()),
        }
        for m in digest.emails
    ]
    return environment().get_template("text.txt.j2").render(
        title=one_line(digest.title),
        window=digest.window,
        top=top,
        domains=[(n, one_line(d)) for n, d in digest.top_domains],
        people=[(n, one_line(str(p))) for n, p in digest.top_people],
        series=series,
        emails=emails,
    )
