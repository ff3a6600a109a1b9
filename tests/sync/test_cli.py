"""The remote commands through click's runner: add, remotes, sync, report NAME."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from patchdigest.cli import cli
from patchdigest.pipeline import register
from patchdigest.sources.build import build_v2_inbox
from patchdigest.store import Store

from .conftest import MAIL_DIR, synthetic


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    mails = [p.read_bytes() for p in sorted(MAIL_DIR.glob("000[1-3]*.eml"))]
    return build_v2_inbox(tmp_path / "server" / "kvm", mails)


@pytest.mark.parametrize("command", ["add", "remotes", "sync", "report"])
def test_every_command_has_help(runner: CliRunner, command: str) -> None:
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_add_then_list(runner: CliRunner, xdg: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["add", "kvm", "https://bob:pw@lore.example/kvm/", "--base-url", "https://lore.example/kvm"]
    )
    assert result.exit_code == 0, result.output
    assert "pw" not in result.output
    config = tmp_path / "config" / "patchdigest" / "config.toml"
    assert tomllib.loads(config.read_text())["remotes"]["kvm"] == {
        "url": "https://bob:pw@lore.example/kvm",
        "base_url": "https://lore.example/kvm",
    }
    listed = runner.invoke(cli, ["remotes"])
    assert listed.stdout == "kvm\thttps://***@lore.example/kvm\tnot synced\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "../etc", "https://x.example/a"], "invalid remote name"),
        (["add", "kvm", "ssh://x.example/a"], "unsupported URL"),
        (["add", "kvm", "https://x.example/a", "--base-url", "javascript:alert(1)"], "unsupported URL"),
        (["sync", "nope"], "no remote named 'nope'"),
        (["sync"], "no remotes configured"),
        (["report", "nope"], "is not a file, a directory or a configured remote"),
        (["sync", "--epochs", "newest", "--since", "2024-01-01"], "choose one of --epochs, --since"),
    ],
)
def test_mistakes_are_one_line_errors(runner: CliRunner, xdg: Path, args: list[str], message: str) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_sync_then_report_by_name(runner: CliRunner, xdg: Path, inbox: Path, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["add", "kvm", f"file://{inbox}"]).exit_code == 0
    never = runner.invoke(cli, ["report", "kvm", "--offline"])
    assert never.exit_code == 2 and "kvm has not been synced yet (run: patchdigest sync kvm)" in never.output
    synced = runner.invoke(cli, ["sync"])
    assert synced.exit_code == 0, synced.output
    assert "kvm: epochs cloned 0; index: seen 3 = indexed 3" in synced.output
    report = runner.invoke(cli, ["report", "kvm", "--offline"])
    assert report.exit_code == 0 and "Rate-limit unhandled system register warnings" in report.stdout
    assert runner.invoke(cli, ["remotes"]).stdout.endswith("\t1 epoch(s) mirrored\n")
    # New mail on the server: `report NAME` syncs first, and only that message is indexed.
    build_v2_inbox(inbox, [synthetic(7, "Wed, 10 Mar 2021 10:00:00 +0000")])
    with_new = runner.invoke(cli, ["report", "kvm"])
    assert with_new.exit_code == 0 and "thing number 7" in with_new.stdout
    with Store(xdg / "index.sqlite") as store:
        indexed = register(store, xdg / "mirrors" / "kvm")
        assert store.counts(indexed.archive_id)["messages"] == 4


def test_a_path_wins_over_a_remote_name(
    runner: CliRunner, xdg: Path, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(inbox.parent)
    assert runner.invoke(cli, ["add", "kvm", "file:///nonexistent"]).exit_code == 0
    result = runner.invoke(cli, ["report", "kvm", "--db", str(xdg / "x.sqlite")])
    assert result.exit_code == 0, result.output  # ./kvm, not the broken remote
    assert not (xdg / "mirrors").exists()


def test_one_failing_remote_does_not_stop_the_others(runner: CliRunner, xdg: Path, inbox: Path) -> None:
    assert runner.invoke(cli, ["add", "broken", "file:///nonexistent/inbox"]).exit_code == 0
    assert runner.invoke(cli, ["add", "kvm", f"file://{inbox}"]).exit_code == 0
    result = runner.invoke(cli, ["sync", "--retry-delay", "0"])
    assert result.exit_code == 2
    assert "patchdigest: error: broken: file:///nonexistent/inbox: not a public-inbox v2 inbox" in result.output
    assert "kvm: epochs cloned 0" in result.output
    assert list((xdg / "mirrors" / "broken" / "git").iterdir()) == []


def test_report_window_limits_a_first_sync(runner: CliRunner, xdg: Path, tmp_path: Path) -> None:
    source = tmp_path / "lkml"
    build_v2_inbox(source, [synthetic(1, "Wed, 1 Jan 2020 10:00:00 +0000")], epoch=0)
    build_v2_inbox(source, [synthetic(2, "Wed, 1 Jan 2024 10:00:00 +0000")], epoch=1)
    assert runner.invoke(cli, ["add", "lkml", f"file://{source}"]).exit_code == 0
    result = runner.invoke(cli, ["report", "lkml", "--since", "2023-01-01"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (xdg / "mirrors" / "lkml" / "git").iterdir()) == ["1.git"]
