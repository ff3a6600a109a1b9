"""Revision links across threads and the change notes of a cover letter."""

from __future__ import annotations

from dataclasses import replace

from patchdigest.analyze.revisions import change_notes, link_revisions, normalised_title
from patchdigest.analyze.series import Series, assemble
from patchdigest.models import Kind
from patchdigest.store import Store

from .conftest import V1, V2
from .mails import series


def test_normalised_title() -> None:
    assert (
        normalised_title("KVM: arm64: Fix exclusive limit for IPA size") == "kvm arm64 fix exclusive limit for ipa size"
    )
    assert normalised_title("  [RFC] KVM:  arm64 -- Foo_bar (v2)!") == "kvm arm64 foo bar v2"


def test_corpus_v2_is_the_revision_of_v1(corpus_series: list[Series]) -> None:
    links = link_revisions(corpus_series)
    assert links[V2].previous == V1 and links[V2].previous_version == "v1" and links[V2].method == "title"
    assert links[V1].next == V2 and links[V1].next_version == "v2" and links[V1].superseded
    assert not links[V2].superseded
    assert links[V2].changes.splitlines() == [
        "Changes since v1 [1]:",
        " - New patch 3, counting the accesses in debugfs (Tomás)",
        " - Patch 2: explain why the rate limit matters",
    ]
    assert links[V1].changes == ""


def _key(s: list) -> str:  # type: ignore[type-arg]
    return str(s[0].message.original_msgid)


def test_link_by_change_id_beats_titles() -> None:
    tail = "\n---\nbase-commit: 0123456789abcdef\nchange-id: 20210310-sizes-0a1b2c\n"
    v1 = series("v1", ["A: one", "A: two"], cover_title="Sizes, take one", cover_body="First.\n" + tail, seq=0)
    other = series("x", ["B: three"], cover_title="Sizes, take two", version="v2", seq=10, minutes=5,
                   cover_body="Unrelated work.\n---\nchange-id: 20210101-other-ffffff\n")  # fmt: skip
    v2 = series("v2", ["C: renamed", "D: renamed"], version="v2", cover_title="Sizes, take two",
                cover_body="v1 -> v2:\n - renamed everything\n\n" + tail, seq=20, minutes=10)  # fmt: skip
    links = link_revisions(assemble(v1 + other + v2))
    assert links[_key(v2)].previous == _key(v1) and links[_key(v2)].method == "change-id"
    assert links[_key(v2)].change_id == "20210310-sizes-0a1b2c"
    assert links[_key(v2)].changes == "v1 -> v2:\n - renamed everything"
    assert links[_key(other)].previous is None  # same title, another change-id: another work


def test_link_by_patch_titles_when_the_cover_is_retitled() -> None:
    v1 = series("p1", ["KVM: one", "KVM: two", "KVM: three"], cover_title="Old name", seq=0)
    v2 = series("p2", ["KVM: one", "KVM: two", "KVM: three", "KVM: four"], version="v2",
                cover_title="New name", seq=10, minutes=30)  # fmt: skip
    stranger = series("p3", ["KVM: one", "KVM: two", "KVM: three"], version="v3", cover_title="Old name",
                      seq=20, minutes=60, sender="Someone Else <else@other.example>")  # fmt: skip
    links = link_revisions(assemble(v1 + v2 + stranger))
    assert links[_key(v2)].previous == _key(v1) and links[_key(v2)].method == "patches"
    assert links[_key(v1)].next == _key(v2)
    assert links[_key(stranger)].previous is None  # another author


def test_later_post_of_a_lower_version_is_no_revision() -> None:
    v3 = series("q3", ["KVM: fix"], version="v3", seq=0)
    v2 = series("q2", ["KVM: fix"], version="v2", seq=10, minutes=60)
    links = link_revisions(assemble(v3 + v2))
    assert links[_key(v2)].previous is None and links[_key(v3)].previous is None


def test_change_notes_forms() -> None:
    body = (
        "Intro.\n\n* From v2 [2]:\n  - Fix silly printk blunder\n  - Added Cc-stable and Fixes tags\n\n"
        "* From v1 [1]:\n  - Don't cap the default IPA size\n\n[1] https://lore.example/r/1\n\n"
        "Ada Moreau (2):\n  KVM: one\n"
    )
    s = assemble(series("n", ["KVM: one", "KVM: two"], version="v3", cover_title="Fixes", cover_body=body))[0]
    assert change_notes(s) == (
        "* From v2 [2]:\n  - Fix silly printk blunder\n  - Added Cc-stable and Fixes tags\n\n"
        "* From v1 [1]:\n  - Don't cap the default IPA size"
    )
    body = "v4 -> v5:\n\nAddressed comments by Jane:\n\n- Rebased\n- Dropped a patch\n\nThanks,\nAda\n"
    s = assemble(series("m", ["KVM: one", "KVM: two"], version="v5", cover_title="Fixes", cover_body=body))[0]
    assert change_notes(s) == "v4 -> v5:\n\nAddressed comments by Jane:\n\n- Rebased\n- Dropped a patch"


def test_revision_candidates_keep_what_linking_reads() -> None:
    """Store.revision_candidates loads a commit message and notes only where one holds b4's
    "change-id:", and no trailers: the links, change-ids and change notes come out as from
    the whole messages."""
    tail = "\n---\nbase-commit: 0123456789abcdef\nchange-id: 20210310-sizes-0a1b2c\n"
    v1 = series("w1", ["A: one", "A: two"], cover_title="Sizes, take one", cover_body="First.\n" + tail, seq=0)
    v2 = series("w2", ["C: renamed", "D: renamed"], version="v2", cover_title="Sizes, take two",
                cover_body="v1 -> v2:\n - renamed everything\n\n" + tail, seq=20, minutes=10)  # fmt: skip
    v3 = series("w3", ["C: renamed", "D: renamed", "E: new"], version="v3", cover_title="Sizes, take three",
                cover_body="Changes since v2:\n - one more\n", seq=40, minutes=20)  # fmt: skip
    store = Store(":memory:")
    aid = store.archive_id("test", "test", "mbox")
    store.write_batch(aid, [(m.prov, m.message) for m in v1 + v2 + v3], [], [], None)
    whole = store.messages(aid)
    light = store.revision_candidates(aid, ["ada@silicon.example"])
    assert [m.prov.seq for m in light] == [m.prov.seq for m in whole]
    with_id = {m.prov.seq for m in whole if "change-id:" in m.message.commit_message + m.message.notes}
    assert with_id == {0, 20}  # the two covers
    for w, c in zip(whole, light, strict=True):
        texts = (w.message.commit_message, w.message.notes) if w.prov.seq in with_id else ("", "")
        assert (c.message.commit_message, c.message.notes) == texts
        assert c.message.trailers == ()
        assert w.message.trailers or w.message.kind is Kind.COVER  # each patch is signed off
    assert link_revisions(assemble(light)) == {
        k: v if k in (_key(v1), _key(v2)) else replace(v, changes="")
        for k, v in link_revisions(assemble(whole)).items()
    }
    # v3 (no change-id) is linked to v2 by its patches' titles, as from whole messages.
    assert link_revisions(assemble(light))[_key(v3)].previous == _key(v2)
