"""Status per series: new, revision (of vN), reviewed, superseded, applied.

"Applied" is read from replies by someone other than the series' author, in the forms
maintainers use (quoted lines never count)::

    Applied to kvm-arm64/next, thanks!          (b4 ty header; "arm64 (for-next/misc)")
    Applied, thanks.   Thanks, applied.   Queued, thanks.   Queued for 5.7. Thanks.
    Queued patches 1-5, thanks.   Queued 1-20 and 22-28.   Applied to arm/queue
    [1/2] KVM: arm64: Fix the foo
          commit: 0123456789abcdef0123456789abcdef01234567      (b4 ty, per patch)

A b4 "thank you" (the ``[n/N] subject`` + ``commit: <sha>`` lines) counts even from the
series' author: maintainers apply their own series and b4 writes it, so it is a record,
not a claim (a maintainer's b4 "Applied to fixes, thanks!" on his own series). Testers'
"Applied this series and verified ..." and "Applied patch mmio.c cleanly." do not match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..models import Message, Person
from ..store import StoredMessage
from .people import Mailmap
from .reviews import SeriesReviews, Target, same_person
from .revisions import RevisionLinks
from .series import Series

__all__ = ["Applied", "Status", "applied_claim", "find_applied", "series_status", "STATES"]

STATES = ("new", "revision", "reviewed", "superseded", "applied")

# "Applied" / "Queued" / "Pushed" [this one | patches 1-5 | 3+5] [to|for|into X] [, thanks...].
# The verb is capitalised: "merged." or "applied, and a signal ..." at the start of a line
# is the end of a wrapped sentence, not a claim.
_WHICH = r"(?:patch(?:es)?\s+)?(?P<which>\d+(?:\s*(?:-|\+|,|and)\s*\d+)*)"
_OBJECT = r"(?:this(?:\s+one|\s+series|\s+patch)?|these|them|it|the\s+series)(?:\s+already)?"
_WHERE = (
    r"(?P<where>(?:the\s+)?[^\s,!;]+(?:\s+[^\s,!;]+){0,2}?\s+branch"
    r"|[^\s,!;]+(?:\s+\([^)]*\))?)(?:\s+for\s+[^\s,!;]+)?"
)
_CLAIM = re.compile(
    r"^(?:(?i:thanks)[,!.]?\s+(?i:applied|queued|pushed)|(?:Now\s+)?(?:Applied|Queued|Pushed|Merged))"
    rf"(?:\s+up)?(?:\s+{_OBJECT}|\s+{_WHICH})?(?:\s+and\s+pushed)?"
    rf"(?:\s+(?:to|into|in|for)\s+{_WHERE})?"
    r"(?:\s+(?:with|because)\b[^.!]*)?"
    r"\s*(?:[.!]+(?:\s.*)?|[,:;]\s*(?:(?i:thanks?)\b.*|and\b.*|with\b.*|will\b.*|https?://\S+)?|\s+\(.*)?\s*$"
)
# b4 ty: "[1/2] KVM: arm64: ..." then "      commit: 0123456789ab" (or "(no commit info)")
_TY_PATCH = re.compile(r"^\[(\d+)/(\d+)\]\s+\S.*\n\s+(?:commit:\s+([0-9a-f]{7,40})|\(no commit info\))", re.M)


@dataclass(frozen=True, slots=True)
class Applied:
    by: Person
    source: str  # the reply's Message-ID
    date: datetime
    where: str = ""  # branch or tree as written: "next", "arm64 (for-next/misc)", "5.7"
    patches: tuple[int, ...] = ()  # counters named; () = the mail it answers (all of a cover's)
    commits: tuple[tuple[int, str], ...] = ()  # (n, sha) from b4's per-patch lines
    b4: bool = False


@dataclass(frozen=True, slots=True)
class Status:
    state: str  # one of STATES
    of_version: str = ""  # "v2": this is a revision of that version
    of_key: str | None = None
    superseded_by: str | None = None
    superseded_version: str = ""
    applied: Applied | None = None
    applied_patches: tuple[int, ...] = ()  # counters known applied (1 for a lone patch)
    confirmed: tuple[tuple[int, str], ...] = field(default=())  # (n, commit) found in --git-tree


def _unquoted(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))


def _numbers(which: str) -> tuple[int, ...]:
    """ "1-20 and 22-28" -> 1..20, 22..28; "3+5" -> 3, 5."""
    out: set[int] = set()
    for part in re.split(r"\s*(?:\+|,|and)\s*", which.strip()):
        lo, _, hi = part.partition("-")
        if lo.strip().isdigit():
            a = int(lo)
            b = int(hi) if hi.strip().isdigit() else a
            out.update(range(a, min(b, a + 500) + 1))
    return tuple(sorted(out))


def applied_claim(message: Message) -> Applied | None:
    """What a reply says was applied, if it says so (quoted lines ignored)."""
    text = _unquoted(message.commit_message)
    ty = _TY_PATCH.findall(text)
    for line in text.split("\n"):
        m = _CLAIM.match(line.strip())
        if m is None:
            continue
        where = (m.group("where") or "").rstrip(".,")
        where = "" if where.lower() == "now" else where  # "Queued patches 2-5 for now."
        which = _numbers(m.group("which")) if m.group("which") else ()
        return _claim(message, where, which, ty)
    if ty:
        return _claim(message, "", (), ty)
    return None


def _claim(message: Message, where: str, which: tuple[int, ...], ty: list[tuple[str, str, str]]) -> Applied:
    commits = tuple((int(n), sha) for n, _, sha in ty if sha)
    patches = tuple(sorted({int(n) for n, _, _ in ty})) if ty else which
    return Applied(message.sender, message.original_msgid, message.date, where, patches, commits, bool(ty))


def find_applied(
    series: Series,
    replies: Iterable[StoredMessage],
    targets: Mapping[str, Target],
    *,
    mailmap: Mailmap | None = None,
) -> tuple[Applied | None, tuple[int, ...]]:
    """The first applied claim about the series and the patch counters known applied."""
    first: Applied | None = None
    done: set[int] = set()
    counters = [p.message.subject.counter or 1 for p in series.patches] or [1]
    for r in sorted(replies, key=lambda r: r.prov.seq):
        target = targets.get(r.message.original_msgid)
        if target is None or target.series != series.key:
            continue
        claim = applied_claim(r.message)
        if claim is None:
            continue
        if not claim.b4 and same_person(r.message.sender, series.author, mailmap):
            continue  # the author's "applied" is about something else ("Applied Drew's fix")
        if claim.patches:
            named = set(claim.patches)
        elif target.is_cover or len(counters) == 1:
            named = set(counters)
        else:
            named = {target.counter or 1}
        done |= named & set(counters)
        first = first or claim
    return first, tuple(sorted(done))


def series_status(
    series: Series,
    reviews: SeriesReviews | None,
    links: RevisionLinks | None,
    applied: Applied | None = None,
    applied_patches: tuple[int, ...] = (),
    confirmed: tuple[tuple[int, str], ...] = (),
) -> Status:
    """Applied wins over superseded, superseded over reviewed, reviewed over revision."""
    of_version = links.previous_version if links and links.previous else ""
    if applied is not None or confirmed:
        state = "applied"
    elif links is not None and links.superseded:
        state = "superseded"
    elif reviews is not None and reviews.reviewed:
        state = "reviewed"
    elif of_version:
        state = "revision"
    else:
        state = "new"
    return Status(
        state=state,
        of_version=of_version,
        of_key=links.previous if links else None,
        superseded_by=links.next if links else None,
        superseded_version=links.next_version if links else "",
        applied=applied,
        applied_patches=tuple(sorted(set(applied_patches) | {n for n, _ in confirmed})),
        confirmed=confirmed,
    )
