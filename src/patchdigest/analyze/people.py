"""Who is who: git-style ``.mailmap``, gitdm-style domain -> organisation map, and bots.

Everything here parses text handed in (the shipped defaults live in ``patchdigest/data``;
reading files is the caller's business), so the rules are testable without a disk.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..models import Message, Person

__all__ = ["BotRules", "Mailmap", "OrgMap", "merge_bots", "parse_bots", "parse_mailmap", "parse_orgmap"]

# One mailmap line: a name, then one or two <email>s, the second optionally preceded by a
# name ("Proper Name <proper@email> Commit Name <commit@email>").
_MAILMAP = re.compile(r"^\s*([^<#]*?)\s*<([^>]*)>\s*(?:([^<#]*?)\s*<([^>]*)>)?\s*(?:#.*)?$")


@dataclass(frozen=True, slots=True)
class Mailmap:
    """git's mailmap: maps (email) or (name, email) as found to a proper name and email.

    The four line forms (gitmailmap(5))::

        Proper Name <commit@email>                        name for this email
        <proper@email> <commit@email>                     email for this email
        Proper Name <proper@email> <commit@email>         both, for this email
        Proper Name <proper@email> Commit Name <commit@email>   both, for this name+email

    Emails and names match case-insensitively, as in git.
    """

    by_email: dict[str, tuple[str, str]] = field(default_factory=dict)  # email -> (name, email)
    by_name_email: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def resolve(self, person: Person) -> Person:
        email = person.email.lower()
        hit = self.by_name_email.get((person.name.casefold(), email)) or self.by_email.get(email)
        if hit is None:
            return person
        name, proper = hit
        return Person(name or person.name, (proper or email).lower())

    def __bool__(self) -> bool:
        return bool(self.by_email or self.by_name_email)


def parse_mailmap(text: str) -> Mailmap:
    """Parse mailmap text; later lines win over earlier ones, malformed lines are skipped."""
    mm = Mailmap()
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _MAILMAP.match(line)
        if not m:
            continue
        name1, email1, name2, email2 = m.group(1), m.group(2).strip().lower(), m.group(3), m.group(4)
        if email2 is None:
            # "Proper Name <commit@email>": the one email is the one to match.
            if name1:
                mm.by_email[email1] = (name1, "")
            continue
        email2 = email2.strip().lower()
        if name2:
            mm.by_name_email[(name2.casefold(), email2)] = (name1, email1)
        else:
            mm.by_email[email2] = (name1, email1)
    return mm


@dataclass(frozen=True, slots=True)
class OrgMap:
    """gitdm-style ``domain  Organisation Name``; a subdomain belongs to its parent's
    organisation (``linux.ibm.com`` -> ``ibm.com``) unless mapped itself."""

    domains: dict[str, str] = field(default_factory=dict)

    def org_of(self, domain: str) -> str | None:
        """The organisation of a domain (longest suffix match), None when unknown."""
        labels = domain.lower().strip(".").split(".")
        for i in range(len(labels) - 1):
            org = self.domains.get(".".join(labels[i:]))
            if org is not None:
                return org
        return None

    def label(self, domain: str) -> str:
        """The organisation, or the domain itself when unknown ("(none)" for no domain)."""
        return self.org_of(domain) or domain or "(none)"


def parse_orgmap(text: str) -> OrgMap:
    """``example.com  Example Corp`` lines (white space separated); ``#`` starts a comment."""
    domains: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        parts = line.split(None, 1)
        if len(parts) == 2:
            domains[parts[0].lower().strip(".")] = parts[1].strip()
    return OrgMap(domains)


@dataclass(frozen=True, slots=True)
class BotRules:
    """What makes a mail a bot's: its sender/author address (fnmatch patterns), its subject
    (regular expressions), or a subject tag ("[PATCH AUTOSEL 5.10 12/30]": AUTOSEL is a tool
    that a person runs, so it is recognised by its tag, not by who sends it)."""

    emails: tuple[str, ...] = ()
    subjects: tuple[re.Pattern[str], ...] = ()
    tags: frozenset[str] = frozenset()

    def is_bot_address(self, email: str) -> bool:
        return _matches(self.emails, email.lower())

    def is_bot(self, message: Message) -> bool:
        """A bot's mail. Subject and tag rules apply to a thread's own mails, not to replies:
        "Re: [PATCH AUTOSEL 5.0 29/98] ..." is a person answering the bot."""
        s = message.subject
        if not s.is_reply:
            if self.tags and any(t.upper() in self.tags for t in s.tags):
                return True
            if any(p.search(s.full) for p in self.subjects):
                return True
        return self.is_bot_address(message.sender.email) or self.is_bot_address(message.author.email)

    def __bool__(self) -> bool:
        return bool(self.emails or self.subjects or self.tags)


@functools.lru_cache(maxsize=65536)
def _matches(patterns: tuple[str, ...], email: str) -> bool:
    # Cached: a window's few hundred addresses are asked about tens of thousands of times.
    return any(fnmatch.fnmatchcase(email, pattern) for pattern in patterns)


def parse_bots(lines: Iterable[str], *, where: str = "bots") -> BotRules:
    """``email: PATTERN``, ``subject: REGEX`` or ``tag: WORD`` lines; ``#`` comments.

    A bare pattern (no ``kind:``) is an email pattern, so a config list of addresses works.
    """
    from ..errors import ConfigError

    emails: list[str] = []
    subjects: list[re.Pattern[str]] = []
    tags: set[str] = set()
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind, sep, value = line.partition(":")
        kind = kind.strip().lower()
        if not sep or kind not in ("email", "subject", "tag"):
            kind, value = "email", line
        value = value.strip()
        if kind == "email":
            emails.append(value.lower())
        elif kind == "tag":
            tags.add(value.upper())
        else:
            try:
                subjects.append(re.compile(value))
            except re.error as exc:
                raise ConfigError(f"bad subject pattern {value!r}: {exc}", where=where) from exc
    return BotRules(tuple(emails), tuple(subjects), frozenset(tags))


def merge_bots(*rules: BotRules) -> BotRules:
    return BotRules(
        tuple(e for r in rules for e in r.emails),
        tuple(p for r in rules for p in r.subjects),
        frozenset(t for r in rules for t in r.tags),
    )
