"""Golden files: the digest of the fixture corpus (tests/data/mail) in every format.

The expected outputs live in tests/golden/sample.{txt,md,json}. After an intended change
of layout, regenerate them and review the diff before committing:

    PATCHDIGEST_UPDATE_GOLDEN=1 python -m pytest tests/render/test_golden.py

(the test then rewrites the files and is skipped).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from patchdigest.cli import cli

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
BASE_URL = "https://lore.example.org/kvm"
FORMATS = {"txt": "text", "md": "markdown", "json": "json"}


def report(inbox: Path, db: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["report", str(inbox), "--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_sample_digest_matches_golden(sample_inbox: Path, tmp_path: Path, suffix: str) -> None:
    text = report(sample_inbox, tmp_path / "index.sqlite", "--format", FORMATS[suffix], "--base-url", BASE_URL)
    golden = GOLDEN / f"sample.{suffix}"
    if os.environ.get("PATCHDIGEST_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
        pytest.skip(f"rewrote {golden.name}")
    assert golden.exists(), f"{golden} is missing: run with PATCHDIGEST_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")


def test_golden_files_hold_no_transport_headers() -> None:
    for suffix in FORMATS:
        text = (GOLDEN / f"sample.{suffix}").read_text(encoding="utf-8")
        for line in text.splitlines():
            assert not line.startswith(("Received:", "DKIM-", "X-Spam")), (suffix, line)
