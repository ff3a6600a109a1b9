"""config.py: names, URLs, the TOML round trip, unknown sections left alone."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patchdigest.config import (
    Remote,
    add_remote,
    check_name,
    check_url,
    load_config,
    redact,
    strip_credentials,
    toml_string,
)
from patchdigest.errors import ConfigError


@pytest.mark.parametrize("name", ["kvm", "linux-arm-kernel", "lkml.old", "a", "A_1", "x" * 64, "0day"])
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", ".", "..", "a..b", ".hidden", "-rf", "_x", "a/b", "../etc", "a b", "x" * 65, "kvm\n", "é", "a\\b", "/abs"],
)
def test_bad_names(name: str) -> None:
    with pytest.raises(ConfigError, match="invalid remote name"):
        check_name(name)


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://lore.kernel.org/kvm", "https://lore.kernel.org/kvm"),
        ("https://lore.kernel.org/kvm/", "https://lore.kernel.org/kvm"),
        ("HTTP://127.0.0.1:8080/test//", "http://127.0.0.1:8080/test"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("file:///srv/inbox/kvm", "file:///srv/inbox/kvm"),
        ("file://localhost/srv/kvm", "file://localhost/srv/kvm"),
        ("https://user:pw@example.org/list", "https://user:pw@example.org/list"),
    ],
)
def test_good_urls(url: str, normal: str) -> None:
    assert check_url(url) == normal


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ssh://git@example.org/kvm", "unsupported"),
        ("ext::sh -c touch% /tmp/pwned", "spaces"),
        ("ext::sh", "unsupported"),
        ("git://example.org/kvm", "unsupported"),
        ("/srv/inbox", "unsupported"),
        ("-u/srv/inbox", "unsupported"),
        ("https://", "no host"),
        ("https:///kvm", "no host"),
        ("https://example.org:99999/kvm", "invalid URL"),
        ("https://example.org/kvm?x=1", "query"),
        ("https://example.org/kvm#frag", "query"),
        ("https://example.org/k vm", "spaces"),
        ("https://example.org/kvm\n", "control"),
        ("file://otherhost/srv", "file:///absolute"),
        ("file:relative/path", "file:///absolute"),
        ("https://example.org/\udcff", "UTF-8"),  # undecodable bytes on the command line
    ],
)
def test_bad_urls(url: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        check_url(url)


def test_credentials_are_never_shown() -> None:
    url = "https://alice:s3cret@example.org/list"
    assert redact(url) == "https://***@example.org/list"
    assert strip_credentials(url) == "https://example.org/list"
    assert redact("https://example.org/a@b") == "https://example.org/a@b"  # "@" in the path is fine
    with pytest.raises(ConfigError) as info:
        check_url("ftp://alice:s3cret@example.org/list")
    assert "s3cret" not in str(info.value)
    assert Remote("x", url).link_url == "https://example.org/list"
    assert Remote("x", "file:///srv/x").link_url == ""
    assert Remote("x", url, "https://lore.example/x").link_url == "https://lore.example/x"


def test_missing_file_is_empty(tmp_path: Path) -> None:
    config = load_config(tmp_path / "nope.toml")
    assert dict(config.remotes) == {} and dict(config.sections) == {}


def test_round_trip_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "patchdigest" / "config.toml"
    path.parent.mkdir()
    original = (
        "# my settings\n"
        'title = "weekly"\n'
        "[bots]\n"
        'emails = ["ci@example.org"]  # keep me\n'
        "[mailmap]\n"
        '"old@example.org" = "new@example.org"'  # no final newline
    )
    path.write_text(original, encoding="utf-8")
    add_remote(path, Remote("kvm", "https://lore.kernel.org/kvm/"))
    config = add_remote(path, Remote("lkml.old", "file:///srv/lkml", base_url="https://lore.kernel.org/lkml"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith(original + "\n")  # byte for byte, comments included
    assert load_config(path) == config
    assert config.remotes["kvm"] == Remote("kvm", "https://lore.kernel.org/kvm")
    assert config.remotes["lkml.old"].base_url == "https://lore.kernel.org/lkml"
    assert config.sections["bots"] == {"emails": ["ci@example.org"]}
    assert config.sections["mailmap"] == {"old@example.org": "new@example.org"}
    assert config.sections["title"] == "weekly"
    # A dotted name is one table, not nested ones.
    assert set(tomllib.loads(text)["remotes"]) == {"kvm", "lkml.old"}


def test_add_refuses_duplicates_and_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    add_remote(path, Remote("kvm", "https://lore.kernel.org/kvm"))
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="already exists"):
        add_remote(path, Remote("kvm", "https://lore.kernel.org/kvm2"))
    with pytest.raises(ConfigError, match="invalid remote name"):
        add_remote(path, Remote("../x", "https://lore.kernel.org/kvm2"))
    with pytest.raises(ConfigError, match="unsupported"):
        add_remote(path, Remote("x", "https://lore.kernel.org/x", base_url="file:///x"))
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name != "config.toml"]  # no temp file left


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[remotes\n", "not valid TOML"),
        ("remotes = 3\n", "must be a table"),
        ("[remotes.kvm]\nurl = 3\n", "must be strings"),
        ("[remotes.kvm]\nurl = 'ssh://x/y'\n", "unsupported"),
        ("[remotes.kvm]\nurl = 'https://x/y'\nbase-url = 'https://x'\n", "unknown key"),
        ("[remotes.'../etc']\nurl = 'https://x/y'\n", "invalid remote name"),
        ("[remotes]\nkvm = 'https://x/y'\n", "must be a table"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=why) as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_unknown_remote_says_how_to_add_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="patchdigest add NAME URL"):
        load_config(tmp_path / "c.toml").remote("kvm")


@given(st.text())
def test_toml_strings_round_trip(text: str) -> None:
    assert tomllib.loads(f"v = {toml_string(text)}")["v"] == text
