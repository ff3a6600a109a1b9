"""Mailmap (git's four line forms), gitdm-style organisation map, bot rules, config."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchdigest.analyze.people import parse_bots, parse_mailmap, parse_orgmap
from patchdigest.errors import ConfigError
from patchdigest.models import Person
from patchdigest.review import load_people, people_from_config

from .mails import raw, stored

MAILMAP = """\
# comment
Proper Name <commit@example.org>
<proper@example.org> <old@example.org>
Both Changed <both@example.org> <former@example.org>   # trailing comment
Only Him <him@example.org> Misspelt Name <shared@example.org>
not a mailmap line
"""


def test_mailmap_four_forms() -> None:
    mm = parse_mailmap(MAILMAP)
    # 1: name only, email kept
    assert mm.resolve(Person("commit", "commit@example.org")) == Person("Proper Name", "commit@example.org")
    # 2: email only, name kept
    assert mm.resolve(Person("Old Me", "OLD@example.org")) == Person("Old Me", "proper@example.org")
    # 3: both, matched by email
    assert mm.resolve(Person("whoever", "former@example.org")) == Person("Both Changed", "both@example.org")
    # 4: both, only when name and email match (names case-insensitively)
    assert mm.resolve(Person("misspelt name", "shared@example.org")) == Person("Only Him", "him@example.org")
    assert mm.resolve(Person("Someone Else", "shared@example.org")) == Person("Someone Else", "shared@example.org")
    assert mm.resolve(Person("X", "unknown@example.org")) == Person("X", "unknown@example.org")


def test_orgmap_longest_suffix() -> None:
    om = parse_orgmap("example.com  Example Corp\nlab.example.com\tExample Labs  # the lab\n# x.org Nobody\n")
    assert om.org_of("example.com") == "Example Corp"
    assert om.org_of("mail.example.com") == "Example Corp"
    assert om.org_of("eu.lab.example.com") == "Example Labs"
    assert om.org_of("notexample.com") is None
    assert om.org_of("x.org") is None
    assert om.label("other.net") == "other.net"
    assert om.label("") == "(none)"


def test_bot_rules() -> None:
    rules = parse_bots(["# c", "email: lkp@intel.com", "syzbot+*@syzkaller.example", "tag: autosel",
                        r'subject: ^Patch ".*" has been added to the .*stable.* tree'])  # fmt: skip
    lkp = stored(raw("Re: [PATCH] x", "hi\n", msgid="<a@x>", sender="kernel test robot <lkp@intel.com>",
                     irt="<p@x>"), 1)  # fmt: skip
    syz = stored(raw("KASAN: bug", "hi\n", msgid="<b@x>", sender="syzbot <syzbot+0a1b@syzkaller.example>"), 2)
    autosel = stored(raw("[PATCH AUTOSEL 5.10 12/30] KVM: x", "x\n", msgid="<c@x>", sender="S L <s@k.example>"), 3)
    answer = stored(raw("Re: [PATCH AUTOSEL 5.10 12/30] KVM: x", "Please drop.\n", msgid="<d@x>",
                        sender="M Z <m@k.example>", irt="<c@x>"), 4)  # fmt: skip
    stable = stored(raw('Patch "KVM: x" has been added to the 5.4-stable tree', "x\n", msgid="<e@x>",
                        sender="g@l.example"), 5)  # fmt: skip
    human = stored(raw("[PATCH] KVM: y", "x\n", msgid="<f@x>", sender="Ada <ada@x.example>"), 6)
    assert [rules.is_bot(m.message) for m in (lkp, syz, autosel, answer, stable, human)] == [
        True, True, True, False, True, False,
    ]  # fmt: skip


def test_bad_subject_rule_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="bad subject pattern"):
        parse_bots(["subject: ([unclosed"])


def test_shipped_defaults_load() -> None:
    people = load_people()
    assert people.bots.is_bot_address("lkp@intel.com")
    assert people.bots.is_bot_address("patchwork-bot+netdevbpf@kernel.org")
    assert people.bots.is_bot_address("syzbot+0123456789abcdef0123@syzkaller.appspotmail.com")
    assert not people.bots.is_bot_address("maz@kernel.org")
    assert people.orgmap.org_of("linux.ibm.com") == "IBM"
    assert people.mailmap.resolve(Person("Marc Zyngier", "marc.zyngier@arm.com")).email == "maz@kernel.org"
    assert not load_people(use_mailmap=False).mailmap
    assert not load_people(default_bots=False).bots.is_bot_address("lkp@intel.com")


def test_config_people_table(tmp_path: Path) -> None:
    (tmp_path / "mm").write_text("Ada Moreau <ada@new.example> <ada@silicon.example>\n")
    (tmp_path / "orgs").write_text("silicon.example Silicon Inc\n")
    settings = people_from_config(
        {"people": {"mailmap": "mm", "orgmap": "orgs", "bots": ["email: ci@example.org"], "default_bots": False}},
        base=tmp_path,
    )
    people = load_people(**settings)
    assert people.mailmap.resolve(Person("Ada", "ada@silicon.example")).email == "ada@new.example"
    assert people.orgmap.org_of("silicon.example") == "Silicon Inc"
    assert people.bots.is_bot_address("ci@example.org")
    assert not people.bots.is_bot_address("lkp@intel.com")
    assert load_people(**people_from_config({"people": {"mailmap": ""}})).mailmap.by_email == {}
    with pytest.raises(ConfigError, match="unknown key"):
        people_from_config({"people": {"mailmapp": "x"}})
    with pytest.raises(ConfigError, match="list of strings"):
        people_from_config({"people": {"bots": "lkp@intel.com"}})
