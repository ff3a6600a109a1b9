"""The header lines a digest shows for one email: a curated set, or all of them.

Every value is decoded (RFC 2047), unfolded and reduced to one line, so that no header
can look as if it swallowed the next one (the patchwork digest printed
"[PATCH v2] vfio/pci: Handle concurrent vma faultsFrom: Alex Williamson").
"""

from __future__ import annotations

from email.utils import format_datetime

from ..models import Message
from ..parse.headers import clean_text, decode_words, parse_header_block, split_message

Header = tuple[str, str]

CURATED = ("From", "Date", "Subject", "Message-ID", "To", "Cc")


def curated_headers(message: Message) -> tuple[Header, ...]:
    """From, Date, Subject, Message-ID, To, Cc from the parsed message (no archive read).

    From is the sender with a mailing list's DMARC rewrite undone; Message-ID the one as
    sent (what replies and lore links use); To and Cc only when present.
    """
    date = format_datetime(message.date)
    if not message.date_ok:
        date += " (no readable Date header: archive time)"
    headers: list[Header] = [
        ("From", clean_text(str(message.sender))),
        ("Date", date),
        ("Subject", clean_text(message.subject.full)),
        ("Message-ID", message.original_msgid),
    ]
    for name, value in (("To", message.to), ("Cc", message.cc)):
        if value.strip():
            headers.append((name, clean_text(value)))
    return tuple(headers)


def all_headers(raw: bytes) -> tuple[Header, ...]:
    """Every header of a raw message, in order, decoded and one line each."""
    block, _ = split_message(raw)
    return tuple(
        (clean_text(name), clean_text(decode_words(value))) for name, value in parse_header_block(block).fields
    )
