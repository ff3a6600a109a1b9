"""Fixtures for the sync tests: real servers on 127.0.0.1, local inboxes, fast retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from patchdigest.sync import Network, RetryPolicy

from .servers import PublicInboxServer, StaticServer, missing_public_inbox

MAIL_DIR = Path(__file__).resolve().parents[1] / "data" / "mail"
# Well-formed fixture mails (patches, a cover letter, replies) that public-inbox takes as
# they are: unique Message-IDs, real From and Date. The odd ones are the parser's business.
SERVER_MAILS = (
    "0001-v1-cover-letter.eml",
    "0002-v1-patch-1-of-2.eml",
    "0003-v1-patch-2-of-2.eml",
    "0004-reply-utf8-b-from-name.eml",
    "0011-reply-reviewed-and-tested-by.eml",
    "0012-v2-cover-letter.eml",
    "0013-v2-patch-1-of-3.eml",
    "0014-v2-patch-2-of-3-folded-subject.eml",
    "0015-v2-patch-3-of-3.eml",
    "0016-v2-review-on-cover.eml",
)
LATE_MAIL = "0036-git-pull-request.eml"  # delivered after the first sync
PURGED_MAIL = "0003-v1-patch-2-of-2.eml"  # erased with public-inbox-purge

FAST = Network(RetryPolicy(attempts=3, base_delay=0.01), timeout=5.0, low_speed_time=10)


def mail(name: str) -> bytes:
    return (MAIL_DIR / name).read_bytes()


def synthetic(n: int, date: str) -> bytes:
    """A small patch mail numbered ``n`` sent on ``date`` (RFC 2822)."""
    return (
        f"From: Dev {n} <dev{n}@example.org>\n"
        f"Subject: [PATCH {n}/1] thing number {n}\n"
        f"Date: {date}\n"
        f"Message-ID: <synthetic-{n}@example.org>\n"
        "\n"
        f"Body {n}.\n"
    ).encode()


@pytest.fixture(scope="module")
def pi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublicInboxServer]:
    """public-inbox-httpd serving an inbox of :data:`SERVER_MAILS`, stopped by PID afterwards."""
    reason = missing_public_inbox()
    if reason:
        pytest.skip(reason)
    server = PublicInboxServer(tmp_path_factory.mktemp("public-inbox"))
    server.init()
    for name in SERVER_MAILS:
        server.deliver(mail(name))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def static_server() -> Iterator[Callable[[Path], StaticServer]]:
    """A factory: ``static_server(directory)`` serves it on 127.0.0.1 until the test ends."""
    started: list[StaticServer] = []

    def start(directory: Path) -> StaticServer:
        server = StaticServer(directory)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private XDG config and data dirs (the CLI reads them); returns the data dir."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("PATCHDIGEST_CONFIG", raising=False)
    monkeypatch.delenv("PATCHDIGEST_DB", raising=False)
    return tmp_path / "data" / "patchdigest"
