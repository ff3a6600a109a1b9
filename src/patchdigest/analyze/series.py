"""Series assembly: which patch emails belong together.

Rules, in order:

1. Threading first: a patch replying (In-Reply-To, then References newest first) to a
   cover letter or patch of the same version and compatible total joins its series.
   "[PATCH v2 3/5]" sent in reply to v1's 3/5 is a *new* series (a revision of one patch).
2. Unthreaded sends ("--no-thread"): a patch with no thread parent joins an open series
   of the same author, version and total whose first mail is at most ``WINDOW`` older and
   does not have that counter yet.
3. Resends: a root whose author, version, total and title equal an earlier series' within
   ``RESEND_WINDOW`` is merged into it; its mails are kept as ``resent`` copies (the
   2021-03-10 "[PATCH 0/4] ... WXN" cover went out twice, one minute apart).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..models import Kind, Person
from ..store import StoredMessage

WINDOW = timedelta(hours=2)
RESEND_WINDOW = timedelta(days=3)
COUNTED = (Kind.PATCH, Kind.COVER, Kind.PULL)


@dataclass(frozen=True, slots=True)
class Series:
    """One series (or single patch, or pull request) as a digest shows it."""

    key: str  # the root's Message-ID: stable across reruns
    title: str  # cover letter's title, else the single/first patch's
    subject: str  # full tagged subject of the root mail
    author: Person
    version: int
    version_text: str
    is_rfc: bool
    is_resend: bool
    is_pull: bool
    project: str
    total: int  # announced N of n/N (1 for a single patch)
    cover: StoredMessage | None
    patches: tuple[StoredMessage, ...]  # in n/N order, then arrival
    resent: tuple[StoredMessage, ...]  # duplicate sends merged into this series
    first_date: datetime
    first_seq: int
    files: int
    insertions: int
    deletions: int

    @property
    def received(self) -> int:
        """How many of the announced patches are here (the cover letter is not counted)."""
        counters = {p.message.subject.counter for p in self.patches if p.message.subject.counter}
        if self.total <= 1 and self.patches:
            return 1
        return len(counters)

    @property
    def complete(self) -> bool:
        return self.received >= self.total

    @property
    def missing(self) -> tuple[int, ...]:
        have = {p.message.subject.counter for p in self.patches}
        return tuple(n for n in range(1, self.total + 1) if n not in have) if self.total > 1 else ()

    @property
    def messages(self) -> tuple[StoredMessage, ...]:
        """Every email of the series in display order: cover, patches, then resent copies."""
        head = (self.cover,) if self.cover else ()
        return head + self.patches + self.resent

    @property
    def msgids(self) -> tuple[str, ...]:
        return tuple(m.message.original_msgid for m in self.messages)

    @property
    def root(self) -> StoredMessage:
        return self.cover or self.patches[0]


@dataclass
class _Group:
    root: StoredMessage
    members: list[StoredMessage] = field(default_factory=list)
    resent: list[StoredMessage] = field(default_factory=list)

    @property
    def first(self) -> StoredMessage:
        return self.members[0]


def _compatible(child: StoredMessage, parent: StoredMessage) -> bool:
    c, p = child.message.subject, parent.message.subject
    if c.version != p.version:
        return False
    if c.total and p.total and c.total != p.total:
        return False
    return child.message.kind is not Kind.PULL and parent.message.kind is not Kind.PULL


def _signature(sm: StoredMessage) -> tuple[str, int, int, str]:
    s = sm.message.subject
    return (sm.message.author.email, s.version, s.total or 1, s.title.lower())


def assemble(messages: Sequence[StoredMessage]) -> list[Series]:
    """Group counted mails (patches, covers, pulls; any order) into series by first arrival."""
    ordered = sorted((m for m in messages if m.message.kind in COUNTED), key=lambda s: s.prov.seq)
    by_id = {m.message.original_msgid: m for m in ordered}
    group_of: dict[str, _Group] = {}
    groups: list[_Group] = []
    open_by_sender: dict[tuple[str, int, int], list[_Group]] = {}

    for sm in ordered:
        msg = sm.message
        parent = _thread_parent(sm, by_id)
        group: _Group | None = None
        if parent is not None and parent.message.original_msgid in group_of and _compatible(sm, parent):
            group = group_of[parent.message.original_msgid]
        elif parent is None and msg.kind is Kind.PATCH and msg.subject.counter:
            key = (msg.author.email, msg.subject.version, msg.subject.total or 0)
            for candidate in reversed(open_by_sender.get(key, [])):
                taken = {m.message.subject.counter for m in candidate.members}
                if msg.date - candidate.first.message.date <= WINDOW and msg.subject.counter not in taken:
                    group = candidate
                    break
        if group is None:
            group = _Group(sm)
            groups.append(group)
            if msg.subject.total:
                key = (msg.author.email, msg.subject.version, msg.subject.total)
                open_by_sender.setdefault(key, []).append(group)
        group.members.append(sm)
        group_of[msg.original_msgid] = group

    merged = _merge_resends(groups)
    series = [_build(g) for g in merged]
    series.sort(key=lambda s: s.first_seq)
    return series


def _thread_parent(sm: StoredMessage, by_id: dict[str, StoredMessage]) -> StoredMessage | None:
    msg = sm.message
    candidates = ([msg.in_reply_to] if msg.in_reply_to else []) + list(reversed(msg.references))
    for mid in candidates:
        parent = by_id.get(mid)
        if parent is not None and parent.prov.seq != sm.prov.seq:
            return parent
    return None


def _merge_resends(groups: list[_Group]) -> list[_Group]:
    kept: list[_Group] = []
    by_sig: dict[tuple[str, int, int, str], _Group] = {}
    for g in groups:
        sig = _signature(g.root)
        earlier = by_sig.get(sig)
        if (
            earlier is not None
            and g.root.message.kind is not Kind.PULL
            and g.root.message.date - earlier.root.message.date <= RESEND_WINDOW
        ):
            _absorb(earlier, g)
            continue
        by_sig[sig] = g
        kept.append(g)
    return kept


def _absorb(into: _Group, other: _Group) -> None:
    """Merge a resent series: a position already held keeps its first copy.

    A send that was cut short (only the cover went out, then the whole series) ends up
    with the complete send's mails as members and the lone cover as a resent copy.
    """
    if len(other.members) > len(into.members):
        into.root, other.root = other.root, into.root
        into.members, other.members = other.members, into.members
    have = {_position(m) for m in into.members}
    for m in other.members:
        pos = _position(m)
        if pos in have:
            into.resent.append(m)
        else:
            into.members.append(m)
            have.add(pos)
    into.resent.extend(other.resent)


def _position(sm: StoredMessage) -> int:
    msg = sm.message
    if msg.kind is Kind.COVER:
        return 0
    return msg.subject.counter if msg.subject.counter is not None else 1


def _build(g: _Group) -> Series:
    covers = [m for m in g.members if m.message.kind is Kind.COVER or m.message.kind is Kind.PULL]
    patches = [m for m in g.members if m not in covers]
    cover = covers[0] if covers else None
    resent = list(g.resent) + covers[1:]
    patches.sort(key=lambda m: (m.message.subject.counter or 0, m.prov.seq))
    root = cover or patches[0]
    s = root.message.subject
    total = max([m.message.subject.total or 0 for m in g.members] + [len(patches) if not cover else 0, 1])
    files: set[str] = set()
    for p in patches:
        files.update(p.message.stat.files)
    return Series(
        key=root.message.original_msgid,
        title=s.title,
        subject=s.full,
        author=root.message.author,
        version=s.version,
        version_text=s.version_text,
        is_rfc=s.is_rfc,
        is_resend=s.is_resend or bool(resent),
        is_pull=root.message.kind is Kind.PULL,
        project=s.project,
        total=total,
        cover=cover,
        patches=tuple(patches),
        resent=tuple(sorted(resent, key=lambda m: m.prov.seq)),
        first_date=min(m.message.date for m in g.members + g.resent),
        first_seq=min(m.prov.seq for m in g.members + g.resent),
        files=len(files),
        insertions=sum(p.message.stat.insertions for p in patches),
        deletions=sum(p.message.stat.deletions for p in patches),
    )
