"""Series assembly: which patch emails belong together.

Rules, in order (b4's view of a thread is the reference: within a thread, one series
per revision):

1. Threading first. A mail whose In-Reply-To (then References, newest first) names a
   counted mail of the same revision and a compatible total joins that mail's series,
   unless its position (0 for a cover letter, n of n/N, 1 for an unnumbered patch) is
   already taken there. Parents are placed before children whatever the arrival order,
   so "[PATCH 2/4]" archived before its cover letter still joins it.
   A revision the sender forgot is adopted from upthread, as b4 does:
   "[PATCH 2/3]" replying to "[PATCH v2 0/3]" is v2 ("[PATCH 00/15]" with
   "[PATCH v2 01/15]" children is one series too).
2. A mail that cannot join its thread parent ("[PATCH v2 3/5]" sent in reply to v1's
   3/5, "[PATCH] fix build" in reply to a series) starts a series of its own and keeps
   the parent's Message-ID (``Series.in_reply_to``) for later revision linking; siblings
   with the same parent series, sender, revision and total share it (a partial reroll of
   two patches is one series).
3. Unthreaded sends ("--no-thread", or a parent outside the window): a numbered patch
   joins an open series of the same sender, revision and total that replies to the
   same (absent) parent, or whose first mail is at most ``WINDOW`` away.
4. A cover letter or pull request left with no patch absorbs the one series that
   replies to it from the same sender: "[RFC PATCH v4 0/6]" whose patches say 1/5..5/5,
   "[GIT PULL] KVM/arm updates" followed by its 56 patches.
5. Resends: a root whose sender, revision, total, title and other tags equal an earlier
   series' within ``RESEND_WINDOW`` is merged into it; its mails are kept as ``resent``
   copies (the 2021-03-10 "[PATCH 0/4] ... WXN" cover went out twice, one minute apart).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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
    # The Message-ID the root replies to when it is outside the series ("[PATCH v2 3/5]"
    # sent in reply to v1's 3/5), and the key of the digest's series holding it, if any.
    in_reply_to: str | None = None
    in_reply_to_series: str | None = None
    # Replies (not patches) anywhere in the index whose thread reaches one of the
    # series' mails; filled in by ``Digest.with_replies`` (0 until then).
    replies: int = 0

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


@dataclass(eq=False)
class _Group:
    members: list[StoredMessage] = field(default_factory=list)
    resent: list[StoredMessage] = field(default_factory=list)
    positions: set[int] = field(default_factory=set)

    @property
    def root(self) -> StoredMessage:
        return self.members[0]

    def add(self, sm: StoredMessage) -> None:
        self.members.append(sm)
        self.positions.add(_position(sm))


def _position(sm: StoredMessage) -> int:
    """Where a mail sits in its series: n of n/N; else 1 for a patch, 0 for a cover or pull.

    "[PULL kvm-unit-tests 01/39]" (a numbered pull, one patch each) sits at 1 like a patch.
    """
    counter = sm.message.subject.counter
    if counter is not None:
        return counter
    return 1 if sm.message.kind is Kind.PATCH else 0


def _unnumbered_pull(sm: StoredMessage) -> bool:
    """A "[GIT PULL]" mail: a series head, never a member of another mail's series."""
    return sm.message.kind is Kind.PULL and sm.message.subject.counter is None


def _vkey(sm: StoredMessage) -> str:
    """Revision as compared: "V2" is "v2", but "v5.5" is not "v5"; absent is "v1"."""
    return sm.message.subject.version_text.lower() or "v1"


def _inferred(sm: StoredMessage) -> bool:
    return not sm.message.subject.version_text


def _sender(sm: StoredMessage) -> str:
    return sm.message.sender.email


def _one_send(a: StoredMessage, b: StoredMessage) -> bool:
    """Same sender, same total, minutes apart: one git-send-email run, whatever the tags say."""
    ta, tb = a.message.subject.total, b.message.subject.total
    close = abs(a.message.date - b.message.date) <= WINDOW
    return _sender(a) == _sender(b) and ta is not None and ta == tb and close


def _same_revision(child: StoredMessage, parent: StoredMessage) -> bool:
    if _vkey(child) == _vkey(parent):
        return True
    if not _one_send(child, parent):
        return False
    p = parent.message.subject
    if parent.message.kind is Kind.COVER:
        # "[PATCH v2 2/3]" under "[PATCH 0/3]", or "[PATCH 2/3]" under "[PATCH v2 0/3]"
        return _inferred(child) or _inferred(parent)
    # b4: "alternatively, see if upthread is patch 1" (--chain-reply-to sends)
    return _inferred(child) and p.counter is not None


def _joins(child: StoredMessage, parent: StoredMessage, group: _Group) -> bool:
    if _unnumbered_pull(child) or _unnumbered_pull(parent):
        return False  # a pull request heads its patches through _merge_lone_covers
    c, p = child.message.subject, parent.message.subject
    if c.total and p.total and c.total != p.total:
        return False
    if child.message.kind is Kind.PATCH and c.counter is None and (p.total or 0) > 1:
        return False  # an unnumbered "[PATCH] fixup" in reply to a numbered series
    return _position(child) not in group.positions and _same_revision(child, parent)


def _thread_parent(sm: StoredMessage, by_id: dict[str, StoredMessage]) -> StoredMessage | None:
    msg = sm.message
    candidates = ([msg.in_reply_to] if msg.in_reply_to else []) + list(reversed(msg.references))
    for mid in candidates:
        parent = by_id.get(mid)
        if parent is not None and parent.prov.seq != sm.prov.seq:
            return parent
    return None


class _Assembler:
    """Places every counted mail into a group, parents before children."""

    def __init__(self, ordered: list[StoredMessage]) -> None:
        self.by_id = {m.message.original_msgid: m for m in ordered}
        self.groups: list[_Group] = []
        self.group_of: dict[int, _Group] = {}  # by seq
        self.parent_of: dict[int, StoredMessage | None] = {}
        # key -> candidate groups; keys name the parent (a group or an absent Message-ID)
        self.siblings: dict[tuple[object, ...], list[_Group]] = {}
        self.unthreaded: dict[tuple[str, str, int], list[_Group]] = {}

    def place(self, sm: StoredMessage) -> None:
        """Place ``sm`` and, first, every unplaced ancestor (patches may arrive before their
        cover letter); iterative, so a long --chain-reply-to thread cannot hit the
        recursion limit, and a References loop is cut where it closes."""
        chain: list[StoredMessage] = []
        on_chain: set[int] = set()
        current: StoredMessage | None = sm
        while current is not None and current.prov.seq not in self.group_of and current.prov.seq not in on_chain:
            chain.append(current)
            on_chain.add(current.prov.seq)
            parent = _thread_parent(current, self.by_id)
            if parent is not None and parent.prov.seq in on_chain:
                parent = None  # the loop closes here: treat this mail as unthreaded
            self.parent_of[current.prov.seq] = parent
            current = parent
        for mail in reversed(chain):
            parent = self.parent_of[mail.prov.seq]
            group = self._choose(mail, parent, self.group_of[parent.prov.seq] if parent else None)
            group.add(mail)
            self.group_of[mail.prov.seq] = group

    def _choose(self, sm: StoredMessage, parent: StoredMessage | None, parent_group: _Group | None) -> _Group:
        msg = sm.message
        if parent is not None and parent_group is not None:
            if _joins(sm, parent, parent_group):
                return parent_group
            key: tuple[object, ...] = ("group", id(parent_group), _sender(sm), _vkey(sm), msg.subject.total or 0)
            return self._candidate(sm, self.siblings.setdefault(key, []))
        if msg.in_reply_to and msg.subject.counter is not None:
            # The parent is absent (outside the window, or never archived): siblings that
            # reply to the same absent mail belong together, however far apart they arrive.
            key = ("absent", msg.in_reply_to, _sender(sm), _vkey(sm), msg.subject.total or 0)
            found = self.siblings.get(key)
            if found is not None:
                return self._candidate(sm, found)
            group = self._unthreaded(sm) or self._new(sm)
            self.siblings[key] = [group]
            return group
        return self._unthreaded(sm) or self._new(sm)

    def _candidate(self, sm: StoredMessage, candidates: list[_Group]) -> _Group:
        for group in candidates:
            if _position(sm) not in group.positions:
                return group
        group = self._new(sm)
        candidates.append(group)
        return group

    def _unthreaded(self, sm: StoredMessage) -> _Group | None:
        s = sm.message.subject
        if s.counter is None or not s.total:
            return None
        for group in reversed(self.unthreaded.get((_sender(sm), _vkey(sm), s.total), [])):
            close = abs(sm.message.date - group.root.message.date) <= WINDOW
            if close and _position(sm) not in group.positions:
                return group
        return None

    def _new(self, sm: StoredMessage) -> _Group:
        group = _Group()
        self.groups.append(group)
        s = sm.message.subject
        if s.total and not _unnumbered_pull(sm):
            self.unthreaded.setdefault((_sender(sm), _vkey(sm), s.total), []).append(group)
        return group


def assemble(messages: Sequence[StoredMessage]) -> list[Series]:
    """Group counted mails (patches, covers, pulls; any order) into series by first arrival."""
    ordered = sorted((m for m in messages if m.message.kind in COUNTED), key=lambda s: s.prov.seq)
    assembler = _Assembler(ordered)
    for sm in ordered:
        assembler.place(sm)
    groups = [g for g in assembler.groups if g.members]
    groups = _merge_lone_covers(groups, assembler.parent_of)
    groups = _merge_resends(groups)
    series = [_build(g) for g in groups]
    series.sort(key=lambda s: s.first_seq)
    return _link_parents(series)


def _merge_lone_covers(groups: list[_Group], parent_of: dict[int, StoredMessage | None]) -> list[_Group]:
    lone = {g.root.prov.seq: g for g in groups if len(g.members) == 1 and _position(g.root) == 0}
    children: dict[int, list[_Group]] = {}
    for g in groups:
        parent = parent_of.get(g.root.prov.seq)
        if parent is None or parent.prov.seq not in lone or _position(g.root) == 0:
            continue
        same_revision = _vkey(parent) == _vkey(g.root) or parent.message.kind is Kind.PULL
        if _sender(parent) == _sender(g.root) and (same_revision or _one_send(parent, g.root)):
            children.setdefault(parent.prov.seq, []).append(g)
    absorbed: set[int] = set()
    for seq, kids in children.items():
        if len(kids) != 1:
            continue  # two series answer one cover letter: which one it announces is a guess
        cover_group, kid = lone[seq], kids[0]
        for m in kid.members:
            cover_group.add(m)
        cover_group.resent.extend(kid.resent)
        absorbed.add(id(kid))
    return [g for g in groups if id(g) not in absorbed]


# Tag words that a resend may add or that differ between copies of one send.
_RESEND_NOISE = {"patch", "resend", "repost"}
_Signature = tuple[str, str, int, str, tuple[str, ...]]


def _signature(sm: StoredMessage) -> _Signature:
    """What a resend keeps: sender, revision, total, title and the other tags.

    "[PATCH][stable-5.4] X" and "[PATCH][stable-5.10] X" are two backports, not a resend;
    "[PATCH RESEND v4 1/2] X" is "[PATCH v4 1/2] X" again.
    """
    s = sm.message.subject
    other_tags = tuple(
        sorted(t.lower() for t in s.tags if t.lower() not in _RESEND_NOISE and t != s.version_text and "/" not in t)
    )
    return (_sender(sm), _vkey(sm), s.total or 1, s.title.lower(), other_tags)


def _merge_resends(groups: list[_Group]) -> list[_Group]:
    kept: list[_Group] = []
    by_sig: dict[_Signature, _Group] = {}
    for g in groups:
        sig = _signature(g.root)
        earlier = by_sig.get(sig)
        if (
            earlier is not None
            and not _unnumbered_pull(g.root)
            and abs(g.root.message.date - earlier.root.message.date) <= RESEND_WINDOW
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
        into.members, other.members = other.members, into.members
        into.positions, other.positions = other.positions, into.positions
    for m in other.members:
        if _position(m) in into.positions:
            into.resent.append(m)
        else:
            into.add(m)
    into.resent.extend(other.resent)


def _build(g: _Group) -> Series:
    heads = [m for m in g.members if _position(m) == 0]
    patches = [m for m in g.members if _position(m) != 0]
    cover = min(heads, key=lambda m: m.prov.seq) if heads else None
    resent = list(g.resent) + [m for m in heads if m is not cover]
    patches.sort(key=lambda m: (m.message.subject.counter or 0, m.prov.seq))
    root = cover or patches[0]
    s = root.message.subject
    explicit = next((m.message.subject for m in [root, *patches] if m.message.subject.version_text), s)
    # The patches' N wins over the cover's: "[RFC PATCH v4 0/6]" announced 1/5..5/5 (b4 agrees).
    patch_totals = [p.message.subject.total for p in patches if p.message.subject.total]
    total = max(patch_totals) if patch_totals else (s.total or max(1, len(patches)))
    files: set[str] = set()
    for p in patches:
        files.update(p.message.stat.files)
    everything = g.members + g.resent
    member_ids = {m.message.original_msgid for m in everything}
    in_reply_to = root.message.in_reply_to
    return Series(
        key=root.message.original_msgid,
        title=s.title,
        subject=s.full,
        author=root.message.author,
        version=explicit.version,
        version_text=explicit.version_text,
        is_rfc=s.is_rfc,
        is_resend=s.is_resend or bool(resent),
        is_pull=root.message.kind is Kind.PULL,
        project=s.project or next((p.message.subject.project for p in patches if p.message.subject.project), ""),
        total=total,
        cover=cover,
        patches=tuple(patches),
        resent=tuple(sorted(resent, key=lambda m: m.prov.seq)),
        first_date=min(m.message.date for m in everything),
        first_seq=min(m.prov.seq for m in everything),
        files=len(files),
        insertions=sum(p.message.stat.insertions for p in patches),
        deletions=sum(p.message.stat.deletions for p in patches),
        in_reply_to=in_reply_to if in_reply_to and in_reply_to not in member_ids else None,
    )


def _link_parents(series: list[Series]) -> list[Series]:
    """Fill ``in_reply_to_series``: the series of this digest that holds the parent mail."""
    owner = {mid: s.key for s in series for mid in s.msgids}
    out = []
    for s in series:
        parent_key = owner.get(s.in_reply_to) if s.in_reply_to else None
        out.append(replace(s, in_reply_to_series=parent_key) if parent_key and parent_key != s.key else s)
    return out
