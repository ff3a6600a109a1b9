"""What ``public-inbox-purge`` does to a v2 epoch, with plain git, for the real archive.

public-inbox-purge itself cannot rewrite the kvmarm epoch: its ``git fast-import`` runs
with ``--date-format=raw``, which refuses author dates such as ``1556801401 +2000`` that
the archive holds ("fatal: Invalid raw date"). This is the same rewrite as its
``Import.pm`` ``replace_oids`` (fast-export --no-data | fast-import, the purged blob
replaced inline by empty data, every later commit rewritten), with the permissive date
format.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def purge_blob(git_dir: Path, blob: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    git = ["git", f"--git-dir={git_dir}"]
    export = subprocess.Popen([*git, "fast-export", "--no-data", "--use-done-feature", "master"],
                              stdout=subprocess.PIPE, env=env)  # fmt: skip
    load = subprocess.Popen([*git, "fast-import", "--quiet", "--force", "--done", "--date-format=raw-permissive"],
                            stdin=subprocess.PIPE, env=env)  # fmt: skip
    assert export.stdout is not None and load.stdin is not None
    target = f"M 100644 {blob} m\n".encode()
    while line := export.stdout.readline():
        if line.startswith(b"data "):
            line += export.stdout.read(int(line[5:]))  # a commit message: copied as is
        elif line == target:
            line = b"M 100644 inline m\ndata 0\n\n"
        load.stdin.write(line)
    load.stdin.close()
    if export.wait() != 0 or load.wait() != 0:
        raise RuntimeError(f"rewriting {git_dir} failed")
