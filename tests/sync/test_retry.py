"""Retries and backoff against a real local HTTP server that fails on purpose."""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from patchdigest.errors import SyncError
from patchdigest.sync import Network, RetryPolicy, discover, http
from patchdigest.sync.retry import Transient, with_retries

from .conftest import FAST
from .servers import StaticServer

Start = Callable[[Path], StaticServer]


def test_backoff_doubles_up_to_a_cap() -> None:
    policy = RetryPolicy(attempts=6, base_delay=0.5, factor=2, max_delay=3)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_with_retries_waits_then_gives_up() -> None:
    calls: list[float] = []
    notes: list[str] = []

    def flaky() -> int:
        calls.append(time.monotonic())
        raise Transient("connection reset")

    with pytest.raises(SyncError, match=r"^http://x/y: connection reset \(gave up after 3 attempts\)$"):
        with_retries(flaky, policy=RetryPolicy(3, 0.05), where="http://x/y", notify=notes.append)
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.05 and calls[2] - calls[1] >= 0.1
    assert notes == [
        "http://x/y: connection reset; retrying in 0.05s (attempt 2/3)",
        "http://x/y: connection reset; retrying in 0.1s (attempt 3/3)",
    ]


def _manifest_dir(tmp_path: Path) -> Path:
    root = tmp_path / "www"
    (root / "kvm").mkdir(parents=True)
    data = {"/kvm/git/0.git": {"fingerprint": "ab" * 20, "modified": 1}}
    (root / "kvm" / "manifest.js.gz").write_bytes(gzip.compress(json.dumps(data).encode()))
    return root


def test_503_twice_then_success(tmp_path: Path, static_server: Start) -> None:
    server = static_server(_manifest_dir(tmp_path))
    server.fail("/kvm/manifest.js.gz", 503, times=2)
    notes: list[str] = []
    listing = discover(server.url("/kvm"), FAST, notes.append)
    assert listing.how == "manifest" and [e.number for e in listing.epochs] == [0]
    assert server.requests == ["/kvm/manifest.js.gz"] * 3
    assert len(notes) == 2 and "HTTP 503" in notes[0]


def test_503_always_gives_up_with_the_url(tmp_path: Path, static_server: Start) -> None:
    server = static_server(_manifest_dir(tmp_path))
    server.fail("/kvm/", 503)
    with pytest.raises(SyncError) as info:
        discover(server.url("/kvm"), FAST)
    assert str(info.value) == (
        f"{server.url('/kvm/manifest.js.gz')}: HTTP 503 Service Unavailable (gave up after 3 attempts)"
    )


def test_forbidden_is_not_retried(tmp_path: Path, static_server: Start) -> None:
    server = static_server(_manifest_dir(tmp_path))
    server.fail("/kvm/", 403)
    with pytest.raises(SyncError, match="HTTP 403"):
        discover(server.url("/kvm"), FAST)
    assert len(server.requests) == 1


def test_connection_refused_is_retried_and_credentials_stay_hidden() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://alice:s3cret@127.0.0.1:{port}/kvm"
    notes: list[str] = []
    started = time.monotonic()
    with pytest.raises(SyncError) as info:
        discover(url, FAST, notes.append)
    message = str(info.value)
    assert message.startswith(f"http://***@127.0.0.1:{port}/kvm/manifest.js.gz: cannot connect")
    assert "gave up after 3 attempts" in message and "\n" not in message
    assert not any("s3cret" in text or "alice" in text for text in [message, *notes])
    assert time.monotonic() - started < 5


def test_size_cap_and_404(tmp_path: Path, static_server: Start) -> None:
    server = static_server(_manifest_dir(tmp_path))
    assert http.get(server.url("/kvm/nothing.js.gz")) is None
    with pytest.raises(SyncError, match="larger than"):
        http.get(server.url("/kvm/manifest.js.gz"), max_bytes=10)
    with pytest.raises(SyncError, match="only http and https"):
        http.get("file:///etc/passwd")


def test_basic_auth_from_the_url(tmp_path: Path, static_server: Start) -> None:
    server = static_server(_manifest_dir(tmp_path))
    # http.server ignores the header; what matters is that urllib does not take
    # "alice:pw@127.0.0.1" for a host with a bad port.
    assert http.get(f"http://alice:pw@127.0.0.1:{server.port}/kvm/manifest.js.gz") is not None


def test_slow_server_times_out(tmp_path: Path) -> None:
    with socket.socket() as sock:  # accepts (backlog) but never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        net = Network(RetryPolicy(attempts=2, base_delay=0.01), timeout=0.2)
        with pytest.raises(SyncError, match="gave up after 2 attempts"):
            discover(f"http://127.0.0.1:{sock.getsockname()[1]}/kvm", net)
