"""Shared fixtures: the real kvmarm epoch (skipped where absent), fixture mails, CLI runner."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI machines are small and shared: no per-example deadline, no "too slow" health check
# (timing belongs in benchmarks/, never in tests).
settings.register_profile("patchdigest", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("patchdigest")

ROOT = Path(__file__).resolve().parents[1]
MAIL_DIR = ROOT / "tests" / "data" / "mail"
GOLDEN_DIR = ROOT / "tests" / "golden"
BUNDLE = ROOT.parent / "shared" / "data" / "kvmarm-0.bundle"


@pytest.fixture(scope="session")
def kvmarm_inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A v2 inbox ``kvmarm/git/0.git`` cloned from ../shared/data/kvmarm-0.bundle (read-only use)."""
    if not BUNDLE.exists():
        pytest.skip(f"real archive not found at {BUNDLE} (it lives in the team's shared/ folder)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    inbox = tmp_path_factory.mktemp("real") / "kvmarm"
    subprocess.run(
        ["git", "clone", "-q", "--mirror", str(BUNDLE), str(inbox / "git" / "0.git")],
        check=True,
    )
    return inbox


@pytest.fixture(scope="session")
def kvmarm_db(kvmarm_inbox: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real epoch indexed once per session into a SQLite file."""
    from patchdigest.pipeline import index_archive, register
    from patchdigest.store import Store

    db = tmp_path_factory.mktemp("realdb") / "index.sqlite"
    with Store(db) as store:
        index_archive(store, register(store, kvmarm_inbox))
    return db


@pytest.fixture
def fixture_mails() -> list[Path]:
    return sorted(MAIL_DIR.glob("*.eml"))


@pytest.fixture
def sample_inbox(tmp_path: Path, fixture_mails: list[Path]) -> Iterator[Path]:
    """A public-inbox v2 archive built from the fixture corpus (no public-inbox needed)."""
    from patchdigest.sources.build import build_v2_inbox

    inbox = tmp_path / "sample"
    build_v2_inbox(inbox, (p.read_bytes() for p in fixture_mails), name="sample")
    yield inbox
