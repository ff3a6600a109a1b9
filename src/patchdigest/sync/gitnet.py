"""git over the network, locked down: argument lists, no hooks, no prompts, few transports.

Every command gets ``-c`` options that disable hooks, allow only the transports of the
remote's own scheme (http and https, or file), and abort a transfer that stalls, plus
the fixed environment of :func:`~patchdigest.sources._git.git_env`
(``GIT_TERMINAL_PROMPT=0``, no system config). A URL always follows ``--`` so it can
never be read as an option. Failures are sorted into "not found" (``None``), transient
(:class:`~.retry.Transient`: worth a retry) and permanent (:class:`SyncError`).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ..config import redact
from ..errors import SyncError
from ..sources._git import git_env, run_git
from .manifest import fingerprint, fingerprint_of_refs
from .retry import Transient

# What git prints when the repository is not there: HTTP 404 ("repository '...' not
# found"), a local path that is no repository ("does not appear to be a git repository").
_NOT_FOUND = re.compile(r"not found|does not appear to be a git repository", re.I)
_HTTP_STATUS = re.compile(r"returned error: (\d{3})")
# Retrying these cannot help: refused credentials, TLS trust, a transport we forbid.
_PERMANENT = re.compile(
    r"authentication failed|could not read (username|password)|ssl certificate problem"
    r"|certificate verify|transport '\w+' not allowed|unsupported protocol",
    re.I,
)
_TRANSIENT_4XX = frozenset({408, 425, 429})


def transfer_options(url: str, *, low_speed_time: int = 60) -> list[str]:
    """The ``-c`` options for any git command that talks to ``url``."""
    allowed = ("file",) if urlsplit(url).scheme == "file" else ("http", "https")
    opts = ["-c", "core.hooksPath=/dev/null", "-c", "protocol.allow=never"]
    for proto in allowed:
        opts += ["-c", f"protocol.{proto}.allow=always"]
    # Below 1 KB/s for low_speed_time seconds: the connection is dead, give up (and retry).
    opts += ["-c", "http.lowSpeedLimit=1000", "-c", f"http.lowSpeedTime={low_speed_time}"]
    return opts


def git_location(url: str) -> str:
    """What git is given: the URL itself, or for file:// the local path it names."""
    parts = urlsplit(url)
    return url2pathname(parts.path) if parts.scheme == "file" else url


def _run(args: list[str], url: str, *, low_speed_time: int, git_dir: Path | None = None) -> bytes | None:
    """Run git; stdout on success, None if the remote repository does not exist."""
    argv = ["git", *transfer_options(url, low_speed_time=low_speed_time)]
    if git_dir is not None:
        argv.append(f"--git-dir={git_dir}")
    argv += args
    try:
        proc = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, env=git_env(), check=False)
    except OSError as exc:
        raise SyncError(f"cannot run git: {exc}", where=redact(url)) from exc
    if proc.returncode == 0:
        return proc.stdout
    stderr = proc.stderr.decode("utf-8", "replace")
    reason = _redacted(_reason(stderr), url)
    status = _HTTP_STATUS.search(stderr)
    code = int(status.group(1)) if status else 0
    if code in (404, 410) or (not code and _NOT_FOUND.search(stderr)):
        return None
    if _PERMANENT.search(stderr) or (400 <= code < 500 and code not in _TRANSIENT_4XX):
        raise SyncError(f"git {args[0]}: {reason}", where=redact(url))
    raise Transient(f"git {args[0]}: {reason}")


def _reason(stderr: str) -> str:
    """git's own one-line reason: its first "fatal:"/"error:" line, else the last line."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line.split(":", 1)[1].strip()
    return lines[-1] if lines else "failed without a message"


def _redacted(text: str, url: str) -> str:
    """``text`` with the URL's credentials replaced, in whatever form git echoed them."""
    parts = urlsplit(url)
    if parts.username is None:
        return text
    userinfo = parts.netloc.rpartition("@")[0]
    return text.replace(userinfo + "@", "***@").replace(url, redact(url))


def remote_fingerprint(url: str, *, low_speed_time: int = 60) -> str | None:
    """The fingerprint of the repository at ``url`` from its ref advertisement; None if absent."""
    out = _run(["ls-remote", "--refs", "--", git_location(url)], url, low_speed_time=low_speed_time)
    if out is None:
        return None
    refs = []
    for line in out.decode("utf-8", "replace").splitlines():
        oid, _, ref = line.partition("\t")
        if ref:
            refs.append((oid, ref))
    return fingerprint_of_refs(refs)


def fetch(git_dir: Path, url: str, *, low_speed_time: int = 60) -> bool:
    """Mirror every ref of ``url`` into ``git_dir`` (forced, pruned); False if ``url`` is absent.

    The URL is given on the command line, never stored in the repository: credentials
    in it stay in the user's config file only.
    """
    args = ["fetch", "--quiet", "--prune", "--", git_location(url), "+refs/*:refs/*"]
    return _run(args, url, low_speed_time=low_speed_time, git_dir=git_dir) is not None


def init_bare(git_dir: Path) -> None:
    # --template= : no sample hooks or other files from the system's template directory.
    run_git(git_dir, ["init", "--bare", "-q", "--template=", "--initial-branch=master"], where=str(git_dir))


def local_fingerprint(git_dir: Path) -> str:
    proc = run_git(git_dir, ["show-ref"], where=str(git_dir), ok_codes=(0, 1))  # 1: no refs yet
    return fingerprint(proc.stdout)


def first_commit_time(git_dir: Path) -> int | None:
    """Committer time of the epoch's root commit (when its first message arrived); None if empty."""
    proc = run_git(
        git_dir,
        ["log", "--max-parents=0", "--format=%ct", "refs/heads/master", "--"],
        where=str(git_dir),
        ok_codes=(0, 128),  # 128: no master yet
    )
    times = proc.stdout.split()
    return int(times[-1]) if proc.returncode == 0 and times else None


def modified_time(git_dir: Path) -> int | None:
    """The newest committer time of any ref: the manifest's ``modified`` for a local epoch."""
    proc = run_git(
        git_dir,
        ["for-each-ref", "--sort=-committerdate", "--count=1", "--format=%(committerdate:raw)"],
        where=str(git_dir),
    )
    fields = proc.stdout.split()
    return int(fields[0]) if fields else None
