"""Run under a Python that has b4 (not patchdigest): b4's view of the trailers of threads.

stdin: JSON {"git_dir": ..., "series": [{"key", "version", "blobs": [...]}, ...]}
stdout: JSON {key: {"n": ["reviewed-by|email", ...], ...} or null when b4 finds no series}

b4's view: `LoreMailbox.get_series(revision)`, each patch's follow-up trailers plus the
cover letter's (b4 am applies those to every patch).
"""

from __future__ import annotations

import email
import json
import logging
import subprocess
import sys

import b4  # type: ignore[import-not-found]

KEYS = {"reviewed-by", "acked-by", "tested-by", "reported-by", "suggested-by", "nacked-by"}


def main() -> None:
    b4.logger.setLevel(logging.CRITICAL)
    job = json.load(sys.stdin)
    cat = subprocess.Popen(["git", "--git-dir", job["git_dir"], "cat-file", "--batch"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE)  # fmt: skip
    assert cat.stdin is not None and cat.stdout is not None

    def blob(name: str) -> bytes:
        cat.stdin.write(name.encode() + b"\n")
        cat.stdin.flush()
        size = int(cat.stdout.readline().split()[2])
        data = cat.stdout.read(size)
        cat.stdout.read(1)
        return data

    out: dict[str, object] = {}
    for s in job["series"]:
        mbx = b4.LoreMailbox()
        for name in s["blobs"]:
            try:
                mbx.add_message(email.message_from_bytes(blob(name), policy=b4.emlpolicy))
            except ValueError:
                continue  # b4 refuses a message without a Message-ID
        lser = mbx.get_series(revision=s["version"], codereview_trailers=False)
        if lser is None:
            out[s["key"]] = None
            continue
        cover = list(lser.patches[0].followup_trailers) if lser.patches[0] else []
        theirs = {}
        for n, lmsg in enumerate(lser.patches[1:], 1):
            if lmsg is not None:
                found = {f"{t.name.lower()}|{t.addr[1].lower()}" for t in [*lmsg.followup_trailers, *cover]
                         if t.name.lower() in KEYS and t.addr}  # fmt: skip
                theirs[str(n)] = sorted(found)
        out[s["key"]] = theirs
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
