"""The command line through click's runner: help everywhere, the demo, one-line errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.conftest import MAIL_DIR, ROOT

from patchdigest.cli import cli


def test_every_command_has_help() -> None:
    runner = CliRunner()
    assert cli.commands, "no commands registered"
    for name, command in sorted(cli.commands.items()):
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert result.stdout.startswith(f"Usage: cli {name}") or result.stdout.startswith("Usage:"), name
        assert command.help and command.help.strip(), f"{name} has no help text"


def test_demo_builds_the_sample_and_prints_a_digest(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--mails", str(MAIL_DIR), "--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("From the beginning to now\nKVM mailing list update from the beginning to now\n")
    assert "===== Patch Commit Messages ====" in out
    assert re.search(r"^New:  \S", out, re.M)
    # The corpus' garbage mail is named on stderr, not silently dropped.
    assert "cannot parse" in result.stderr
    assert (tmp_path / "sample" / "git" / "0.git").is_dir()
    # A second run reuses the archive and the index, and prints the same bytes.
    again = CliRunner().invoke(cli, ["demo", "--mails", str(MAIL_DIR), "--workdir", str(tmp_path)])
    assert again.stdout == out


def test_report_on_a_missing_commit_is_one_line(sample_inbox: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["report", str(sample_inbox), "--db", str(tmp_path / "i.sqlite"), "--range", "abcdef12..abcdef34"]
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("patchdigest: error: ")
    assert "abcdef12" in lines[-1]


def test_report_rejects_two_windows(sample_inbox: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "i.sqlite")
    args = ["report", str(sample_inbox), "--db", db, "--day", "2021-03-10", "--week", "2021-W10"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "choose one of" in result.output


@pytest.mark.parametrize("bad", ["2021-13-40", "yesterday"])
def test_bad_dates_are_clear_errors(sample_inbox: Path, tmp_path: Path, bad: str) -> None:
    result = CliRunner().invoke(cli, ["report", str(sample_inbox), "--db", str(tmp_path / "i.sqlite"), "--since", bad])
    assert result.exit_code == 2
    assert f"not a date: {bad!r}" in result.stderr


def test_text_report_strips_terminal_controls(sample_inbox: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(sample_inbox), "--db", str(tmp_path / "i.sqlite")])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", result.stdout)


# What a local `report` must not load: the remote commands and their sync client (urllib,
# ssl, http.client), `stats` and its statistics, the renderers of the other formats (and
# for JSON, Jinja2). They were ~27 ms of a one-day kvmarm report's 0.55 s, Jinja2 16 more;
# a module-level import anywhere on the report's path brings them back.
_NOT_FOR_A_LOCAL_REPORT = (
    "patchdigest.sync", "patchdigest.cli.remote", "patchdigest.cli.stats", "patchdigest.analyze.stats",
    "patchdigest.render.stats", "urllib.request", "http.client", "ssl", "statistics", "rich",
)  # fmt: skip


@pytest.mark.parametrize(
    ("fmt", "also_not"),
    [
        ("text", ("patchdigest.render.json", "patchdigest.render.markdown")),
        ("json", ("patchdigest.render.text", "patchdigest.render.markdown", "jinja2")),
    ],
)
def test_a_local_report_imports_only_what_it_needs(
    sample_inbox: Path, tmp_path: Path, fmt: str, also_not: tuple[str, ...]
) -> None:
    db, out = tmp_path / "i.sqlite", tmp_path / "report.out"
    args = ["patchdigest", "report", str(sample_inbox), "--db", str(db), "--format", fmt, "-o", str(out)]
    script = (
        "import sys\n"
        "from patchdigest.cli import main\n"
        f"sys.argv = {args!r}\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print(sorted(m for m in sys.modules if m.startswith({_NOT_FOR_A_LOCAL_REPORT + also_not!r})))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "[]", done.stdout
    assert out.read_text(encoding="utf-8").strip()  # the report itself was written
