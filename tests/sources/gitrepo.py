"""Tiny git repositories for the source tests, written with plumbing (no public-inbox).

Independent of ``patchdigest.sources.build`` on purpose: the reader is tested against
repositories its own writer did not make.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

GIT_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
    # commit-tree needs an identity and no config supplies one.
    "GIT_AUTHOR_NAME": "Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.org",
    "GIT_COMMITTER_NAME": "Inbox",
    "GIT_COMMITTER_EMAIL": "inbox@example.org",
    "GIT_AUTHOR_DATE": "1700000000 +0000",
    "GIT_COMMITTER_DATE": "1700000000 +0000",
}


def git(git_dir: Path, *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], input=stdin, capture_output=True, check=True, env=GIT_ENV
    )
    return proc.stdout.decode().strip()


def message(n: int, *, body: str = "", subject: str | None = None) -> bytes:
    """A small synthetic message numbered ``n``."""
    subject = subject if subject is not None else f"[PATCH {n}/9] thing number {n}"
    text = (
        f"From: Tester {n} <tester{n}@example.org>\n"
        f"Subject: {subject}\n"
        f"Date: Mon, {n % 28 + 1} Jan 2024 10:00:00 +0100\n"
        f"Message-ID: <msg{n}@example.org>\n"
        "\n"
        f"Body of message {n}.\n{body}"
    )
    return text.encode()


def sharded_path(msgid: str) -> str:
    """Where public-inbox v1 stores a message: sha1 of its Message-ID, split 2/38."""
    hexed = hashlib.sha1(msgid.encode()).hexdigest()
    return f"{hexed[:2]}/{hexed[2:]}"


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repo:
    """A bare repository plus a commit helper (one ``git fast-import`` per commit)."""

    def __init__(self, git_dir: Path, *, branch: str = "master") -> None:
        self.git_dir = git_dir
        self.clock = 1_700_000_000
        git_dir.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "git",
                f"--git-dir={git_dir}",
                "init",
                "-q",
                "--bare",
                "--template=",
                f"--initial-branch={branch}",
            ],
            check=True,
            env=GIT_ENV,
        )

    def git(self, *args: str, stdin: bytes | None = None) -> str:
        return git(self.git_dir, *args, stdin=stdin)

    def tip(self, ref: str = "refs/heads/master") -> str | None:
        proc = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", "rev-parse", "--verify", "-q", ref],
            capture_output=True,
            env=GIT_ENV,
        )
        return proc.stdout.decode().strip() or None

    def commit(
        self,
        files: dict[str, bytes | None],
        *,
        ref: str = "refs/heads/master",
        parent: str | None = "tip",
        replace_tree: bool = True,
        subject: str = "msg",
        tz: str = "+0200",
    ) -> str:
        """Commit ``files`` (None = delete the path); ``replace_tree`` starts from an empty tree."""
        self.clock += 60
        parent = self.tip(ref) if parent == "tip" else parent
        out = [
            f"commit {ref}".encode(),
            f"author Tester <tester@example.org> {self.clock} {tz}".encode(),
            f"committer Inbox <inbox@example.org> {self.clock} {tz}".encode(),
            b"data %d" % len(subject.encode()),
            subject.encode(),
        ]
        if parent:
            out.append(f"from {parent}".encode())
        if replace_tree:
            out.append(b"deleteall")
        for path, data in files.items():
            if data is None:
                out.append(f"D {path}".encode())
            else:
                out += [f"M 100644 inline {path}".encode(), b"data %d" % len(data), data]
        stream = b"\n".join(out) + b"\n"
        self.git("fast-import", "--quiet", "--force", stdin=stream)
        tip = self.tip(ref)
        assert tip is not None
        return tip

    def add_m(self, data: bytes) -> str:
        return self.commit({"m": data})

    def delete_d(self, data: bytes) -> str:
        """public-inbox v2 deletion: `m` removed, `d` added with the same blob."""
        return self.commit({"d": data})
