"""The Markdown digest: patchwork's daily digest (seed 001) done right.

Per series: a ``####`` heading with the full tagged subject, ``##### From:`` its author,
a few facts (date, patches received, replies, diffstat, link), the cover letter, the
list of patches, then one fenced block per patch (``patches="first"``: the first only)
with a curated header set and the commit message through the diffstat, never the diff.

Safety rules: text from mail (subjects, names) is escaped so that it can never open
HTML, a link or a list; each fenced block uses a fence longer than any run of backticks
inside it (the CommonMark rule), so a commit message holding ````` cannot close it.
"""

from __future__ import annotations

import re
from email.utils import format_datetime
from typing import Any

from ..analyze import Digest, Series
from ..models import Kind, Person
from ..store import StoredMessage
from . import PATCH_CHOICES
from ._blocks import email_text, number_ranges
from ._env import environment, one_line

# Every character that can start inline markup, an entity, raw HTML or a table cell.
_INLINE = re.compile(r"([\\`*_\[\]<>&#|~])")
# At the start of a line these open a block: a list item, a setext underline, a quote.
_BLOCK_START = re.compile(r"^([-+=>]|\d+(?=[.)]))")
_BACKTICKS = re.compile(r"`+")


def md_inline(text: str) -> str:
    """One line of mail text made literal Markdown: no markup, no HTML, no block opener."""
    text = _INLINE.sub(r"\\\1", one_line(text))
    match = _BLOCK_START.match(text)
    if match:
        if match.group(1)[0].isdigit():
            end = match.end()
            return text[:end] + "\\" + text[end:]  # "1. foo" -> "1\. foo"
        return "\\" + text
    return text


def fence_for(content: str) -> str:
    """A backtick fence longer than the longest backtick run of the content (at least 3)."""
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    return "`" * max(3, longest + 1)


def code_block(content: str) -> str:
    fence = fence_for(content)
    return f"{fence}text\n{content}\n{fence}"


def _plural(n: int, word: str, plural: str = "") -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _diffstat(s: Series) -> str:
    return (
        f"{_plural(s.files, 'file')} changed, {_plural(s.insertions, 'insertion')}(+),"
        f" {_plural(s.deletions, 'deletion')}(-)"
    )


def _facts(digest: Digest, s: Series) -> list[str]:
    root = s.root
    facts = [f"Date: {md_inline(format_datetime(root.message.date))}"]
    if s.patches:
        line = f"Patches: {s.received}/{s.total}"
        line += f", incomplete: missing {number_ranges(s.missing)}" if s.missing else ""
        facts.append(f"{line}; {_diffstat(s)}")
    elif not s.is_pull:
        facts.append(f"Patches: 0/{s.total}, none in this window")
    facts.append(f"Replies: {s.replies}")
    link = digest.link(root)
    if link:
        facts.append(f"Link: <{link}>")
    if s.resent:
        copies = ", ".join(_role(m) for m in s.resent)
        facts.append(f"Resent: {_plural(len(s.resent), 'more copy', 'more copies')} merged into this entry ({copies})")
    elif s.is_resend:
        facts.append("Resent: marked RESEND")
    if s.in_reply_to:
        parent = next((p for p in digest.series if p.key == s.in_reply_to_series), None)
        where = f" (in {md_inline(parent.subject)})" if parent else ""
        facts.append(f"In reply to: {md_inline(s.in_reply_to)}{where}")
    return facts + _review_facts(digest, s)


def _review_facts(digest: Digest, s: Series) -> list[str]:
    """``Status: reviewed, A:0 R:3 T:0; revision of v1``, then links to the revisions."""
    review = digest.review_of(s)
    if review is None or s.is_pull:
        return []
    notes = f"; {review.notes}" if review.notes else ""
    facts = [md_inline(f"Status: {review.status.state}, {review.counts}{notes}")]
    links = review.links
    for label, key, version in (("Revision of", links.previous, links.previous_version),
                                ("Superseded by", links.next, links.next_version)):  # fmt: skip
        if key:
            link = digest.link_id(key)
            facts.append(f"{label}: {md_inline(version)} " + (f"<{link}>" if link else md_inline(key)))
    applied = review.status.applied
    if applied is not None and applied.commits:
        commits = ", ".join(f"{n}: {sha[:12]}" for n, sha in applied.commits)
        facts.append(f"Applied by {_who(applied.by)}: {md_inline(commits)}")
    return facts


def _trailer_note(digest: Digest, s: Series, p: StoredMessage) -> str:
    """`` (Reviewed-by: A, B; Acked-by: C)``: who gave what to this patch."""
    review = digest.review_of(s)
    if review is None:
        return ""
    mine = next((r for r in review.reviews.patches if r.msgid == p.message.original_msgid), None)
    if mine is None or not mine.trailers:
        return ""
    by_key: dict[str, list[str]] = {}
    for t in mine.trailers:
        by_key.setdefault(t.key, []).append(
            md_inline(t.person.name or t.person.email) + (" (relayed)" if t.flagged else "")
        )
    return " (" + "; ".join(f"{k}: {', '.join(v)}" for k, v in by_key.items()) + ")"


def _role(sm: StoredMessage) -> str:
    counter = sm.message.subject.counter
    if counter:
        return f"patch {counter}"
    if sm.message.kind is Kind.PATCH:
        return "patch"
    return "pull request" if sm.message.kind is Kind.PULL else "cover letter"


def _who(person: Person) -> str:
    """``Name <email>`` escaped; never empty (the patchwork digest had "##### " entries)."""
    return md_inline(str(person)) if person.name or person.email else "(unknown sender)"


def _patch_item(digest: Digest, s: Series, p: StoredMessage) -> str:
    item = md_inline(p.message.subject.full) or "(no subject)"
    if p.message.author.email != s.author.email:
        item += f" (by {_who(p.message.author)})"
    return item + _trailer_note(digest, s, p)


def _block(digest: Digest, sm: StoredMessage) -> str:
    return code_block(email_text(digest.headers_of(sm), sm.message.report_text()))


def _series(digest: Digest, s: Series, patches: str) -> dict[str, Any]:
    shown = s.patches if patches == "all" else s.patches[:1]
    return {
        "subject": md_inline(s.subject) or md_inline(s.title) or "(no subject)",
        "author": _who(s.author),
        "facts": _facts(digest, s),
        "cover": _block(digest, s.cover) if s.cover else "",
        "cover_label": "Pull request" if s.cover and s.cover.message.kind is Kind.PULL else "Cover letter",
        "patch_list": [_patch_item(digest, s, p) for p in s.patches] if s.cover or len(s.patches) > 1 else [],
        "blocks": [_block(digest, p) for p in shown],
    }


def _heading(digest: Digest) -> str:
    w = digest.window
    span = w.start if w.start == w.end else f"{w.start} to {w.end}"
    return md_inline(f"{digest.title} patches: {span}")


def render_markdown(digest: Digest, *, top: int = 15, patches: str = "all") -> str:
    if patches not in PATCH_CHOICES:
        raise ValueError(f"patches must be one of {PATCH_CHOICES}, not {patches!r}")
    summary = (
        f"{len(digest.series)} series; {_plural(digest.counted, 'email')}"
        f" ({_plural(digest.patches, 'patch', 'patches')}, {_plural(digest.covers, 'cover letter')},"
        f" {_plural(digest.pulls, 'pull request')}) from {_plural(digest.authors, 'author')}."
    )
    return (
        environment()
        .get_template("markdown.md.j2")
        .render(
            heading=_heading(digest),
            summary=summary,
            series=[_series(digest, s, patches) for s in digest.series],
        )
    )
