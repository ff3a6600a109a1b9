"""Hand-made StoredMessages for analysis and renderer tests (no archive, no parser run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from patchdigest.models import DiffStat, Kind, Message, Person, Provenance, Trailer
from patchdigest.parse import parse_subject
from patchdigest.store import StoredMessage

T0 = datetime(2021, 3, 10, 9, 0, tzinfo=UTC)


def mail(
    seq: int,
    subject: str,
    *,
    msgid: str | None = None,
    irt: str | None = None,
    refs: tuple[str, ...] = (),
    sender: str = "Marta Kowalczyk <marta@example.org>",
    author: str | None = None,
    minutes: float = 0,
    kind: Kind | None = None,
    body: str = "",
    files: tuple[str, ...] = ("arch/arm64/kvm/sys_regs.c",),
    insertions: int = 3,
    deletions: int = 1,
) -> StoredMessage:
    """One stored mail; ``kind`` defaults to what the subject says (0/N: cover, n/N: patch)."""
    s = parse_subject(subject)
    if kind is None:
        if s.is_reply:
            kind = Kind.REPLY
        elif s.is_pull:
            kind = Kind.PULL
        elif s.counter == 0:
            kind = Kind.COVER
        else:
            kind = Kind.PATCH
    name, _, addr = sender.partition(" <")
    who = Person(name, addr.rstrip(">").lower())
    if author is not None:
        a_name, _, a_addr = author.partition(" <")
        writer = Person(a_name, a_addr.rstrip(">").lower())
    else:
        writer = who
    mid = msgid or f"<m{seq}@example.org>"
    is_patch = kind is Kind.PATCH
    message = Message(
        msgid=mid,
        msgids=(mid,),
        in_reply_to=irt,
        references=refs or ((irt,) if irt else ()),
        date=T0 + timedelta(minutes=minutes),
        date_ok=True,
        sender=who,
        author=writer,
        subject=s,
        kind=kind,
        commit_message=body or f"Body of {s.title}.\n\nSigned-off-by: {writer}",
        trailers=(Trailer("Signed-off-by", str(writer), writer),),
        notes=" 1 file changed, 3 insertions(+), 1 deletion(-)" if is_patch else "",
        has_separator=is_patch,
        diffstat=" 1 file changed, 3 insertions(+), 1 deletion(-)" if is_patch else "",
        stat=DiffStat(files, insertions, deletions) if is_patch else DiffStat(),
        has_diff=is_patch,
        to="kvm@example.org",
    )
    return StoredMessage(seq, Provenance("test", seq), message)


def series_of(n: int, title: str, *, version: str = "", first_seq: int = 0, cover: bool = True,
              sender: str = "Marta Kowalczyk <marta@example.org>", minutes: float = 0,
              tag: str = "PATCH", prefix: str = "s") -> list[StoredMessage]:  # fmt: skip
    """A threaded git-send-email series: 0/n (optional) then 1/n..n/n replying to the root."""
    v = f" {version}" if version else ""
    root = f"<{prefix}-0@example.org>" if cover else f"<{prefix}-1@example.org>"
    out = []
    if cover:
        out.append(mail(first_seq, f"[{tag}{v} 0/{n}] {title}", msgid=root, sender=sender, minutes=minutes))
    for i in range(1, n + 1):
        irt = None if (not cover and i == 1) else root
        out.append(
            mail(
                first_seq + i,
                f"[{tag}{v} {i}/{n}] {title}: part {i}",
                msgid=f"<{prefix}-{i}@example.org>",
                irt=irt,
                sender=sender,
                minutes=minutes + i / 60,
                files=(f"f{i}.c",),
            )  # fmt: skip
        )
    return out
