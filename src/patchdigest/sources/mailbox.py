"""An mbox file (mboxrd or mboxo, optionally gzip-compressed) or a Maildir.

The stdlib ``mailbox`` module is not used for mbox: it needs a seekable file (no
streaming from gzip), splits on every ``From `` line even where the previous line is
not blank, and leaves mboxrd ``>From `` escapes in place. This module streams the file
in 1 MiB blocks instead, so memory stays at about one message whatever the file size.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Literal

from ..errors import SourceError
from ..models import Provenance, RawMessage

MboxFormat = Literal["mboxrd", "mboxo"]

_BLOCK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_SEPARATOR = b"\nFrom "
# mboxrd quotes every line matching ^>*From  with one more ">": strip exactly one.
_MBOXRD_QUOTED = re.compile(rb"^>(>*From )", re.MULTILINE)


def _blank_line(buf: bytearray, start: int, end: int) -> bool:
    """Is ``buf[start:end]`` (a line without its "\n") empty or a lone CR (CRLF files)?"""
    return end == start or (end == start + 1 and buf[start] == 0x0D)


def split_mbox(blocks: Iterable[bytes]) -> Iterator[tuple[int | None, bytes]]:
    """Split an mbox stream into ``(offset of its "From " line, message bytes)``.

    A message starts at a line beginning with ``From `` that opens the stream or follows
    a blank line (``\\n`` or ``\\r\\n``); that line is not part of the message, nor is
    the blank line before the next one (or a final blank line at the end). Text before
    the first ``From `` line, if not blank, is yielded with offset None: a lone message
    saved without an envelope line is still read. No unquoting happens here.
    """
    # One virtual "\n" in front makes a "From " at the very start look like every other
    # separator: "\nFrom " whose previous line (the virtual, empty one) is blank.
    buf = bytearray(b"\n")
    base = -1  # stream offset of buf[0]
    msg_start = 1  # in buf: first byte of the current message
    from_offset: int | None = None  # of the current message; None for the preamble
    search = 0  # in buf: where to continue looking for a separator
    chunks = iter(blocks)
    eof = False
    while True:
        i = buf.find(_SEPARATOR, search)
        eol = buf.find(b"\n", i + 1) if i >= 0 else -1
        if i < 0 or (eol < 0 and not eof):
            # No separator yet, or one whose "From " line is not complete: read on.
            if eof:
                break
            block = next(chunks, b"")
            if not block:
                eof = True
                continue
            if i < 0:
                # A separator may straddle the block boundary: look again from there.
                search = max(search, len(buf) - len(_SEPARATOR) + 1)
            buf += block
            continue
        prev_nl = buf.rfind(b"\n", 0, i)
        if not _blank_line(buf, prev_nl + 1, i):
            search = i + 1  # a "From " line inside a paragraph: body text, not a separator
            continue
        message = bytes(buf[msg_start : prev_nl + 1])  # drops the blank line before "From "
        if from_offset is not None or message.strip():
            yield from_offset, message
        from_offset = base + i + 1
        body = eol + 1 if eol >= 0 else len(buf)  # a "From " line ending the file has no body
        del buf[: i + 1]  # bytearray drops a prefix in O(1)
        base += i + 1
        msg_start = body - (i + 1)
        search = msg_start - 1
    message = bytes(buf[msg_start:])
    # The last line, if blank, is the separator mbox writers put after every message.
    if message in (b"\n", b"\r\n"):
        message = b""
    elif message.endswith((b"\n\n", b"\n\r\n")):
        message = message[: message.rindex(b"\n", 0, len(message) - 1) + 1]
    if from_offset is not None or message.strip():
        yield from_offset, message


def _open_stream(path: Path) -> io.BufferedIOBase:
    raw = path.open("rb")
    try:
        magic = raw.read(2)
        raw.seek(0)
    except OSError:
        raw.close()
        raise
    # By magic bytes, not by name: "list.mbox" is often gzip, "list.gz" sometimes not.
    return gzip.GzipFile(fileobj=raw, mode="rb") if magic == _GZIP_MAGIC else raw


def _blocks(stream: io.BufferedIOBase) -> Iterator[bytes]:
    while block := stream.read(_BLOCK):
        yield block


def _strip_suffixes(name: str) -> str:
    for suffix in (".gz", ".mbox", ".mbx", ".mboxrd"):
        name = name.removesuffix(suffix)
    return name


class Mailbox:
    """An mbox file or a Maildir directory (``cur/`` and ``new/``).

    mbox: ``seq = message_index`` (one file, index 0), ``prov.offset`` = byte offset of
    the ``From `` line in the uncompressed stream (0 for a file with no envelope line).
    ``mbox_format="mboxrd"`` (the default, what public-inbox and mutt write) unquotes
    ``>From `` lines; ``"mboxo"`` leaves them alone, because mboxo quoting cannot be undone
    without corrupting lines that were written as ``>From `` to begin with.

    Maildir: every file of ``cur/`` and ``new/`` sorted by file name (delivery time leads
    Maildir names), one message per file, ``seq = file_index << 32``.
    """

    def __init__(self, path: str | Path, *, source: str | None = None, mbox_format: MboxFormat = "mboxrd") -> None:
        self.source = source if source is not None else str(path)
        self.path = Path(path)
        self.mbox_format: MboxFormat = mbox_format
        self.is_maildir = self.path.is_dir()
        if self.is_maildir and not ((self.path / "cur").is_dir() or (self.path / "new").is_dir()):
            raise SourceError("not a Maildir (no cur/ or new/)", where=self.source)
        if not self.is_maildir and not self.path.is_file():
            raise SourceError("not an mbox file", where=self.source)
        resolved = self.path.resolve()
        self.name = resolved.name if self.is_maildir else _strip_suffixes(resolved.name)

    def __repr__(self) -> str:
        return f"Mailbox({self.source!r}, {'maildir' if self.is_maildir else self.mbox_format})"

    def iter_messages(self) -> Generator[RawMessage, None, None]:
        return self._iter_maildir() if self.is_maildir else self._iter_mbox()

    def _iter_mbox(self) -> Generator[RawMessage, None, None]:
        path = str(self.path)
        unquote = self.mbox_format == "mboxrd"
        try:
            with _open_stream(self.path) as stream:
                for index, (offset, message) in enumerate(split_mbox(_blocks(stream))):
                    if unquote and b">From " in message:
                        message = _MBOXRD_QUOTED.sub(rb"\1", message)
                    prov = Provenance(source=self.source, seq=index, path=path, offset=offset or 0)
                    yield RawMessage(data=message, prov=prov)
        except (OSError, EOFError) as exc:  # unreadable, or a truncated/corrupt .gz
            raise SourceError(f"cannot read mbox: {exc}", where=path) from exc

    def _maildir_files(self) -> list[Path]:
        files: list[Path] = []
        for sub in ("cur", "new"):
            folder = self.path / sub
            if folder.is_dir():
                # Names starting with "." are not messages (Maildir spec; also editors' temp files).
                files.extend(p for p in folder.iterdir() if not p.name.startswith(".") and p.is_file())
        return sorted(files, key=lambda p: (p.name, p.parent.name))

    def _iter_maildir(self) -> Generator[RawMessage, None, None]:
        for index, file in enumerate(self._maildir_files()):
            try:
                data = file.read_bytes()
            except FileNotFoundError:
                continue  # moved from new/ to cur/ (or deleted) by a mail client meanwhile
            except OSError as exc:
                raise SourceError(f"cannot read message: {exc}", where=str(file)) from exc
            yield RawMessage(data=data, prov=Provenance(source=self.source, seq=index << 32, path=str(file)))
