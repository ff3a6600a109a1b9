"""Reading stored messages again by their provenance (for ``report --all-headers``).

public-inbox: the ``m`` blob of each message, through one ``git cat-file --batch`` per
epoch whatever the number of blobs; mbox: the bytes at the stored offset; Maildir: the
stored file. A message that cannot be found any more (purged blob, rewritten mbox,
Maildir file moved) is simply absent from the result: callers fall back to what the
index holds.
"""

from __future__ import annotations

import glob
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ..errors import SourceError
from ..models import Provenance
from ._git import FULL_HEX, GitProcess
from .mailbox import Mailbox, _open_stream
from .publicinbox import PublicInbox

_HEAD_LIMIT = 1 << 20  # a header block larger than this is not a header block


def header_block_end(data: bytes) -> int:
    """Offset just past the blank line ending the header block, or -1 if there is none yet."""
    ends = [i + n for i, n in ((data.find(b"\n\n"), 2), (data.find(b"\r\n\r\n"), 4)) if i != -1]
    return min(ends) if ends else -1


def iter_blobs(git_dir: Path, blob_ids: Sequence[str], *, head_only: bool = False) -> Iterator[tuple[str, bytes]]:
    """``(blob id, bytes)`` for each id that exists, in request order, from one cat-file process.

    ``head_only`` keeps only each message's header block (bodies are read and dropped), so
    memory stays at one message whatever the number of blobs.
    """
    ids = [b for b in dict.fromkeys(blob_ids) if FULL_HEX.fullmatch(b)]
    if not ids:
        return
    git = GitProcess(git_dir, ["cat-file", "--batch"], stdin=True)
    stdin = git.stdin
    assert stdin is not None

    def feed() -> None:
        # A thread writes the requests while we read the answers: neither pipe can fill up.
        try:
            stdin.write("".join(f"{oid}\n" for oid in ids).encode("ascii"))
            stdin.close()
        except OSError:
            pass  # git died; the reader below reports it

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        for oid in ids:
            line = git.stdout.readline()
            parts = line.split()
            if len(parts) == 2 and parts[1] == b"missing":
                continue
            if len(parts) != 3:
                raise SourceError(f"git cat-file stopped at blob {oid}: {git.error_text()}", where=git.where)
            data = git.stdout.read(int(parts[2]) + 1)[:-1]  # the object, then a newline
            if head_only:
                end = header_block_end(data[:_HEAD_LIMIT])
                data = data[:end] if end != -1 else data[:_HEAD_LIMIT]
            yield oid, data
    finally:
        git.kill()
        feeder.join(timeout=5)
        git.stop()


def _mbox_head(stream_path: Path, offsets: Iterable[int]) -> dict[int, bytes]:
    """Header blocks of the messages whose ``From `` line is at each offset."""
    out: dict[int, bytes] = {}
    with _open_stream(stream_path) as stream:
        for offset in sorted(set(offsets)):
            stream.seek(offset)
            data = b""
            while header_block_end(data) == -1 and len(data) < _HEAD_LIMIT:
                chunk = stream.read(1 << 16)
                if not chunk:
                    break
                data += chunk
            if data.startswith(b"From "):
                data = data[data.find(b"\n") + 1 :]  # the envelope line is not a header
            end = header_block_end(data)
            out[offset] = data[:end] if end != -1 else data
    return out


def _maildir_file(root: Path, stored: str) -> Path | None:
    path = Path(stored)
    if path.is_file():
        return path
    # Moved from new/ to cur/, and its ":2,S" flags changed: find it by its unique part.
    unique = path.name.split(":", 1)[0]
    for sub in ("cur", "new"):
        folder = root / sub
        found = sorted(folder.glob(f"{glob.escape(unique)}*")) if folder.is_dir() else []
        if found:
            return found[0]
    return None


def read_heads(archive: PublicInbox | Mailbox, provs: Iterable[Provenance]) -> dict[int, bytes]:
    """The header block of each stored message that can still be read, by ``prov.seq``."""
    provs = list(provs)
    out: dict[int, bytes] = {}
    if isinstance(archive, PublicInbox):
        dirs = {e.number: e.git_dir for e in archive.epochs()}
        by_epoch: dict[int, list[Provenance]] = {}
        for p in provs:
            if p.blob and p.epoch in dirs:
                by_epoch.setdefault(p.epoch, []).append(p)
        for epoch, group in sorted(by_epoch.items()):
            blobs = dict(iter_blobs(dirs[epoch], [p.blob or "" for p in group], head_only=True))
            out.update({p.seq: blobs[p.blob] for p in group if p.blob in blobs})
    elif archive.is_maildir:
        for p in provs:
            found = _maildir_file(archive.path, p.path) if p.path else None
            if found is not None:
                data = found.read_bytes()[:_HEAD_LIMIT]
                end = header_block_end(data)
                out[p.seq] = data[:end] if end != -1 else data
    else:
        located = [p for p in provs if p.offset is not None]
        try:
            heads = _mbox_head(archive.path, (p.offset or 0 for p in located))
        except (OSError, EOFError) as exc:
            raise SourceError(f"cannot read mbox: {exc}", where=str(archive.path)) from exc
        out.update({p.seq: heads[p.offset or 0] for p in located if (p.offset or 0) in heads})
    return out
