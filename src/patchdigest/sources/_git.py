"""Running git: argument lists only, a fixed environment, errors as SourceError.

Every call names the repository with ``--git-dir`` so git never goes looking for one
in the current directory, and runs with a locale and environment that keep its output
machine-readable (``LC_ALL=C``) and its behaviour free of system config and prompts.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from ..errors import SourceError

try:
    import fcntl
except ImportError:  # Windows: no pipe resizing
    fcntl = None  # type: ignore[assignment]

# SHA-1 (40) or SHA-256 (64) object names; abbreviations are at least 4 digits because
# that is git's own minimum (`git rev-parse --disambiguate=abc` silently matches nothing).
FULL_HEX = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
ABBREV_HEX = re.compile(r"[0-9a-f]{4,64}")


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every git child gets."""
    env = dict(os.environ)
    # Variables inherited from a git hook or a test runner (GIT_DIR, GIT_OBJECT_DIRECTORY,
    # GIT_CONFIG_PARAMETERS, ...) would redirect or reconfigure the read behind --git-dir's
    # back; keep only GIT_EXEC_PATH, which some installs need to find git's helpers.
    for key in [k for k in env if k.startswith("GIT_") and k != "GIT_EXEC_PATH"]:
        del env[key]
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
            # Read the archive as stored: a refs/replace/* entry must not swap a message.
            "GIT_NO_REPLACE_OBJECTS": "1",
        }
    )
    if extra:
        env.update(extra)
    return env


def git_argv(git_dir: Path, args: Sequence[str]) -> list[str]:
    return ["git", f"--git-dir={git_dir}", *args]


def run_git(
    git_dir: Path,
    args: Sequence[str],
    *,
    where: str,
    ok_codes: Sequence[int] = (0,),
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run one short git command to completion; a status outside ``ok_codes`` is a SourceError."""
    try:
        proc = subprocess.run(
            git_argv(git_dir, args),
            input=stdin,
            capture_output=True,
            env=git_env(env),
            check=False,
        )
    except OSError as exc:  # git not installed, or the fork failed
        raise SourceError(f"cannot run git: {exc}", where=where) from exc
    if proc.returncode not in ok_codes:
        raise SourceError(f"git {args[0]} failed: {stderr_line(proc.stderr)}", where=where)
    return proc


def stderr_line(stderr: bytes) -> str:
    """The last non-empty line of git's stderr: where git puts the reason ("fatal: ...")."""
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "no error message"


_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031) if fcntl else None


def _widen_pipe(pipe: IO[bytes]) -> None:
    """Grow a pipe to 1 MiB (Linux): git then writes ~100 messages per wake-up, not ~6."""
    if _F_SETPIPE_SZ is None:
        return
    with contextlib.suppress(OSError):  # above fs.pipe-max-size, or not Linux: keep 64 KiB
        fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, 1 << 20)


class GitProcess:
    """A streaming git child: stdout (and optionally stdin) piped, stderr to a temp file.

    stderr goes to a file rather than a pipe so that a chatty git can never block on a
    full stderr pipe that nobody reads while we are busy with stdout.
    """

    def __init__(
        self, git_dir: Path, args: Sequence[str], *, stdin: bool = False, env: Mapping[str, str] | None = None
    ) -> None:
        self.where = str(git_dir)
        self._err = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                git_argv(git_dir, args),
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._err,
                env=git_env(env),
                # Messages average ~10 KB: a 1 MiB buffer turns the blob stream into a
                # few hundred large reads instead of tens of thousands of small ones.
                bufsize=1 << 20,
            )
        except OSError as exc:
            self._err.close()
            raise SourceError(f"cannot run git: {exc}", where=self.where) from exc
        assert self.proc.stdout is not None
        self.stdout: IO[bytes] = self.proc.stdout
        _widen_pipe(self.stdout)
        self.stdin: IO[bytes] | None = self.proc.stdin

    def error_text(self) -> str:
        """What git said on stderr, as one line (read after it exited)."""
        self._err.seek(0)
        return stderr_line(self._err.read())

    def finish(self) -> int:
        """Wait for a normal end of output and return git's exit status."""
        return self.proc.wait()

    def kill(self) -> None:
        """Ask git to stop now; its pipes then reach EOF / EPIPE for any thread using them."""
        if self.proc.poll() is None:
            self.proc.terminate()

    def stop(self) -> None:
        """Terminate if still running, close every pipe, reap: no zombie, no leaked fd.

        Call only once no other thread is blocked on the pipes (see ``kill``): closing a
        buffered pipe waits for the lock a blocked reader or writer holds.
        """
        self.kill()
        for pipe in (self.stdin, self.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:  # the final flush of stdin can hit a closed pipe: expected
                    pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._err.close()
