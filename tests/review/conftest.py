"""The fixture corpus (tests/data/mail) parsed once: its series and its replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchdigest.analyze.series import COUNTED, Series, assemble
from patchdigest.errors import ParseError
from patchdigest.models import Kind
from patchdigest.store import StoredMessage

from .mails import stored

MAIL_DIR = Path(__file__).resolve().parents[1] / "data" / "mail"
V1 = "<20210309081205.2291-1-marta.kowalczyk@acme-silicon.example>"
V2 = "<20210310093000.40317-1-marta.kowalczyk@acme-silicon.example>"


@pytest.fixture(scope="session")
def corpus() -> list[StoredMessage]:
    out = []
    for seq, path in enumerate(sorted(MAIL_DIR.glob("*.eml"))):
        try:
            out.append(stored(path.read_bytes(), seq))
        except ParseError:
            continue  # 0038-binary-junk
    return out


@pytest.fixture(scope="session")
def corpus_series(corpus: list[StoredMessage]) -> list[Series]:
    return assemble([m for m in corpus if m.message.kind in COUNTED])


@pytest.fixture(scope="session")
def corpus_replies(corpus: list[StoredMessage]) -> list[StoredMessage]:
    return [m for m in corpus if m.message.kind is Kind.REPLY]
