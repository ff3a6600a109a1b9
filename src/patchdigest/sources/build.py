"""Write public-inbox v2 epochs without public-inbox: for the demo and for tests.

Each message becomes one commit whose tree holds just ``m`` (the raw message), with
the sender as author and the Date header as author date, as public-inbox does. Output
is deterministic: the same messages give the same commit ids on any machine, because
every identity and date comes from the messages and no git config is read.
"""

from __future__ import annotations

import email.header
import email.utils
import re
from collections.abc import Iterable
from datetime import UTC
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import IO

from ..errors import SourceError
from ._git import ABBREV_HEX, GitProcess, run_git

# No ~/.gitconfig either: a user's init.templateDir, fastimport or commit settings must
# not change what gets written.
_BUILD_ENV = {"GIT_CONFIG_GLOBAL": "/dev/null"}
_FALLBACK_DATE = "0 +0000"  # Unix epoch: deterministic when a message has no usable Date
_HEADER_FOLD = re.compile(r"\r?\n(?=[ \t])")
# Characters git refuses (or would misparse) in an ident: "Name <addr> time tz".
_IDENT_BAD = re.compile(r"[<>\r\n\x00]")


def _decode(value: str) -> str:
    """RFC 2047-decode a header value, unfolded; raw text if the encoding is bogus."""
    value = _HEADER_FOLD.sub("", value)
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (LookupError, UnicodeError, ValueError):  # "=?x-unknown?Q?...?=" and friends
        return value


def _clean(text: str) -> str:
    return " ".join(_IDENT_BAD.sub(" ", text).split())


def _headers(data: bytes) -> Message:
    return BytesHeaderParser(policy=compat32).parsebytes(data)


def _author(headers: Message) -> tuple[str, str]:
    raw = headers.get("From")
    if raw is None:
        return "unknown", "unknown"
    name, address = email.utils.parseaddr(_HEADER_FOLD.sub("", str(raw)))
    name, address = _clean(_decode(name)), _clean(address)
    return name or address or "unknown", address or "unknown"


def _git_date(headers: Message) -> str:
    """ "<seconds> <+hhmm>" from the Date header, as git stores it."""
    raw = headers.get("Date")
    if raw is None:
        return _FALLBACK_DATE
    try:
        when = email.utils.parsedate_to_datetime(str(raw))
    except (TypeError, ValueError, IndexError):
        return _FALLBACK_DATE
    if when.tzinfo is None:  # "-0000": time known, zone unknown (RFC 5322 3.3)
        when = when.replace(tzinfo=UTC)
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    return f"{int(when.timestamp())} {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _subject(headers: Message) -> str:
    raw = headers.get("Subject")
    return _clean_subject(_decode(str(raw))) if raw is not None else ""


def _clean_subject(text: str) -> str:
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def _data(out: IO[bytes], payload: bytes) -> None:
    out.write(b"data %d\n" % len(payload))
    out.write(payload)
    out.write(b"\n")


def _tip(git_dir: Path) -> str | None:
    proc = run_git(
        git_dir,
        ["rev-parse", "--verify", "-q", "refs/heads/master^{commit}"],
        where=str(git_dir),
        ok_codes=(0, 1),
    )
    return proc.stdout.decode("ascii").strip() if proc.returncode == 0 else None


class _Importer:
    """One ``git fast-import`` process for a whole batch of commits."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self.proc = GitProcess(git_dir, ["fast-import", "--quiet", "--done"], stdin=True, env=_BUILD_ENV)
        assert self.proc.stdin is not None
        self.out: IO[bytes] = self.proc.stdin

    def commit(self, *, author: str, committer: str, message: str, parent: str | None, files: list[str]) -> None:
        out = self.out
        out.write(b"commit refs/heads/master\n")
        out.write(f"author {author}\ncommitter {committer}\n".encode())
        _data(out, message.encode())
        if parent is not None:
            out.write(f"from {parent}\n".encode())
        out.write(b"deleteall\n")  # an epoch's tree holds exactly one file: `m` or `d`
        for line in files:
            out.write(line.encode() + b"\n")

    def __enter__(self) -> _Importer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is not None and not issubclass(exc_type, OSError):
            self.proc.stop()  # our own error (a bad message iterable, ^C): just clean up
            return
        # Normal end, or a broken pipe because fast-import quit early: either way its
        # exit status and stderr say what happened.
        try:
            self.out.write(b"done\n")
            self.out.close()
        except OSError:
            pass
        status = self.proc.finish()
        error = self.proc.error_text()
        self.proc.stop()
        if status != 0 or exc is not None:
            raise SourceError(f"git fast-import failed: {error}", where=str(self.git_dir)) from exc


def _init_epoch(git_dir: Path) -> None:
    if (git_dir / "HEAD").is_file():
        return
    git_dir.parent.mkdir(parents=True, exist_ok=True)
    # --template= : no hooks or sample files copied from the system's template dir.
    run_git(
        git_dir,
        ["init", "--bare", "-q", "--template=", "--initial-branch=master"],
        where=str(git_dir),
        env=_BUILD_ENV,
    )


def _new_commits(git_dir: Path, old_tip: str | None) -> list[str]:
    tip = _tip(git_dir)
    if tip is None or tip == old_tip:
        return []
    rev_range = [tip, "--not", old_tip] if old_tip else [tip]
    out = run_git(git_dir, ["rev-list", "--reverse", "--topo-order", *rev_range, "--"], where=str(git_dir)).stdout
    return out.decode("ascii").split()


def build_v2_inbox(
    dest: Path,
    messages: Iterable[bytes],
    *,
    name: str = "sample",
    address: str = "sample@example.org",
    epoch: int = 0,
) -> Path:
    """Create (or extend) ``dest/git/<epoch>.git`` with one commit per message; return ``dest``.

    The committer is ``name <address>``, like the inbox identity public-inbox uses.
    """
    git_dir = Path(dest) / "git" / f"{epoch}.git"
    _init_epoch(git_dir)
    _append(git_dir, messages, committer=f"{_clean(name) or 'unknown'} <{_clean(address)}>")
    return Path(dest)


def append_messages(git_dir: Path, messages: Iterable[bytes]) -> list[str]:
    """Add one commit per message on top of ``git_dir``'s master; return the new commit ids.

    The committer identity is taken from the current tip (``sample <sample@example.org>``
    for an empty epoch).
    """
    git_dir = Path(git_dir)
    _init_epoch(git_dir)
    tip = _tip(git_dir)
    committer = _tip_committer(git_dir, tip)[0] if tip else "sample <sample@example.org>"
    return _append(git_dir, messages, committer=committer)


def _append(git_dir: Path, messages: Iterable[bytes], *, committer: str) -> list[str]:
    old_tip = _tip(git_dir)
    parent: str | None = old_tip
    with _Importer(git_dir) as importer:
        for number, data in enumerate(messages, start=1):
            headers = _headers(data)
            name, address = _author(headers)
            date = _git_date(headers)
            importer.out.write(b"blob\nmark :%d\n" % number)
            _data(importer.out, data)
            importer.commit(
                author=f"{name} <{address}> {date}",
                committer=f"{committer} {date}",
                message=_subject(headers) + "\n",
                parent=parent,
                files=[f"M 100644 :{number} m"],
            )
            parent = None  # fast-import chains later commits of the stream on its own
    return _new_commits(git_dir, old_tip)


def _tip_committer(git_dir: Path, tip: str) -> tuple[str, str]:
    """``("Name <addr>", "<seconds> <tz>")`` of the tip's committer, exactly as stored."""
    raw = run_git(git_dir, ["cat-file", "commit", tip], where=f"{git_dir} commit {tip}").stdout
    for line in raw.split(b"\n"):
        if line.startswith(b"committer "):
            ident = line[len(b"committer ") :].decode("utf-8", "replace")
            who, _, when = ident.rpartition("> ")
            return who + ">", when
        if not line:
            break
    raise SourceError(f"commit {tip} has no committer", where=str(git_dir))


def delete_message(git_dir: Path, blob_or_commit: str) -> str:
    """Commit the deletion of a message the way public-inbox does; return the new commit id.

    ``blob_or_commit`` is the message's blob id or the id of the commit that added it.
    The commit removes ``m`` and adds ``d`` holding that same blob; its author and
    committer are the tip's committer at the tip's date, so the result is deterministic.
    """
    git_dir = Path(git_dir)
    where = str(git_dir)
    oid = blob_or_commit.strip().lower()
    tip = _tip(git_dir)
    if tip is None:
        raise SourceError("cannot delete from an empty epoch", where=where)
    if not ABBREV_HEX.fullmatch(oid):
        raise SourceError(f"not an object id: {blob_or_commit!r}", where=where)
    oid = run_git(git_dir, ["rev-parse", "--verify", oid], where=f"{where} object {oid}").stdout.decode().strip()
    kind = run_git(git_dir, ["cat-file", "-t", oid], where=f"{where} object {oid}").stdout.strip()
    if kind == b"commit":
        blob = run_git(git_dir, ["rev-parse", "--verify", f"{oid}:m"], where=f"{where} commit {oid}").stdout
        oid = blob.decode("ascii").strip()
    elif kind != b"blob":
        raise SourceError(f"{oid} is a {kind.decode()}, not a message blob or commit", where=where)
    who, when = _tip_committer(git_dir, tip)
    with _Importer(git_dir) as importer:
        # public-inbox's own removal commits say just "rm".
        importer.commit(
            author=f"{who} {when}",
            committer=f"{who} {when}",
            message="rm\n",
            parent=tip,
            files=[f"M 100644 {oid} d"],
        )
    new_tip = _tip(git_dir)
    assert new_tip is not None
    return new_tip
