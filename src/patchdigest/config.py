"""Typed configuration, read from an explicit path and passed explicitly (no globals).

The file is TOML, by default ``$XDG_CONFIG_HOME/patchdigest/config.toml``::

    [remotes.kvm]
    url = "https://lore.kernel.org/kvm"
    base_url = "https://lore.kernel.org/kvm"   # optional: links in reports

Only ``[remotes.*]`` is interpreted here. Every other top-level key or table (``[bots]``,
``[mailmap]``, ...) is kept as read in :attr:`Config.sections` for the code that owns it,
never rejected, and never rewritten: adding a remote appends a table to the file's text,
so a user's comments and layout survive.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import ConfigError

__all__ = [
    "Config",
    "Remote",
    "add_remote",
    "check_name",
    "check_url",
    "default_config_path",
    "default_data_dir",
    "load_config",
    "redact",
    "strip_credentials",
]

# A remote's name becomes a directory under the data dir: no separators, no leading dot
# or dash (hidden files, options), nothing a shell or a path join could misread.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_REMOTE_KEYS = frozenset({"url", "base_url"})
# Whitespace and control characters have no business in a URL we hand to git.
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")
SYNC_SCHEMES = ("http", "https", "file")
LINK_SCHEMES = ("http", "https")


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "patchdigest" / "config.toml"


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/patchdigest``: the index database and the mirrors live here."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "patchdigest"


def check_name(name: str) -> str:
    """A remote name, or ConfigError: 1-64 of ``A-Za-z0-9._-``, starting alphanumeric, no ``..``."""
    if not _NAME.fullmatch(name) or ".." in name:
        raise ConfigError(
            f"invalid remote name {name!r}: use 1-64 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit, without '..'"
        )
    return name


def check_url(url: str, schemes: tuple[str, ...] = SYNC_SCHEMES) -> str:
    """The URL normalized (scheme lower-cased, no trailing ``/``), or ConfigError.

    http(s) URLs need a host; file URLs an absolute local path. Credentials are allowed
    (a private server) but every message shows the URL through :func:`redact`.
    """
    shown = redact(url).encode("utf-8", "backslashreplace").decode("utf-8")
    if not _is_utf8(url):
        raise ConfigError(f"invalid URL {shown!r}: not valid UTF-8")
    if _BAD_URL_CHARS.search(url):
        raise ConfigError(f"invalid URL {shown!r}: spaces and control characters must be %-encoded")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on "host:notaport"
    except ValueError as exc:
        raise ConfigError(f"invalid URL {shown!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise ConfigError(f"unsupported URL {shown!r}: use {', '.join(s + '://' for s in schemes)}")
    if parts.query or parts.fragment:
        raise ConfigError(f"invalid URL {shown!r}: no '?query' or '#fragment' expected")
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ConfigError(f"invalid URL {shown!r}: use file:///absolute/path")
    elif not parts.hostname or (port is not None and not 0 < port < 65536):
        raise ConfigError(f"invalid URL {shown!r}: no host")
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def _is_utf8(text: str) -> bool:
    """False for the lone surrogates Python makes of undecodable command-line bytes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def redact(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``: safe to print."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    if "@" not in netloc:
        return url
    return f"{scheme}://***@{netloc.rpartition('@')[2]}{slash}{path}"


def strip_credentials(url: str) -> str:
    """``url`` without its ``user:password@`` part (for links that end up in reports)."""
    return redact(url).replace("://***@", "://", 1)


@dataclass(frozen=True, slots=True)
class Remote:
    """A public-inbox served at ``url`` (one inbox, e.g. ``https://lore.kernel.org/kvm``)."""

    name: str
    url: str
    base_url: str = ""

    @property
    def link_url(self) -> str:
        """Where reports link messages to: ``base_url``, else an http(s) ``url`` sans credentials."""
        if self.base_url:
            return self.base_url
        return strip_credentials(self.url) if urlsplit(self.url).scheme in LINK_SCHEMES else ""


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None = None
    remotes: Mapping[str, Remote] = field(default_factory=lambda: MappingProxyType({}))
    # Every top-level key other than "remotes", as tomllib read it, for its owners.
    sections: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def remote(self, name: str) -> Remote:
        try:
            return self.remotes[name]
        except KeyError:
            where = f" in {self.path}" if self.path else ""
            raise ConfigError(f"no remote named {name!r}{where} (add it with: patchdigest add NAME URL)") from None


def load_config(path: Path) -> Config:
    """Read ``path``; a missing file is an empty configuration."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read configuration: {exc}", where=str(path)) from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path | None = None) -> Config:
    where = str(path) if path else "<config>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", where=where) from exc
    tables = data.pop("remotes", {})
    if not isinstance(tables, dict):
        raise ConfigError("'remotes' must be a table of [remotes.NAME] tables", where=where)
    remotes = {name: _remote(name, table, where) for name, table in tables.items()}
    return Config(path, MappingProxyType(remotes), MappingProxyType(data))


def _remote(name: str, table: object, where: str) -> Remote:
    try:
        check_name(name)
        if not isinstance(table, dict):
            raise ConfigError('must be a table with url = "..."')
        # Unknown keys are refused here (unlike unknown sections): a typo such as
        # "base-url" would otherwise be silently ignored.
        unknown = sorted(set(table) - _REMOTE_KEYS)
        if unknown:
            raise ConfigError(f"unknown key(s) {', '.join(unknown)} (expected url, base_url)")
        url, base_url = table.get("url"), table.get("base_url", "")
        if not isinstance(url, str) or not isinstance(base_url, str):
            raise ConfigError("url and base_url must be strings")
        return Remote(name, check_url(url), check_url(base_url, LINK_SCHEMES) if base_url else "")
    except ConfigError as exc:
        raise ConfigError(f"[remotes.{name}]: {exc}", where=where) from None


# --- writing: one appended table; the rest of the file is left byte for byte ---------


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def remote_table(remote: Remote) -> str:
    # The name is quoted: "lkml.old" bare would make [remotes.lkml.old] a nested table.
    lines = [f"[remotes.{toml_string(remote.name)}]", f"url = {toml_string(remote.url)}"]
    if remote.base_url:
        lines.append(f"base_url = {toml_string(remote.base_url)}")
    return "\n".join(lines) + "\n"


def add_remote(path: Path, remote: Remote) -> Config:
    """Append ``[remotes.NAME]`` to the file (created if missing); return the new config.

    The result is re-parsed before it replaces the file, atomically, so a failure leaves
    the old file as it was.
    """
    check_name(remote.name)
    remote = Remote(remote.name, check_url(remote.url),
                    check_url(remote.base_url, LINK_SCHEMES) if remote.base_url else "")  # fmt: skip
    old = load_config(path)
    if remote.name in old.remotes:
        raise ConfigError(f"remote {remote.name!r} already exists (edit {path} to change it)")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if text and not text.endswith("\n"):
        text += "\n"
    text += ("\n" if text else "") + remote_table(remote)
    new = parse_config(text, path)
    if new.remotes.get(remote.name) != remote:
        raise ConfigError(f"cannot add [remotes.{remote.name}]: the file's layout is in the way", where=str(path))
    _write_atomic(path, text)
    return new


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write configuration: {exc}", where=str(path)) from exc
