"""Reply counting: the walk down In-Reply-To links from a series' mails."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from patchdigest.analyze import assemble, count_replies

from .factory import mail, series_of

# child Message-ID -> (parent Message-ID, kind)
Edges = dict[str, tuple[str, str]]


def fake_index(edges: Edges) -> tuple[list[list[str]], object]:
    calls: list[list[str]] = []

    def children(ids: Sequence[str]) -> Iterable[tuple[str, str, str]]:
        calls.append(list(ids))
        wanted = set(ids)
        return [(mid, parent, kind) for mid, (parent, kind) in sorted(edges.items()) if parent in wanted]

    return calls, children


def test_replies_anywhere_down_the_thread_are_counted_once() -> None:
    series = assemble(series_of(2, "KVM: arm64: Things"))
    edges: Edges = {
        "<s-1@example.org>": ("<s-0@example.org>", "patch"),  # the series' own patch: not a reply
        "<r1@x>": ("<s-0@example.org>", "reply"),  # review of the cover
        "<r2@x>": ("<r1@x>", "reply"),  # answer to the review
        "<r3@x>": ("<r2@x>", "reply"),
        "<r4@x>": ("<s-2@example.org>", "reply"),  # review of patch 2
        "<other@x>": ("<elsewhere@x>", "reply"),  # another thread
    }
    calls, children = fake_index(edges)
    counts = count_replies(series, children)  # type: ignore[arg-type]
    assert counts == {"<s-0@example.org>": 3, "<s-2@example.org>": 1}
    assert len(calls) == 4  # one query per thread level, then an empty frontier ends it


def test_a_patch_sent_in_reply_stops_the_walk() -> None:
    # "[PATCH v2 3/5]" in reply to v1's 3/5 is another series: its reviews are its own.
    series = assemble(series_of(1, "KVM: x86: One", cover=False))
    edges: Edges = {
        "<v2@x>": ("<s-1@example.org>", "patch"),
        "<review-of-v2@x>": ("<v2@x>", "reply"),
        "<r@x>": ("<s-1@example.org>", "reply"),
    }
    _, children = fake_index(edges)
    assert count_replies(series, children) == {"<s-1@example.org>": 1}  # type: ignore[arg-type]


def test_reply_loops_terminate() -> None:
    series = assemble([mail(1, "[PATCH] KVM: x86: One", msgid="<p@x>")])
    edges: Edges = {"<a@x>": ("<p@x>", "reply"), "<b@x>": ("<a@x>", "reply")}
    edges_with_loop = {**edges, "<p@x>": ("<b@x>", "reply")}  # a forged In-Reply-To back up
    _, children = fake_index(edges_with_loop)
    assert count_replies(series, children) == {"<p@x>": 2}  # type: ignore[arg-type]


def test_digest_with_replies_sums_per_series() -> None:
    from patchdigest.analyze import Window, build_digest

    mails = series_of(2, "KVM: arm64: Things")
    digest = build_digest(mails, title="KVM", window=Window("a", "b", "all"))
    assert digest.series[0].replies == 0
    counted = digest.with_replies({"<s-0@example.org>": 2, "<s-2@example.org>": 1})
    assert counted.series[0].replies == 3
    assert counted.replies_to(mails[2]) == 1 and counted.replies_to(mails[1]) == 0
