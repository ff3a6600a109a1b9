"""Revisions across threads: which series is the next version of which.

v(N+1) is linked to the latest earlier vM (M < N+1) of the same work, found by, in order:

1. b4's ``change-id: 20210310-foo-abc123`` line (cover letter, else the
   first patch, as b4 reads it; lower-case only: Gerrit's per-patch "Change-Id: I..."
   trailer is something else);
2. the same author and the same normalised title ("[PATCH v2 0/2] KVM: arm64: Fix the
   foo" and "[PATCH v3 0/2] KVM: arm64: Fix the foo");
3. the same author and most patch titles the same (a cover letter retitled between
   revisions: more than half of the larger series' patch titles shared).

The earlier one must have been posted first. A series with a later revision is
superseded. The change notes ("Changes since v1:", "* From v2 [2]:", "v1 -> v2:") are
taken from the cover letter, or from a lone patch's notes below its ``---``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..models import Person
from .people import Mailmap
from .series import Series

__all__ = ["RevisionLinks", "change_id_of", "change_notes", "link_revisions", "normalised_title"]

_TAG_GROUP = re.compile(r"\[[^\]]*\]")
_NOT_WORD = re.compile(r"[^\w]+")
# b4 writes "change-id: 20210310-foo-abc123" after the diffstat, next to "base-commit:".
_CHANGE_ID = re.compile(r"^change-id:[ \t]+(\S+)[ \t]*$", re.M)


@dataclass(frozen=True, slots=True)
class RevisionLinks:
    key: str
    previous: str | None = None  # key of the series this one is a revision of
    previous_version: str = ""  # "v2" (as written, "v1" when untagged)
    method: str = ""  # how ``previous`` was found: "change-id", "title", "patches"
    next: str | None = None  # key of the later revision superseding this one
    next_version: str = ""
    change_id: str = ""
    changes: str = ""  # the change notes, as written

    @property
    def superseded(self) -> bool:
        return self.next is not None


@lru_cache(maxsize=8192)
def normalised_title(title: str) -> str:
    """Lower case, tag groups and punctuation out, spaces collapsed:
    "KVM: arm64: Fix exclusive limit for IPA size" -> "kvm arm64 fix exclusive limit for ipa size"."""
    # Cached: a report normalises the titles of every series and patch by the window's
    # authors (2,930 for kvmarm's 2021-03-10, 1,242 of them different). The tag-group
    # pass only where there is a "[": 8 of those titles still hold one once parse has
    # taken the subject's tags.
    if "[" in title:
        title = _TAG_GROUP.sub(" ", title)
    return " ".join(_NOT_WORD.sub(" ", title.replace("_", " ")).lower().split())


def change_id_of(s: Series) -> str:
    """b4's change-id, from the cover letter or (without one) the first patch."""
    head = s.cover or (s.patches[0] if s.patches else None)
    if head is None:
        return ""
    m = head.message
    found = _CHANGE_ID.findall(m.commit_message + "\n" + m.notes)
    return found[-1] if found else ""


def version_label(s: Series) -> str:
    return s.version_text.lower() if s.version_text else f"v{s.version}"


# --- change notes ----------------------------------------------------------------------

_HEADING = re.compile(
    r"""^[*\-+#=\s]*(
        (?:changes|changelog|change\s*log|revision\s+history|version\s+history|history)\b
      | (?:changes\s+)?(?:since|from)\s+(?:v\d+|rfc|the\s+(?:last|previous)|previous|last)\b
      | (?:rfc\s*)?v\d+(?:\.\d+)?\s*(?:->|-+>|=>|→|\.\.|to|vs\.?)\s*(?:rfc\s*)?v\d+
      | (?:rfc\s*)?v\d+(?:\.\d+)?\s*:
    )""",
    re.I | re.X,
)
_ITEM = re.compile(r"^(?:\s+\S|[-*+•o]\s|\d+[.)]\s|\[\d+/\d+\]|patch\s*\d+\s*:)", re.I)
_STOP = re.compile(r"^(?:\S.*\(\d+\):$|\s\S.*\|\s+\d|\s\d+ files? changed|base-commit:|change-id:|--\s?$|\[\d+\]\s*\S)")


def change_notes(s: Series) -> str:
    """The "what changed since the last version" block, "" when the author wrote none."""
    for sm in ([s.cover] if s.cover else []) + list(s.patches[:1] if not s.cover else []):
        m = sm.message
        for text in (m.commit_message, m.notes) if s.cover else (m.notes,):
            found = _notes_in(text)
            if found:
                return found
    return ""


def _notes_in(text: str) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _HEADING.match(line) and not _STOP.match(line):
            return _block(lines, i)
    return ""


def _block(lines: list[str], start: int) -> str:
    """The heading, its items (and further headings' items, "* From v2:" then "* From v1:");
    a plain line only continues a non-blank one or opens a heading's paragraph. Stops at the first plain paragraph, the
    shortlog ("Jane Roe (2):"), the diffstat or a footnote ("[1] https://...")."""
    out = [lines[start]]
    last_text = lines[start]  # the last non-blank line kept
    for line in lines[start + 1 :]:
        if _STOP.match(line):
            break
        plain = line.strip() and not _ITEM.match(line) and not _HEADING.match(line)
        # "v4 -> v5:", blank, "Addressed comments by Jane:": a heading's own paragraph.
        if plain and not out[-1].strip() and not _HEADING.match(last_text):
            break
        out.append(line)
        if line.strip():
            last_text = line
    return "\n".join(out).rstrip()


# --- linking ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Facts:
    series: Series
    author: str
    title: str
    change_id: str
    patch_titles: frozenset[str]
    # the series' own, copied here: _previous compares a series with each of its author's
    # (29,000 comparisons for kvmarm's 2021-03-10), and following f.series.version and the
    # like was more than half of that time
    key: str
    version: int
    first_seq: int


def _facts(s: Series, mailmap: Mailmap | None) -> _Facts:
    author: Person = mailmap.resolve(s.author) if mailmap else s.author
    titles = frozenset(normalised_title(p.message.subject.title) for p in s.patches)
    return _Facts(s, author.email, normalised_title(s.title), change_id_of(s), titles, s.key, s.version, s.first_seq)


def _overlap(a: _Facts, b: _Facts) -> bool:
    if not a.patch_titles or not b.patch_titles:
        return False
    shared = len(a.patch_titles & b.patch_titles)
    return shared * 2 > max(len(a.patch_titles), len(b.patch_titles))


def _rank(f: _Facts) -> tuple[int, int]:
    return (f.series.version, f.series.first_seq)


def _previous(f: _Facts, pool: Sequence[_Facts]) -> tuple[_Facts, str] | None:
    key, version, first_seq = f.key, f.version, f.first_seq
    earlier = [p for p in pool if p.version < version and p.first_seq < first_seq and p.key != key]
    if not earlier:
        return None
    if f.change_id:
        same = [p for p in earlier if p.change_id == f.change_id]
        if same:
            return max(same, key=_rank), "change-id"
    mine = [p for p in earlier if p.author == f.author and not (f.change_id and p.change_id)]
    same_title = [p for p in mine if p.title == f.title]
    if same_title:
        return max(same_title, key=_rank), "title"
    similar = [p for p in mine if _overlap(p, f)]
    if similar:
        return max(similar, key=_rank), "patches"
    return None


def link_revisions(
    series: Sequence[Series], *, mailmap: Mailmap | None = None, only: Collection[str] | None = None
) -> dict[str, RevisionLinks]:
    """Previous/next revision links between the given series (pull requests excluded).

    Pass every series that may be related (the window's and the candidates found in the
    index), not only a window's: a v3 posted after the window still supersedes its v2.
    ``only``: the keys whose links are wanted (the window's series); the others are still
    compared, but their change notes are not looked for (a tenth of a one-day report's
    linking: 397 series, 6 of them the window's).
    """
    facts = [_facts(s, mailmap) for s in series if not s.is_pull]
    by_author: dict[str, list[_Facts]] = {}
    by_change: dict[str, list[_Facts]] = {}
    for f in facts:
        by_author.setdefault(f.author, []).append(f)
        if f.change_id:
            by_change.setdefault(f.change_id, []).append(f)
    # Without a change-id, a series is compared with its author's earlier versions only:
    # one at its author's lowest version has none (245 of the 397 series of kvmarm's
    # 2021-03-10, which made 49,000 of its 78,000 comparisons for nothing).
    lowest = {author: min(f.version for f in group) for author, group in by_author.items()}
    previous: dict[str, tuple[_Facts, str]] = {}
    for f in facts:
        if not f.change_id and f.version <= lowest[f.author]:
            continue
        pool = by_author.get(f.author, []) + [p for p in by_change.get(f.change_id, []) if p.author != f.author]
        found = _previous(f, pool)
        if found is not None:
            previous[f.series.key] = found
    following: dict[str, _Facts] = {}
    for f in sorted(facts, key=_rank):
        if f.series.key in previous:
            following.setdefault(previous[f.series.key][0].series.key, f)
    out: dict[str, RevisionLinks] = {}
    for f in facts:
        key = f.series.key
        if only is not None and key not in only:
            continue
        prev = previous.get(key)
        nxt = following.get(key)
        out[key] = RevisionLinks(
            key=key,
            previous=prev[0].series.key if prev else None,
            previous_version=version_label(prev[0].series) if prev else "",
            method=prev[1] if prev else "",
            next=nxt.series.key if nxt else None,
            next_version=version_label(nxt.series) if nxt else "",
            change_id=f.change_id,
            changes=change_notes(f.series),
        )
    return out
