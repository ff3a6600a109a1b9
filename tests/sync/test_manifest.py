"""Manifest decoding and parsing, and fingerprints matching public-inbox's."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pytest

from patchdigest.errors import SyncError
from patchdigest.sources.build import build_v2_inbox
from patchdigest.sync import gitnet, manifest
from patchdigest.sync.manifest import EpochUrl, RemoteEpoch

from .conftest import synthetic

FP = "4fe67ee743d77dffe5dcca3d6ae6d70c1880c188"
HTTP = EpochUrl("https://lore.example/kvm", local=False)


def entry(fp: str | None = FP, modified: object = 1615277531) -> dict[str, object]:
    return {"fingerprint": fp, "modified": modified, "reference": None, "description": "x", "owner": None}


def test_public_inbox_manifest() -> None:
    # The shape public-inbox-httpd 1.9 serves at /kvm/manifest.js.gz.
    body = gzip.compress(json.dumps({"/kvm/git/1.git": entry(), "/kvm/git/0.git": entry(FP.upper(), 1.5)}).encode())
    epochs = manifest.parse(manifest.decode(body), "/kvm", HTTP)
    assert epochs == [
        RemoteEpoch(0, "https://lore.example/kvm/0", FP, 1),
        RemoteEpoch(1, "https://lore.example/kvm/1", FP, 1615277531),
    ]


def test_epochs_sort_numerically_and_odd_fields_are_dropped() -> None:
    data = {f"/kvm/git/{n}.git": entry() for n in (10, 9, 2)}
    data["/kvm/git/2.git"] = entry(fp="not-hex", modified=True)
    data["/kvm/git/9.git"] = entry(fp=None, modified="yesterday")
    data["/kvm"] = entry()  # a v1 inbox listed alongside
    data["/kvm/git/x.git"] = entry()
    data["/kvm/git/11.git"] = "garbage"  # type: ignore[assignment]
    epochs = manifest.parse(data, "/kvm", HTTP)
    assert [(e.number, e.fingerprint, e.modified) for e in epochs] == [
        (2, None, None),
        (9, None, None),
        (10, FP, 1615277531),
    ]


def test_server_wide_manifest_is_narrowed_to_the_inbox() -> None:
    data = {"/kvm/git/0.git": entry(), "/lkml/git/0.git": entry(), "/lkml/git/1.git": entry()}
    assert [e.number for e in manifest.parse(data, "/lkml/", HTTP)] == [0, 1]
    with pytest.raises(SyncError, match="several inboxes"):
        manifest.parse(data, "/netdev", HTTP)
    # Behind a proxy that strips a prefix, the single inbox listed is ours.
    assert [e.number for e in manifest.parse({"/kvm/git/0.git": entry()}, "/lists/kvm", HTTP)] == [0]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (gzip.compress(b"[1, 2]"), "not a JSON object"),
        (gzip.compress(b"{nope"), "not valid JSON"),
        (b"\x1f\x8b\x08\x00garbage", "not valid gzip"),
        (gzip.compress(json.dumps({"/k/git/99999.git": entry()}).encode()), "implausible epoch"),
    ],
)
def test_bad_manifests(body: bytes, why: str) -> None:
    with pytest.raises(SyncError, match=why):
        manifest.parse(manifest.decode(body), "/k", HTTP)


def test_not_a_manifest_at_all() -> None:
    assert manifest.decode(b"<html>Welcome</html>") is None  # a web page: fall back to probing
    assert manifest.decode(b'{"/k/git/0.git": {}}') == {"/k/git/0.git": {}}  # served uncompressed


def test_decompression_is_capped() -> None:
    bomb = gzip.compress(b"{" + b" " * 4096 + b"}")
    with pytest.raises(SyncError, match="expands to more than"):
        manifest.decode(bomb, max_bytes=1024)


def test_fingerprint_is_sha1_of_show_ref(tmp_path: Path) -> None:
    inbox = build_v2_inbox(tmp_path / "x", [synthetic(1, "Mon, 1 Jan 2024 10:00:00 +0000")])
    git_dir = inbox / "git" / "0.git"
    show_ref = subprocess.run(["git", f"--git-dir={git_dir}", "show-ref"], capture_output=True, check=True).stdout
    expected = manifest.fingerprint(show_ref)
    assert gitnet.local_fingerprint(git_dir) == expected
    assert gitnet.remote_fingerprint(f"file://{git_dir}") == expected  # from ls-remote
    assert gitnet.remote_fingerprint(f"file://{tmp_path}/nothing") is None


def test_epoch_urls() -> None:
    assert HTTP(3) == "https://lore.example/kvm/3"
    assert EpochUrl("file:///srv/kvm/", local=True)(0) == "file:///srv/kvm/git/0.git"
