"""Real servers on 127.0.0.1 for the sync tests (no mocks).

* :class:`PublicInboxServer`: a v2 inbox made by public-inbox's own tools (``-init``,
  ``-mda``, ``-purge``) and served by ``public-inbox-httpd``.
* :class:`StaticServer`: Python's http.server over a directory (a manifest, or git
  repositories for git's "dumb" HTTP protocol), able to fail chosen requests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PUBLIC_INBOX_TOOLS = ("public-inbox-init", "public-inbox-mda", "public-inbox-purge", "public-inbox-httpd")
_BOUND = re.compile(rb"# bound http://127\.0\.0\.1:(\d+)")


def missing_public_inbox() -> str | None:
    """Why the public-inbox tests cannot run here, or None."""
    missing = [tool for tool in PUBLIC_INBOX_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"public-inbox is not installed ({', '.join(missing)} missing; apt-get install public-inbox)"
    return None


class PublicInboxServer:
    """One v2 inbox ``NAME`` under ``root``, its config in ``root/pi-config`` (PI_CONFIG)."""

    def __init__(self, root: Path, name: str = "test") -> None:
        self.root = root
        self.name = name
        self.inbox = root / "inbox"
        self.address = f"{name}@example.test"
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = root / "httpd.log"
        (root / "home").mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PI_"))}
        self.env.update(
            {
                "PI_CONFIG": str(root / "pi-config"),
                "HOME": str(root / "home"),  # nothing may touch the real ~/.public-inbox
                "PI_EMERGENCY": str(root / "emergency"),
                "ORIGINAL_RECIPIENT": self.address,
                "LC_ALL": "C",
            }
        )

    def _run(self, *argv: str, stdin: bytes | None = None) -> None:
        proc = subprocess.run(argv, input=stdin, capture_output=True, env=self.env, check=False, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")

    def init(self) -> None:
        # -L basic: SQLite only, no Xapian: fastest, and all that git mirroring needs.
        self._run("public-inbox-init", "-V2", "-L", "basic", self.name, str(self.inbox),
                  f"http://127.0.0.1/{self.name}", self.address)  # fmt: skip
        # No SpamAssassin here: deliver everything (spamc is not installed anyway).
        self._run("git", "config", "-f", self.env["PI_CONFIG"], "publicinboxmda.spamcheck", "none")

    def deliver(self, message: bytes) -> None:
        """Deliver like an MTA would; --no-precheck accepts the odd fixture headers."""
        self._run("public-inbox-mda", "--no-precheck", stdin=message)

    def purge(self, message: bytes) -> None:
        """Erase a message from the inbox and its git history (rewrites the epoch)."""
        self._run("public-inbox-purge", str(self.inbox), stdin=message)

    def start(self, timeout: float = 20.0) -> None:
        with open(self._log, "wb") as log:
            self._proc = subprocess.Popen(
                ["public-inbox-httpd", "-W0", "-l", "http://127.0.0.1:0"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=self.env,
                cwd=self.root,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = _BOUND.search(self._log.read_bytes())
            if match:
                self.port = int(match.group(1))
                return
            if self._proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"public-inbox-httpd did not start: {self._log.read_text(errors='replace')}")

    @property
    def url(self) -> str:
        assert self.port is not None, "server not started"
        return f"http://127.0.0.1:{self.port}/{self.name}"

    def stop(self) -> None:
        """Stop the server by its PID: SIGTERM, then SIGKILL if it lingers."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class _Handler(SimpleHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        status = self.server.status_for(self.path)
        if status is not None:
            self.send_error(status)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, directory: Path) -> None:
        super().__init__(("127.0.0.1", 0), lambda *a: _Handler(*a, directory=str(directory)))
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.failures: dict[str, tuple[int, int | None]] = {}  # path prefix -> (status, times left)

    def status_for(self, path: str) -> int | None:
        with self.lock:
            for prefix, (status, left) in self.failures.items():
                if path.startswith(prefix) and (left is None or left > 0):
                    self.failures[prefix] = (status, None if left is None else left - 1)
                    return status
        return None


class StaticServer:
    """http.server over ``directory`` on 127.0.0.1; ``fail(prefix, status, times)`` breaks requests."""

    def __init__(self, directory: Path) -> None:
        self._server = _Server(directory)
        self.port = self._server.server_address[1]
        # A short poll interval: shutdown() waits for the loop to notice (default 0.5 s).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def requests(self) -> list[str]:
        return self._server.requests

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def fail(self, prefix: str, status: int = HTTPStatus.SERVICE_UNAVAILABLE, times: int | None = None) -> None:
        """Answer requests under ``prefix`` with ``status``: the next ``times`` ones, or all."""
        with self._server.lock:
            self._server.failures[prefix] = (int(status), times)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
