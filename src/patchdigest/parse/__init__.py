"""Pure parsing: raw bytes in, a frozen :class:`~patchdigest.models.Message` out.

No database, no configuration, no globals. ``parse_message`` either returns a Message or
raises :class:`~patchdigest.errors.ParseError` naming the message; it never raises
anything else (a hypothesis test holds it to that).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from ..errors import ParseError
from ..models import Kind, Message, Person, Subject
from .body import split_body, trailers_in
from .diffs import diff_facts
from .headers import (
    decode_words,
    first_msgid,
    list_id,
    msgids,
    parse_date,
    parse_person,
    read_headers,
    sender_of,
    split_message,
)
from .mime import decode_body
from .subject import parse_subject

__all__ = ["parse_message", "parse_subject", "parse_person", "parse_date", "classify"]

_PULL_BODY = re.compile(r"^The following changes since commit [0-9a-f]{7,40}", re.M)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def classify(subject: Subject, *, has_diff: bool, in_reply_to: str | None, body: str) -> Kind:
    """Kind by content. Order matters: a reply that quotes or carries a diff stays a reply."""
    if subject.is_reply:
        return Kind.REPLY
    # The substring test first: the regex runs on the 1 in 200 bodies that can match.
    if subject.is_pull or ("The following changes since commit" in body[:4000] and _PULL_BODY.search(body[:4000])):
        return Kind.PULL
    if has_diff:
        return Kind.PATCH
    if subject.is_patch:
        # "[PATCH v2 0/3]" or a tagged thread root without a diff is a cover letter;
        # "[PATCH 2/5]" whose diff we could not find is still a patch email.
        if subject.counter == 0 or (subject.counter is None and in_reply_to is None):
            return Kind.COVER
        return Kind.PATCH
    if in_reply_to is not None:
        return Kind.REPLY
    return Kind.OTHER


def parse_message(raw: bytes, *, fallback_date: datetime | None = None, where: str = "") -> Message:
    """Parse one raw message. ``where`` (commit or file) is used in error messages."""
    try:
        return _parse(raw, fallback_date, where)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the message
        raise ParseError(f"unexpected {type(exc).__name__}: {exc}", where=where) from exc


def _parse(raw: bytes, fallback_date: datetime | None, where: str) -> Message:
    if not raw or raw.isspace():  # not raw.strip(), which copies the whole message
        raise ParseError("empty message", where=where)
    head, raw_body = split_message(raw)
    headers = read_headers(head)
    if not any(h in headers for h in ("From", "Subject", "Message-ID", "Date")):
        raise ParseError("no RFC 5322 header block (no From, Subject, Message-ID or Date)", where=where)

    ids = msgids(headers.get_all("Message-ID"))
    if ids:
        msgid = ids[-1]
    else:
        # Deterministic stand-in so that the message is still stored and findable.
        # msgids stays empty: it lists the headers as written (Message.original_msgid
        # falls back to msgid).
        msgid = f"<{hashlib.sha1(raw).hexdigest()}@patchdigest.invalid>"
    in_reply_to = first_msgid(headers.get("In-Reply-To"))
    references = tuple(msgids(headers.get_all("References")))
    if in_reply_to is None and references:
        in_reply_to = references[-1]

    date = parse_date(headers.get("Date"))
    date_ok = date is not None
    if date is None:
        date = fallback_date or _EPOCH

    subject = parse_subject(decode_words(headers.get("Subject")))
    sender = sender_of(headers)
    decoded = decode_body(headers, raw_body, raw)
    # A reply is read from its own words only: quoted lines ("> ...") are someone else's
    # (trailers and "Applied to ..." never count when quoted), and are most of a reply's
    # text (80% on kvmarm), so a "Re:" has them dropped before its body is split, which
    # makes everything after cheaper and finds a signature above top-posted quotes.
    own = subject.is_reply
    text = _own_lines(decoded.text) if own else decoded.text
    parts = split_body(text, decoded.diff)
    kind = classify(subject, has_diff=bool(parts.diff), in_reply_to=in_reply_to, body=decoded.text)
    if kind is Kind.REPLY and not own:
        # A reply without "Re:" (rare): known as one only now, read again the same way.
        text = _own_lines(text)
        parts = split_body(text, decoded.diff)
    author = parts.inbody_from if parts.inbody_from and parts.inbody_from.email else sender
    if author.email == sender.email and not author.name:
        author = Person(sender.name, author.email)
    has_diff = bool(parts.diff)
    stat, pid = diff_facts(parts.diff)
    trailer_text = _reply_text(text) if kind is Kind.REPLY else parts.commit_message
    return Message(
        msgid=msgid,
        msgids=tuple(ids),
        in_reply_to=in_reply_to,
        references=references,
        date=date,
        date_ok=date_ok,
        sender=sender,
        author=author,
        subject=subject,
        kind=kind,
        commit_message=parts.commit_message,
        trailers=tuple(trailers_in(trailer_text)),
        notes=parts.notes,
        has_separator=parts.has_separator,
        diffstat=parts.diffstat,
        stat=stat,
        has_diff=has_diff,
        to=decode_words(headers.get("To")),
        cc=decode_words(headers.get("Cc")),
        list_id=list_id(headers.get("List-Id")),
        body_problem=decoded.problem,
        patch_id=pid,
    )


# A run of quoted lines ("> Reviewed-by: ..." or "  > ..."), each with the line break
# before it.
_QUOTED = re.compile(r"\n[^\S\n]*>[^\n]*(?:\n[^\S\n]*>[^\n]*)*")


def _own_lines(text: str) -> str:
    """``text`` without its quoted lines, in one regex pass (~10x a loop over lines)."""
    return _QUOTED.sub("", "\n" + text + "\n")[1:-1] if ">" in text else text


def _reply_text(text: str) -> str:
    """Where a reply's trailers are read, as b4 reads them: the whole body up to the
    signature ("-- "), so that "Otherwise:\n\nAcked-by: ..." after a suggested diff counts;
    quoted lines dropped; indentation dropped ("  Tested-by: ..." counts). Added and
    removed lines of a suggested diff never look like trailers ("+", "-" first)."""
    cut = text.find("\n-- \n")
    if cut != -1:
        text = text[:cut]
    return "\n".join(line.strip() for line in _own_lines(text).split("\n"))
