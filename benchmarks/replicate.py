"""Bigger archives from a real one: each copy of a message gets its own Message-IDs.

Used by ``ingest.py`` (the 10x archive) and by the interruption tests (a few thousand
messages from the fixture corpus). Every id in ``Message-ID:``, ``In-Reply-To:`` and
``References:`` is rewritten the same way within a copy, so each copy keeps its threads
and no two copies share an id: the index does N times the work, not N times the
duplicate handling.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO

# A header field carrying message ids, with its folded continuation lines.
_ID_FIELD = re.compile(rb"(?im)^(?:message-id|in-reply-to|references)[ \t]*:.*(?:\r?\n[ \t].*)*")
_ID = re.compile(rb"<([^<>@\s]*)@")


def rewrite_ids(raw: bytes, tag: bytes) -> bytes:
    """``<local@host>`` -> ``<local.TAG@host>`` in the id-bearing header fields only."""
    cut = raw.find(b"\n\n")
    head, body = (raw, b"") if cut == -1 else (raw[:cut], raw[cut:])

    def field(m: re.Match[bytes]) -> bytes:
        return _ID.sub(lambda i: b"<" + i.group(1) + b"." + tag + b"@", m.group(0))

    return _ID_FIELD.sub(field, head) + body


def _git(git_dir: Path, *args: str) -> list[str]:
    return ["git", f"--git-dir={git_dir}", *args]


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env


def _transform(export: IO[bytes], tag: bytes) -> Iterator[bytes]:
    """A ``git fast-export`` stream with every blob's Message-IDs rewritten."""
    in_blob = False  # between "blob" and its "data" (commit messages stay as they are)
    while line := export.readline():
        if line.startswith(b"data "):
            data = export.read(int(line[5:]))
            if in_blob:
                data = rewrite_ids(data, tag)
                in_blob = False
            yield b"data %d\n" % len(data) + data
        else:
            in_blob = in_blob or line == b"blob\n"
            yield line


def replicate_copy(source: Path, dest: Path, n: int) -> Path:
    """Write the bare repository ``dest``: the epoch ``source`` with ``.c<n>`` in every
    Message-ID (commits, authors and dates as they were)."""
    env = _clean_env()
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--bare", "--template=", "--initial-branch=master", str(dest)],
                   check=True, env=env)  # fmt: skip
    export = subprocess.Popen(_git(source, "fast-export", "--reencode=no", "master"), stdout=subprocess.PIPE, env=env)
    # raw-permissive: real archives hold author dates like "1556801401 +2000", which git
    # accepted when they were written and fast-import's strict mode refuses.
    load = subprocess.Popen(_git(dest, "fast-import", "--quiet", "--date-format=raw-permissive"),
                            stdin=subprocess.PIPE, env=env)  # fmt: skip
    assert export.stdout is not None and load.stdin is not None
    for chunk in _transform(export.stdout, b"c%d" % n):
        load.stdin.write(chunk)
    load.stdin.close()
    if export.wait() != 0 or load.wait() != 0:
        raise RuntimeError(f"replicating {source} into {dest} failed")
    return dest


def replicate_epoch(source: Path, inbox: Path, copies: int, *, parallel: int = 1) -> list[Path]:
    """A v2 inbox ``inbox/git/0.git`` .. ``{copies-1}.git``: one epoch per copy of ``source``."""
    from concurrent.futures import ThreadPoolExecutor

    dests = [inbox / "git" / f"{n}.git" for n in range(copies)]
    with ThreadPoolExecutor(max(parallel, 1)) as pool:
        return list(pool.map(lambda n: replicate_copy(source, dests[n], n), range(copies)))
