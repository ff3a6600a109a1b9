"""The epochs a public-inbox serves, from its grokmirror manifest (``INBOX/manifest.js.gz``).

The manifest is gzipped JSON keyed by repository path, one entry per non-empty epoch::

    {"/kvm/git/0.git": {"fingerprint": "4fe67e...", "modified": 1615277531,
                        "reference": null, "description": "...", "owner": null}, ...}

``fingerprint`` is the SHA-1 of the repository's ``git show-ref`` output, so comparing it
with the same digest of a local mirror says whether a fetch has anything to bring;
``modified`` is the newest committer date (Unix seconds), i.e. the latest delivery.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..errors import SyncError

MAX_EPOCH = 1 << 16  # lore's largest inbox (lkml) is at epoch 19; anything huge is garbage
_EPOCH_KEY = re.compile(r"(.*)/git/(\d{1,5})\.git/?")
_HEX40 = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True, slots=True)
class RemoteEpoch:
    """One epoch on the server: its number, the URL git fetches, and what the manifest says."""

    number: int
    url: str
    fingerprint: str | None = None
    modified: int | None = None


def fingerprint(show_ref_output: bytes) -> str:
    """The manifest fingerprint of a repository whose ``git show-ref`` printed this."""
    return hashlib.sha1(show_ref_output).hexdigest()


def fingerprint_of_refs(refs: Iterable[tuple[str, str]]) -> str:
    """The fingerprint of (object id, ref name) pairs, as ``show-ref`` would print them."""
    lines = sorted(f"{oid} {ref}\n" for oid, ref in refs)
    return fingerprint("".join(lines).encode())


def decode(body: bytes, *, max_bytes: int = 32 << 20) -> object | None:
    """The JSON value in a manifest download; None if it is neither gzip nor JSON.

    None lets the caller fall back to probing: a web server that answers any path with
    an HTML page is not a public-inbox, but its git repositories may still be there.
    """
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzip:
                raw = unzip.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise SyncError(f"manifest.js.gz is not valid gzip: {exc}") from exc
        if len(raw) > max_bytes:
            raise SyncError(f"manifest.js.gz expands to more than {max_bytes >> 20} MiB")
        try:
            value: object = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise SyncError(f"manifest.js.gz is not valid JSON: {exc}") from exc
        return value
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value


def parse(manifest: object, inbox_path: str, epoch_url: Callable[[int], str]) -> list[RemoteEpoch]:
    """The epochs listed in a decoded manifest, numerically ordered.

    Keys are matched on ``.../git/N.git``. A manifest listing several inboxes (the
    server-wide one) is narrowed to the keys under ``inbox_path``; the epoch URLs come
    from ``epoch_url(N)``, not from the keys, so a reverse proxy rewriting paths is fine.
    """
    if not isinstance(manifest, dict):
        raise SyncError("manifest.js.gz is not a JSON object")
    found: dict[str, dict[int, RemoteEpoch]] = {}
    for key, entry in manifest.items():
        match = _EPOCH_KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None or not isinstance(entry, dict):
            continue  # a v1 inbox or a coderepo listed alongside: not ours
        number = int(match.group(2))
        if number >= MAX_EPOCH:
            raise SyncError(f"manifest.js.gz lists an implausible epoch {key!r}")
        fp, modified = entry.get("fingerprint"), entry.get("modified")
        epoch = RemoteEpoch(
            number,
            epoch_url(number),
            fp.lower() if isinstance(fp, str) and _HEX40.fullmatch(fp.lower()) else None,
            int(modified) if isinstance(modified, int | float) and not isinstance(modified, bool) else None,
        )
        found.setdefault(match.group(1).rstrip("/"), {})[number] = epoch
    if not found:
        return []
    prefix = inbox_path.rstrip("/")
    if prefix in found:
        chosen = found[prefix]
    elif len(found) == 1:
        chosen = next(iter(found.values()))
    else:
        names = ", ".join(sorted(found))
        raise SyncError(f"manifest.js.gz lists several inboxes ({names}) and none at {prefix or '/'}")
    return [chosen[n] for n in sorted(chosen)]


class EpochUrl:
    """``EpochUrl(base)(N)``: the URL of epoch N of the inbox at ``base``.

    public-inbox serves epoch N at both ``INBOX/N`` and ``INBOX/git/N.git``; lore's
    documentation uses the former, so http(s) remotes use it. A file URL names an inbox
    directory, whose epochs are ``git/N.git``.
    """

    def __init__(self, base: str, *, local: bool) -> None:
        self.base = base.rstrip("/")
        self.local = local

    def __call__(self, number: int) -> str:
        return f"{self.base}/git/{number}.git" if self.local else f"{self.base}/{number}"
