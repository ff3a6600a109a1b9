"""The fixture corpus, checked against tests/data/mail/expected.json.

Each ``NNNN-what.eml`` is one odd (or ordinary) mail as a public-inbox archive holds it;
expected.json lists, per file, only the fields that matter for that mail. Keys:

- ``author`` / ``sender``: ``str(Person)``, i.e. ``Name <email>`` with the email lower-cased;
  ``author.email`` / ``author.name`` for one part only
- ``kind``: ``Kind`` value; ``subject.<field>``: a ``Subject`` attribute (``tags`` as a list)
- ``msgid``, ``msgids``, ``in_reply_to``, ``references``; ``msgid_synthesised``: no Message-ID
  header, so the id is made up under ``@patchdigest.invalid``
- ``date_ok``; ``date_utc``: ``Message.date`` in UTC, ISO 8601 (the fallback date when not ok)
- ``stat.files`` / ``stat.insertions`` / ``stat.deletions``, ``has_diff``, ``has_separator``
- ``trailers``: the exact list of ``[key, value]`` pairs
- ``report_text_contains`` / ``report_text_excludes`` and ``commit_message_excludes``:
  substrings of ``Message.report_text()`` / ``Message.commit_message``
- ``body_problem_nonempty``, ``list_id``
- ``parse_error: true``: the parser may reject the mail, but only with ``ParseError``
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from patchdigest.errors import ParseError
from patchdigest.models import Message
from patchdigest.parse import parse_message

MAIL_DIR = Path(__file__).resolve().parents[1] / "data" / "mail"
EXPECTED: dict[str, dict[str, Any]] = json.loads((MAIL_DIR / "expected.json").read_text(encoding="utf-8"))
FALLBACK = datetime(2021, 3, 10, 12, 0, tzinfo=UTC)

# A line of a unified diff, as opposed to a diffstat line (" path | 3 ++-").
DIFF_LINE = re.compile(r"^(diff --git |index [0-9a-f]+\.\.[0-9a-f]+|@@ -\d+|\+\+\+ (b/|/dev/null)|--- (a/|/dev/null))")


def parse(name: str) -> Message:
    return parse_message((MAIL_DIR / name).read_bytes(), fallback_date=FALLBACK, where=name)


def actual(msg: Message, key: str) -> Any:
    """The value of one expected.json key, in JSON-comparable form."""
    if key in ("author", "sender"):
        return str(getattr(msg, key))
    if key.startswith(("author.", "sender.")):
        who, attr = key.split(".", 1)
        return getattr(getattr(msg, who), attr)
    if key == "kind":
        return msg.kind.value
    if key.startswith("subject."):
        value = getattr(msg.subject, key.split(".", 1)[1])
        return list(value) if isinstance(value, tuple) else value
    if key.startswith("stat."):
        value = getattr(msg.stat, key.split(".", 1)[1])
        return list(value) if isinstance(value, tuple) else value
    if key in ("msgids", "references"):
        return list(getattr(msg, key))
    if key == "msgid_synthesised":
        return msg.msgid.endswith("@patchdigest.invalid>")
    if key == "date_utc":
        return msg.date.astimezone(UTC).isoformat()
    if key == "trailers":
        return [[t.key, t.value] for t in msg.trailers]
    if key == "body_problem_nonempty":
        return bool(msg.body_problem)
    return getattr(msg, key)


SUBSTRING_KEYS = {
    "report_text_contains": (lambda m: m.report_text(), True),
    "report_text_excludes": (lambda m: m.report_text(), False),
    "commit_message_excludes": (lambda m: m.commit_message, False),
}


def test_every_mail_has_expectations() -> None:
    mails = sorted(p.name for p in MAIL_DIR.glob("*.eml"))
    assert mails == sorted(EXPECTED), "expected.json and the .eml files disagree"
    numbers = [int(name[:4]) for name in mails]
    assert numbers == list(range(1, len(mails) + 1)), "corpus files are numbered 0001, 0002, ..."
    for name in mails:
        assert re.fullmatch(r"\d{4}-[a-z0-9.]+(-[a-z0-9.]+)*\.eml", name), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_mail(name: str) -> None:
    expected = EXPECTED[name]
    if expected.get("parse_error"):
        try:
            msg = parse(name)
        except ParseError as exc:
            assert name in str(exc), "a ParseError names the message it is about"
            return
        assert isinstance(msg, Message)
        return
    msg = parse(name)
    problems = []
    for key, want in expected.items():
        if key in SUBSTRING_KEYS:
            get, present = SUBSTRING_KEYS[key]
            text = get(msg)
            for needle in want:
                if (needle in text) != present:
                    problems.append(f"{key}: {needle!r}\n--- text was:\n{text}\n---")
            continue
        got = actual(msg, key)
        if got != want:
            problems.append(f"{key}: expected {want!r}, got {got!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if not e.get("parse_error")))
def test_invariants(name: str) -> None:
    """What holds for every mail, whatever its quirks."""
    msg = parse(name)
    assert msg.date.tzinfo is not None and msg.date.utcoffset() is not None
    assert msg.msgid.startswith("<") and msg.msgid.endswith(">")
    assert msg.msgid == (msg.msgids[-1] if msg.msgids else msg.msgid)
    assert msg.author.email == msg.author.email.lower()
    assert msg.sender.email == msg.sender.email.lower()
    assert "\n" not in msg.subject.full and "  " not in msg.subject.full
    for line in msg.report_text().splitlines():
        assert not DIFF_LINE.match(line), f"diff line in report_text: {line!r}"
    assert not msg.report_text().rstrip().endswith("2.39.1"), "the '-- ' signature is not report text"
    if msg.kind.value == "patch" and msg.has_diff:
        assert msg.stat.files and msg.patch_id
    if not msg.has_diff:
        assert msg.patch_id == ""
    if msg.date_ok is False:
        assert msg.date == FALLBACK


def test_same_message_id_delivered_twice() -> None:
    """Two deliveries of one mail differ in transport headers only: same id, same content."""
    first = parse("0026-capital-v2-first-delivery.eml")
    again = parse("0027-capital-v2-same-message-id-redelivered.eml")
    assert first.msgid == again.msgid
    assert first.patch_id == again.patch_id
    assert first.commit_message == again.commit_message


def test_series_revisions_share_patch_ids() -> None:
    """v1 1/2 and v2 1/3 carry the same diff, which later stages use to link revisions."""
    v1 = parse("0002-v1-patch-1-of-2.eml")
    v2 = parse("0013-v2-patch-1-of-3.eml")
    v2_other = parse("0015-v2-patch-3-of-3.eml")
    assert v1.patch_id == v2.patch_id
    assert v1.patch_id != v2_other.patch_id


def test_replies_point_into_the_corpus() -> None:
    """The v2 thread is complete: every reply's parent is a corpus mail."""
    by_id = {parse(n).original_msgid: n for n, e in EXPECTED.items() if not e.get("parse_error")}
    for name in (
        "0013-v2-patch-1-of-3.eml",
        "0016-v2-review-on-cover.eml",
        "0017-v2-review-folded-re-subject-signature.eml",
        "0018-re-re-quoted-reviewed-by-no-timezone.eml",
        "0022-unknown-charset-reply.eml",
    ):
        parent = parse(name).in_reply_to
        assert parent in by_id, f"{name}: parent {parent} is not in the corpus"


def test_same_bytes_with_crlf_parse_alike() -> None:
    """An archive that stored CRLF line endings yields the same Message fields."""
    name = "0014-v2-patch-2-of-3-folded-subject.eml"
    raw = (MAIL_DIR / name).read_bytes()
    lf = parse_message(raw, fallback_date=FALLBACK)
    crlf = parse_message(raw.replace(b"\n", b"\r\n"), fallback_date=FALLBACK)
    assert crlf.subject == lf.subject
    assert crlf.trailers == lf.trailers
    assert crlf.stat == lf.stat
    assert crlf.report_text() == lf.report_text()
