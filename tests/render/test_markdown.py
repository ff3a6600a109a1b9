"""The Markdown renderer: escaping, fences, header folding, layout; checked with a CommonMark parser."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from analyze.factory import mail, series_of  # tests/ is on sys.path (rootdir of the test packages)
from patchdigest.analyze import Window, build_digest
from patchdigest.models import Kind
from patchdigest.render import render_markdown
from patchdigest.render._blocks import header_lines, number_ranges, split_addresses
from patchdigest.render._env import one_line, strip_controls
from patchdigest.render.markdown import code_block, fence_for, md_inline
from patchdigest.store import StoredMessage

MD = MarkdownIt("commonmark")


def tokens(text: str) -> list[Token]:
    return MD.parse(text)


def inline_children(toks: list[Token]) -> list[Token]:
    return [child for t in toks if t.children for child in t.children]


def literal(toks: list[Token]) -> str:
    return "".join(c.content for c in inline_children(toks))


HOSTILE = [
    "<script>alert(1)</script> breaks the HTML summary",
    "KVM: x86: **bold** _it_ `code` [link](http://x) ![img](y)",
    "- looks like a list item",
    "1. looks like an ordered list",
    "2) also ordered",
    "# looks like a heading ###",
    "> looks like a quote",
    "+ plus item",
    "=== setext",
    "&amp; &copy; &#x3C;script&#x3E; entities",
    "trailing backslash \\",
    "a | table | row",
    "~~strike~~ and <https://autolink.example>",
    "Jörg Müller <joerg@example.org>",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("context", ["#### {}", "##### From: {}", "- {}", "{}"])
def test_escaped_text_is_literal_in_every_context(text: str, context: str) -> None:
    toks = tokens(context.format(md_inline(text)))
    block_types = [t.type for t in toks]
    assert "html_block" not in block_types and "fence" not in block_types and "blockquote_open" not in block_types
    assert block_types.count("bullet_list_open") == (1 if context.startswith("- ") else 0)
    assert "ordered_list_open" not in block_types
    assert {c.type for c in inline_children(toks)} <= {"text"}
    expected = f"From: {text}" if "From:" in context else text
    assert literal(toks) == one_line(expected)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1))
def test_any_subject_is_literal_in_a_heading(text: str) -> None:
    escaped = md_inline(text)
    if not escaped:
        return
    toks = tokens(f"#### {escaped}")
    assert [t.type for t in toks] == ["heading_open", "inline", "heading_close"]
    assert {c.type for c in inline_children(toks)} <= {"text"}
    assert literal(toks) == one_line(text)


def test_script_never_becomes_html() -> None:
    html = MD.render(f"#### {md_inline('<script>alert(1)</script>')}\n")
    assert "<script" not in html and "&lt;script&gt;" in html


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["`", "~", "a", " ", "\n", "\t", "`"]), max_size=60) | st.text())
def test_a_code_block_is_one_fence_whatever_it_holds(content: str) -> None:
    content = strip_controls(content)
    toks = tokens(code_block(content) + "\n\nafter\n")
    fences = [t for t in toks if t.type == "fence"]
    assert len(fences) == 1
    assert fences[0].content == content + "\n"
    assert fences[0].info == "text"
    assert toks[-2].type == "inline" and toks[-2].content == "after"


def test_fence_is_longer_than_any_backtick_run() -> None:
    assert fence_for("no ticks") == "```"
    assert fence_for("a ``` b") == "````"
    assert fence_for("``````") == "```````"


def test_number_ranges() -> None:
    assert number_ranges([1, 2, 3, 5, 7, 8]) == "1-3, 5, 7-8"
    assert number_ranges([4]) == "4"


def test_address_lists_split_outside_quotes_and_brackets() -> None:
    value = '"Hoffmann, Katrin" <k@x>, Jane <j@x>, <weird,addr@x>, plain@x'
    assert split_addresses(value) == ['"Hoffmann, Katrin" <k@x>', "Jane <j@x>", "<weird,addr@x>", "plain@x"]


def test_long_cc_folds_at_commas_and_never_swallows_a_header() -> None:
    cc = ", ".join(f"Person Number{i} <person{i}@example.org>" for i in range(12))
    lines = header_lines("Cc", cc)
    assert len(lines) > 1 and lines[0].startswith("Cc: Person Number0")
    assert all(line.startswith(" ") and not line.startswith("  ") for line in lines[1:])
    assert all(len(line) <= 78 for line in lines)
    assert " ".join(line.strip() for line in lines) == f"Cc: {cc}"
    # A Subject is never folded, however long: a folded subject is how the patchwork
    # digest ended up with "...faultsFrom: Alex Williamson".
    subject = "[PATCH v2] vfio/pci: Handle concurrent vma faults " * 4
    assert header_lines("Subject", subject) == [f"Subject: {one_line(subject)}"]


def _hostile_digest() -> tuple[list[StoredMessage], str]:
    fence_body = "Before\n```\nnot the end of the block\n````\n~~~\nAfter\n\nSigned-off-by: A <a@x>"
    mails = series_of(2, "KVM: <script>alert(1)</script> *boom*", version="v3")
    mails[1] = replace(mails[1], message=replace(mails[1].message, commit_message=fence_body))
    mails.append(mail(10, "[PATCH] - list? <b>bold</b>", sender="Evil \x1b[31m Name <evil@x>"))
    md = render_markdown(build_digest(mails, title="KVM", window=Window("2021-03-10", "2021-03-10", "dates")))
    return mails, md


def test_hostile_digest_renders_without_html_or_broken_fences() -> None:
    mails, md = _hostile_digest()
    toks = tokens(md)
    types = [t.type for t in toks]
    assert "html_block" not in types
    assert all(c.type not in ("html_inline", "link_open", "image") for c in inline_children(toks))
    fences = [t for t in toks if t.type == "fence"]
    assert len(fences) == len(mails)  # the cover letter and each patch: one block each
    assert all(f.content.startswith("From: ") for f in fences)
    assert "not the end of the block\n````\n~~~\nAfter" in fences[1].content
    assert "\x1b" not in md
    html = MD.render(md)
    assert "<script" not in html and "<b>" not in html
    headings = [toks[i + 1].content for i, t in enumerate(toks) if t.type == "heading_open"]
    assert headings[1:3] == [
        md_inline("[PATCH v3 0/2] KVM: <script>alert(1)</script> *boom*"),
        md_inline("From: Marta Kowalczyk <marta@example.org>"),
    ]


def test_no_empty_section_ever() -> None:
    _, md = _hostile_digest()
    toks = tokens(md)
    for i, t in enumerate(toks):
        if t.type == "heading_open":
            assert toks[i + 1].content.strip() not in ("", "From:")
        if t.type == "inline" and t.content.endswith(":") and t.level == 1:
            assert toks[i + 2].type in ("fence", "bullet_list_open"), t.content  # a label has content
        if t.type == "fence":
            assert t.content.strip()
    empty = render_markdown(build_digest([], title="KVM", window=Window("2021-03-10", "2021-03-10", "dates")))
    assert "No patches, cover letters or pull requests in this window." in empty
    assert "####" not in empty


def test_layout_of_one_series() -> None:
    mails = series_of(3, "KVM: arm64: Rate-limit warnings", version="v2")
    digest = build_digest(mails, title="KVM", window=Window("2021-03-10", "2021-03-10", "dates"),
                          base_url="https://lore.kernel.org/kvm/")  # fmt: skip
    md = render_markdown(digest.with_replies({"<s-0@example.org>": 2}))
    lines = md.splitlines()
    i = lines.index("#### \\[PATCH v2 0/3\\] KVM: arm64: Rate-limit warnings")
    assert lines[i + 1] == "##### From: Marta Kowalczyk \\<marta@example.org\\>"
    assert "- Date: Wed, 10 Mar 2021 09:00:00 +0000" in lines
    assert "- Patches: 3/3; 3 files changed, 9 insertions(+), 3 deletions(-)" in lines
    assert "- Replies: 2" in lines
    assert "- Link: <https://lore.kernel.org/kvm/s-0@example.org/>" in lines
    assert lines.count("Cover letter:") == 1 and lines.count("Patches:") == 1
    assert lines.count("```text") == 4 and md.endswith("```\n")
    assert "\n\n\n" not in md


def test_patches_first_shows_one_patch_block_per_series() -> None:
    mails = series_of(3, "A", prefix="a") + series_of(2, "B", prefix="b", first_seq=10, cover=False)
    digest = build_digest(mails, title="KVM", window=Window("x", "y", "all"))
    md = render_markdown(digest, patches="first")
    fences = [t for t in tokens(md) if t.type == "fence"]
    subjects = [f.content.splitlines()[2] for f in fences]
    assert subjects == ["Subject: [PATCH 0/3] A", "Subject: [PATCH 1/3] A: part 1", "Subject: [PATCH 1/2] B: part 1"]
    with pytest.raises(ValueError):
        render_markdown(digest, patches="some")


def test_empty_subject_and_sender_never_make_an_empty_heading() -> None:
    nameless = mail(1, "   ", sender=" <>", kind=Kind.PATCH)
    md = render_markdown(build_digest([nameless], title="KVM", window=Window("x", "x", "dates")))
    assert "#### (no subject)\n##### From: (unknown sender)\n" in md
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert all(line.split(" ", 1)[1].strip() not in ("", "From:") for line in headings)
