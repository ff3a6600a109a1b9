"""parse.body's, parse.mime's and parse.diffs' speed paths give what the general (or previous) code gives.

decode_body cuts the common multipart shapes itself (_mime_leaves) and leaves anything
else to the stdlib's email parser: where it answers, it must answer as the stdlib does.
diff_facts counts each hunk's lines with str.count where the old code walked them, and
split_body, extract_diffstat and trailers_in scan the text fewer times. The references
below are the straightforward versions, kept as the specification; hypothesis feeds both
mail-shaped input, and hand-written mails pin the shapes that must take the fast path.
"""

from __future__ import annotations

import base64
import re
from email.message import Message as EmailMessage
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchdigest.models import Person, Trailer
from patchdigest.parse import diffs
from patchdigest.parse.body import BodyParts, _trailer, extract_diffstat, split_body, trailers_in
from patchdigest.parse.diffs import diff_facts, patch_id
from patchdigest.parse.headers import Headers, parse_person
from patchdigest.parse.mime import _NOT_BASE64, _charset_of, _decoded_from, _mime_leaves, _stdlib_leaves, decode_body

from .test_fast_paths import reference_diff_stat, reference_extract_diffstat, reference_patch_id

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


def pieces(*items: str, max_size: int = 30) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(items), st.text(max_size=4)), max_size=max_size).map("".join)


# --- multipart bodies: the splitter against the stdlib -------------------------------------


def view(part: EmailMessage) -> tuple[object, ...]:
    """Everything decode_body reads of a part, and more."""
    return (part.items(), part.get_payload(), part.get_default_type(), part.get_unixfrom(), part.is_multipart())


def same_as_stdlib(content_type: str, body: bytes) -> bool:
    """Whether the splitter answered; when it did, it must agree with the stdlib."""
    fast = _mime_leaves(content_type, body)
    slow = _stdlib_leaves(content_type, body)
    if fast is None:
        return False
    assert [view(p) for p in fast] == [view(p) for p in slow]
    assert _decoded_from(fast) == _decoded_from(slow)
    return True


def decoded(content_type: str, body: bytes) -> tuple[str, str, str]:
    headers = Headers([("Content-Type", content_type)])
    result = decode_body(headers, body, b"")
    assert result == _decoded_from(_stdlib_leaves(content_type, body))
    return result.text, result.diff, result.problem


LEAF_HEADERS = [
    "Content-Type: text/plain; charset=us-ascii\n",
    'Content-Type: text/plain; charset="utf-8"\n',
    "Content-Type: text/plain; charset=iso-8859-1; format=flowed\n",
    'Content-Type: text/x-patch; name="0001-kvm-fix.patch"\n',
    "Content-Type: text/x-diff\n",
    "Content-Type: TEXT/PLAIN;\n\tcharset=UTF-8\n",
    "Content-Type: text/html; charset=utf-8\n",
    "Content-Type: application/pgp-signature; name=signature.asc\n",
    "Content-Type: application/octet-stream\n",
    "Content-Type: message/rfc822\n",
    "Content-Type: multipart/mixed\n",
    "Content-Type: nonsense\n",
    "Content-Transfer-Encoding: 7bit\n",
    "Content-Transfer-Encoding: 8bit\n",
    "Content-Transfer-Encoding: quoted-printable\n",
    "Content-Transfer-Encoding: base64\n",
    "Content-Transfer-Encoding: BASE64 \n",
    "Content-Transfer-Encoding: x-uuencode\n",
    "Content-Disposition: inline\n",
    "Content-Disposition:\t \tinline\n",
    "Content-Type:text/plain;charset=utf-8\n",
    'Content-Disposition: attachment; filename="fix.diff"\n',
    "Content-Disposition: attachment;\n filename*=utf-8''%66ix.patch\n",
    "X-Folded: one\n  two\n",
    "From nobody Mon Jan  1 00:00:00 2001\n",
    ": no name\n",
    " leading continuation\n",
    "Not a header line\n",
]
BODY_LINES = [
    "Hello,\n",
    "\n",
    "  indented\n",
    "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-old\n+new\n",
    "caf=C3=A9 soft=\n",
    "aGVsbG8gd29ybGQK\n",
    "QUJD=\n",
    "caf\u00e9\n",
    "\udcff\udcfe\n",  # bytes that are not UTF-8 (surrogate escapes)
    "-- \nsignature\n",
    "From here on\n",
    "no newline at the end",
    "\r\n",
    "\r",
]


@st.composite
def leaf(draw: st.DrawFn, boundaries: list[str], odd: bool) -> str:
    headers = "".join(draw(st.lists(st.sampled_from(LEAF_HEADERS), max_size=4)))
    blank = draw(st.sampled_from(["\n", "\n", ""])) if odd else "\n"  # the blank line ending the headers
    # Lines that look like boundary lines of this part's multipart or of one around it.
    lookalike = st.sampled_from(boundaries).flatmap(
        lambda b: st.sampled_from(["--" + b + "x\n", "--" + b + " -\n", " --" + b + "\n", "--" + b[:-1] + "\n"])
    )
    body = "".join(draw(st.lists(st.one_of(st.sampled_from(BODY_LINES), lookalike), max_size=6)))
    return headers + blank + body


BOUNDARIES = ["b", "bb", "=_Part_7", "----=_NextPart_000", "x'()+_,-./:=?", "b--", "b c"]


@st.composite
def multipart(draw: st.DrawFn, depth: int, outer: list[str], odd: bool) -> tuple[str, str]:
    """(Content-Type value, body) of a multipart entity; ``odd`` adds defects on purpose."""
    # Well-formed nesting: no boundary line of one multipart is also one of another's.
    unrelated = [b for b in BOUNDARIES if not any(b.startswith(o) or o.startswith(b) for o in outer)]
    boundary = draw(st.sampled_from(BOUNDARIES if odd or not unrelated else unrelated))
    boundaries = [*outer, boundary]
    subtype = draw(st.sampled_from(["mixed", "alternative", "signed", "related"] + (["digest"] if odd else [])))
    param = draw(
        st.sampled_from(
            [f"boundary={boundary}", f'boundary="{boundary}"', f'protocol="x"; boundary="{boundary}"']
            + ([f"boundary*=us-ascii''{boundary}", "charset=x"] if odd else [])
        )
    )
    content_type = f"multipart/{subtype}; {param}"
    preamble = draw(st.sampled_from(["", "This is a multi-part message in MIME format.\n", "\n"]))
    parts = []
    for _ in range(draw(st.integers(min_value=0 if odd else 1, max_value=3))):
        if depth > 0 and draw(st.integers(0, 3)) == 0:
            inner_type, inner_body = draw(multipart(depth - 1, boundaries, odd))
            parts.append(f"Content-Type: {inner_type}\n\n{inner_body}")
        else:
            part = draw(leaf(boundaries, odd))
            parts.append(part if odd else part.replace("\r", "") or "\n")  # no empty part either
    blanks = st.sampled_from(["", "", " ", "\t ", "  "]) if odd else st.sampled_from(["", " "])
    body = preamble
    for part in parts:
        body += f"--{boundary}{draw(blanks)}\n"
        if odd and draw(st.integers(0, 9)) == 0:
            body += f"--{boundary}\n"  # a doubled boundary line
        body += part if part.endswith("\n") or not part else part + "\n"
    if not (odd and draw(st.integers(0, 4)) == 0):  # a missing closing line
        body += f"--{boundary}--{draw(blanks)}\n"
    body += draw(st.sampled_from(["", "epilogue\n", f"--{boundary}\nafter the end\n"]))
    return content_type, body


def as_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def clean_multipart(depth: int = 2) -> st.SearchStrategy[tuple[str, str]]:
    return multipart(depth, [], False).filter(
        lambda ct_body: "From " not in ct_body[1] and "\n:" not in ct_body[1] and "\n leading" not in ct_body[1]
    )


@SETTINGS
@given(multipart(2, [], True))
def test_splitter_agrees_with_the_stdlib(message: tuple[str, str]) -> None:
    content_type, body = message
    same_as_stdlib(content_type, as_bytes(body))
    decoded(content_type, as_bytes(body))


@SETTINGS
@given(clean_multipart())
def test_splitter_answers_for_well_formed_bodies(message: tuple[str, str]) -> None:
    # No defects, no CR, no message/* or digest parts: the splitter must not give up.
    content_type, body = message
    if "message/rfc822" in body or "multipart/mixed\n" in body:
        return
    assert same_as_stdlib(content_type, as_bytes(body))


@SETTINGS
@given(clean_multipart(), st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["\n", "--", "-", " ", "\t", ":",
       "\r", "=", "x", "\n\n", "\ndiff --git a/x b/x\n"])), max_size=4))  # fmt: skip
def test_splitter_agrees_on_damaged_bodies(message: tuple[str, str], edits: list[tuple[int, str]]) -> None:
    content_type, body = message
    for pos, bit in edits:
        pos %= len(body) + 1
        body = body[:pos] + bit + body[pos:]
    same_as_stdlib(content_type, as_bytes(body))


# Hand-written mails in the shapes kvmarm's multiparts have.

FOOTER = "--b0\nContent-Type: text/plain; charset=\"us-ascii\"\nContent-Transfer-Encoding: 7bit\n\n" \
         "_______________________________________________\nexample-list mailing list\n\n--b0--\n"  # fmt: skip


def test_signed_mail_with_a_list_footer() -> None:
    body = (
        "--b0\n"
        'Content-Type: multipart/signed; micalg=pgp-sha256;\n\tprotocol="application/pgp-signature"; boundary="s1"\n\n'
        "--s1\nContent-Type: text/plain; charset=us-ascii\nContent-Disposition: inline\n\n"
        "On Tue, Jane wrote:\n> a quoted line\n\nLooks fine to me.\n\nReviewed-by: Kim Lee <kim@example.org>\n\n"
        '--s1\nContent-Type: application/pgp-signature; name="signature.asc"\n\n'
        "-----BEGIN PGP SIGNATURE-----\nnot really\n-----END PGP SIGNATURE-----\n--s1--\n" + FOOTER
    )
    assert same_as_stdlib('multipart/mixed; boundary="b0"', body.encode())
    text, diff, problem = decoded('multipart/mixed; boundary="b0"', body.encode())
    assert text.startswith("On Tue, Jane wrote:") and text.endswith("Reviewed-by: Kim Lee <kim@example.org>\n")
    assert diff == problem == ""


def test_alternative_mail_takes_the_plain_part_decoded() -> None:
    body = (
        "This is a multi-part message in MIME format.\n"
        '--b0\nContent-Type: multipart/alternative; boundary="alt"\n\n'
        "--alt\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        "Caf=C3=A9 au lait, a =3D b, one long=\n line.\n"
        "--alt\nContent-Type: text/html; charset=utf-8\n\n<p>Caf&eacute;</p>\n--alt--\n\n" + FOOTER
    )
    assert same_as_stdlib("multipart/mixed; boundary=b0", body.encode())
    text, diff, _ = decoded("multipart/mixed; boundary=b0", body.encode())
    # The line break before a boundary line belongs to the boundary (RFC 2046).
    assert text == "Caf\u00e9 au lait, a = b, one long line." and diff == ""


def test_patch_attachment_becomes_the_diff() -> None:
    patch = "diff --git a/arch/x.c b/arch/x.c\n--- a/arch/x.c\n+++ b/arch/x.c\n@@ -1 +1 @@\n-int a;\n+long a;\n"
    encoded = base64.encodebytes(patch.encode()).decode()
    body = (
        "--b0\nContent-Type: text/plain; charset=us-ascii\n\nPlease try the attached change.\n\n"
        '--b0\nContent-Type: text/x-patch; charset=utf-8; name="0001-x.patch"\n'
        'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="0001-x.patch"\n\n'
        + encoded
        + FOOTER
    )
    assert same_as_stdlib("multipart/mixed; boundary=b0", body.encode())
    text, diff, _ = decoded("multipart/mixed; boundary=b0", body.encode())
    assert text == "Please try the attached change.\n" and diff == patch


def test_odd_bodies_go_to_the_stdlib() -> None:
    plain = "--b0\nContent-Type: text/plain\n\nhello\n--b0--\n"
    assert same_as_stdlib("multipart/mixed; boundary=b0", plain.encode())
    for content_type, body in [
        ("multipart/mixed; boundary=b0", plain.replace("\n", "\r\n")),  # CRLF line breaks
        ("multipart/mixed; boundary=b0", "--b0\n--b0\nContent-Type: text/plain\n\nhello\n--b0--\n"),
        ("multipart/mixed; boundary=b0", "--b0\nContent-Type: message/rfc822\n\nSubject: x\n\nhi\n--b0--\n"),
        ("multipart/mixed; boundary=b0", "no boundary line at all\n"),
        ("multipart/mixed", plain),  # no boundary parameter
        ("multipart/digest; boundary=b0", plain),
        ("multipart/mixed; boundary=b0", "--b0\nFrom nobody\nContent-Type: text/plain\n\nhello\n--b0--\n"),
    ]:
        assert _mime_leaves(content_type, body.encode()) is None, body
        decoded(content_type, body.encode())  # and the stdlib's answer is decode_body's


def test_deep_nesting_goes_to_the_stdlib() -> None:
    def nested(level: int) -> str:
        inner = nested(level - 1) if level else "Content-Type: text/plain\n\nhi\n"
        return f"Content-Type: multipart/mixed; boundary=n{level}\n\n--n{level}\n{inner}--n{level}--\n"

    for depth, answered in [(4, True), (12, False)]:
        content_type, body = nested(depth).split("\n\n", 1)
        assert same_as_stdlib(content_type.removeprefix("Content-Type: "), body.encode()) is answered


# --- diffs ---------------------------------------------------------------------------------

HUNK_LINES = [" context", "+added", "-removed", "", "\\ No newline at end of file", "+++ x", "--- x", "-- ", "--",
              "junk", " ", "+", "-"]  # fmt: skip
PATHS = ["x.c", "dir/y.h", "sp ace.c", 'qu"ote.c', "b/x", "a b/c"]


def hunk_counts(lines: list[str]) -> tuple[int, int]:
    old = sum(1 for line in lines if line[:1] in ("-", " ", ""))
    new = sum(1 for line in lines if line[:1] in ("+", " ", ""))
    return old, new


@st.composite
def structured_diff(draw: st.DrawFn) -> str:
    """Diffs as git writes them, then damaged: counts off by one, junk lines, signatures."""
    out: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(PATHS))
        headers = [f"diff --git a/{path} b/{path}", f'diff --git "a/{path}" "b/{path}"',
                   f"diff --git a/{path} b/other/{path}", f"diff --git a/{path}  b/{path}"]  # fmt: skip
        out.append(draw(st.sampled_from(headers)))
        out += draw(st.lists(st.sampled_from(["index 0123456..789abcd 100644", "new file mode 100644",
                                              f"--- a/{path}", "--- /dev/null", f"+++ b/{path}", "+++ /dev/null",
                                              "Binary files a/x and b/x differ"]), max_size=3))  # fmt: skip
        for _ in range(draw(st.integers(0, 3))):
            lines = draw(st.lists(st.sampled_from(HUNK_LINES), max_size=8))
            old, new = hunk_counts(lines)
            old += draw(st.sampled_from([0, 0, 0, 1, -1]))
            new += draw(st.sampled_from([0, 0, 0, 1, -1]))
            old_text = "" if old == 1 and draw(st.booleans()) else f",{max(old, 0)}"
            out.append(f"@@ -3{old_text} +3,{max(new, 0)} @@" + draw(st.sampled_from(["", " int f(void)"])))
            out += lines
    out += draw(st.sampled_from([[], ["-- ", "2.30.1", ""], ["--", "2.30.1"], ["", "-- ", "Jane"], ["-- "]]))
    return "\n".join(out)


@SETTINGS
@given(structured_diff())
def test_diff_facts_on_structured_diffs(diff: str) -> None:
    assert diff_facts(diff) == (reference_diff_stat(diff), reference_patch_id(diff))


def test_hunk_counts_are_checked_hunk_by_hunk() -> None:
    # The first hunk holds a line more than announced, the second a line less: summed
    # over the diff the counts agree with the headers, but read hunk by hunk the extra
    # "+" line lies past the end of the first hunk and is no insertion.
    diff = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n x\n+past the end\n@@ -5 +5,2 @@\n y"
    stat, _ = diff_facts(diff)
    assert (stat.insertions, stat.deletions) == (0, 0) == (reference_diff_stat(diff).insertions, 0)


def test_git_header_paths() -> None:
    for header in ["diff --git a/x.c b/x.c", 'diff --git "a/sp ace.c" "b/sp ace.c"', "diff --git a/b b/c b/b b/c",
                   "diff --git a/ b/x", "diff --git a/x b/", "diff --git a/a b/c"]:  # fmt: skip
        diff = header + "\n@@ -1 +1 @@\n-a\n+b\n"
        assert diff_facts(diff)[0] == reference_diff_stat(diff), header


def test_patch_id_leaves_out_the_signature() -> None:
    diff = "diff --git a/x.c b/x.c\nindex 1..2 100644\n--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
    plain = patch_id(diff)
    # git format-patch's signature, a mailer's, and the one review.py appends.
    signed_forms = [diff + "-- \n2.30.1\n\n", diff + "--\n2.30.1", diff + "\n-- \nJane\n+no change\n", diff + "\n-- \n"]
    for signed in signed_forms:
        assert patch_id(signed) == plain, signed
        assert diff_facts(signed)[0] == diff_facts(diff)[0]
    # Within the lines a hunk announces, "-- " is a removed line "- ": a change.
    cut_short = "diff --git a/x.c b/x.c\n@@ -1,2 +1 @@\n-a\n-- \n"
    assert patch_id(cut_short) != patch_id("diff --git a/x.c b/x.c\n@@ -1,2 +1 @@\n-a\n")
    # A hunk whose lines run out before its header's counts, on "-- ": a mangled hunk,
    # then the signature (the stat still counts the line, as it always did).
    short = "diff --git a/x.c b/x.c\n@@ -1,7 +1,7 @@\n a\n-b\n+c\n"
    assert patch_id(short + "-- \n2.30.1\n") == patch_id(short)
    assert diff_facts(short + "-- \n2.30.1\n")[0].deletions == 2
    # Without hunks (a mode change), the signature goes too.
    mode = "diff --git a/x b/x\nold mode 100644\nnew mode 100755\n"
    assert patch_id(mode + "-- \n2.30.1\n") == patch_id(mode)


# diff_facts takes a hunk's counts from its lines without their context lines, when those
# are only "+" and "-" lines and the counts add up to the header's; the last hunk's lines
# are first tried cut at the signature. Anything else goes to the line-by-line count.

CLEAN_LINES = [" context", "+added", "-removed", " ", "+", "-", "+\tx = 1;", "- y", "-a--", "++i"]
ODD_LINES = ["", "\\ No newline at end of file", "+++ x", "--- x", "+++ b/z.c", "-- ", "junk", "@@ -1 +1 @@@"]
FAST_TAILS = [
    [],
    [""],
    ["-- ", "2.30.1", ""],
    ["--", "2.30.1"],
    ["", "", "-- ", ""],
    ["-- ", "+++ b/after.c", "-x"],
    ["-- ", "2.34.1", "", "_______________", "kvmarm mailing list", "https://lists.example.org/kvmarm", ""],
]
SLOW_TAILS = [
    ["", "Thanks,", "", "\tM.", "-- ", "Jazz is not dead.", ""],  # a reply's words after a suggested diff
    ["-- "],
    ["+++ b/x", "-- ", "2.1"],
    ["junk", "-x", "+++ b/y.c"],
    ["\\ No newline at end of file"],
    [" ", "-- ", "2.1"],
]


@st.composite
def exact_diff(draw: st.DrawFn, odd: bool) -> str:
    """Hunks that hold exactly the lines their headers announce; with ``odd``, lines that
    the careful count reads (empty context lines, "\\ No newline", "+++ " and "--- "
    lines, junk) and tails it must read too."""
    out: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        out += [f"diff --git a/{path} b/{path}", "index 0123456..789abcd 100644", f"--- a/{path}", f"+++ b/{path}"]
        for _ in range(draw(st.integers(0, 3))):
            lines = draw(st.lists(st.sampled_from(CLEAN_LINES + (ODD_LINES if odd else [])), max_size=8))
            old, new = hunk_counts(lines)
            out.append(f"@@ -3,{old} +3,{new} @@" + draw(st.sampled_from(["", " int f(void)"])))
            out += lines
    out += draw(st.sampled_from(FAST_TAILS + (SLOW_TAILS if odd else [])))
    return "\n".join(out)


@SETTINGS
@given(exact_diff(odd=True))
def test_diff_facts_on_exact_hunks(diff: str) -> None:
    assert diff_facts(diff) == (reference_diff_stat(diff), reference_patch_id(diff))


@SETTINGS
@given(exact_diff(odd=False))
def test_exact_hunks_are_not_read_line_by_line(diff: str) -> None:
    with patch.object(diffs, "_hunk_counts", side_effect=AssertionError("read line by line")):
        facts = diffs._facts(diff)
    assert facts == (reference_diff_stat(diff), reference_patch_id(diff))


def test_odd_hunks_are_read_line_by_line() -> None:
    head = "diff --git a/x.c b/x.c\nindex 1..2 100644\n--- a/x.c\n+++ b/x.c\n"
    for hunk in [
        "@@ -1,2 +1,2 @@\n a\n\n-b\n+c\n@@ -9 +9 @@\n-d\n+e",  # an empty context line
        "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n@@ -9 +9 @@\n-d\n+e",
        "@@ -1,2 +1,2 @@\n a\n-b\n+c\n+d\n@@ -9 +9 @@\n-d\n+e",  # a line more than announced
        "@@ -1 +1 @@\n-a\n+b\n\nThanks,\nJane\n-- \nJane's signature",  # a reply's words
    ]:
        diff = head + hunk
        with patch.object(diffs, "_hunk_counts", wraps=diffs._hunk_counts) as careful:
            facts = diffs._facts(diff)
        assert careful.called, hunk
        assert facts == (reference_diff_stat(diff), reference_patch_id(diff)), hunk


def test_repeated_diffs_come_from_the_cache() -> None:
    diff = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n-- \n2.30.1\n"
    assert diff_facts(diff) is diff_facts("".join(["diff --git", diff[10:]]))  # equal, not the same string
    big = diff.replace("+b\n", "+b\n" * 40_000).replace("+1 @@", "+40000 @@")
    assert diff_facts(big) == (reference_diff_stat(big), reference_patch_id(big)) == diffs._facts(big)
    assert diff_facts(big) is not diff_facts(big)  # too big to be kept


# --- split_body, extract_diffstat, trailers ------------------------------------------------

INBODY = r"^(From|Date|Subject|Reply-To|Message-I[Dd]|Cc|To)\s*:\s*(.*)$"
SUMMARY = r"^ \d+ files? changed(, \d+ insertions?\(\+\))?(, \d+ deletions?\(-\))?\s*$"


def reference_last_signature(text: str) -> int | None:
    tail = len(text)
    for _ in range(16):
        tail = text.rfind("\n", 0, tail)
        if tail == -1:
            break
    last = None
    for m in re.compile(r"^-- ?$", re.M).finditer(text, tail + 1):
        last = m.start()
    return last


def reference_split_body(text: str, attached_diff: str = "") -> BodyParts:
    lines_start = text.lstrip("\n")
    inbody_from: Person | None = None
    first = lines_start.split("\n", 1)[0]
    if re.match(INBODY, first, re.I) and first.lower().startswith(("from:", "subject:", "date:")):
        pos = 0
        for line in lines_start.split("\n"):
            m = re.match(INBODY, line, re.I)
            if not m:
                break
            if m.group(1).lower() == "from" and inbody_from is None:
                inbody_from = parse_person(m.group(2))
            pos = min(pos + len(line) + 1, len(lines_start))
        text = lines_start[pos:]
    m = re.search(r"\n(?:diff --git |diff -[a-zA-Z]+ |Index: \S|--- \S.*\n\+\+\+ \S)", "\n" + text)
    if m:
        before, diff = text[: m.start()], text[m.start() :]
    else:
        before, diff = text, ""
        sig = reference_last_signature(before)
        if sig is not None:
            before = before[:sig]
    diff = diff or attached_diff
    sep = re.search(r"\n---[ \t]*(?=\n|\Z)", "\n" + before)
    has_stat = sep is not None and any(re.match(SUMMARY, line) for line in before[sep.end() - 1 :].split("\n"))
    if sep and (diff or has_stat):
        commit_message, notes = before[: sep.start()], before[sep.end() - 1 :].lstrip("\n")
    else:
        commit_message, notes, sep = before, "", None
    return BodyParts(inbody_from, commit_message.strip("\n").rstrip(), sep is not None, notes.rstrip(),
                     reference_extract_diffstat(notes if sep else commit_message), diff)  # fmt: skip


BODY_BITS = ("\n", "---", "--- ", "---\t", "-- ", "--", "diff --git a/x b/x", "Index: x", "--- a/x\n+++ b/x",
             "diff -u a b", " 1 file changed", " 2 files changed, 3 insertions(+)", " x.c | 3 ++-", "changed",
             " file", "From: A <a@b.c>", "Subject: s", "Date: d", "from:", "Signed-off-by: A <a@b.c>", "text",
             " ", "> ", "\t")  # fmt: skip


@SETTINGS
@given(pieces(*BODY_BITS, max_size=40), st.sampled_from(["", "diff --git a/y b/y\n"]))
def test_split_body_is_the_previous_split(text: str, attached: str) -> None:
    assert split_body(text, attached) == reference_split_body(text, attached)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(BODY_BITS), st.integers(0, 300)), min_size=10, max_size=40))
def test_split_body_on_long_lines(lines: list[tuple[str, int]]) -> None:
    # Long lines: the last 16 lines do not fit in the 4 KB the signature search reads first.
    text = "\n".join(bit + "x" * width * 20 if width % 3 == 0 else bit for bit, width in lines)
    assert split_body(text) == reference_split_body(text)


@SETTINGS
@given(pieces(" 1 file changed", " 3 files changed", ", 2 insertions(+)", ", 1 deletion(-)", " x.c | 3 ++-",
              "\n", " ", "\t", " changed", " file", "files", "has changed", "> ", "|", "\xa0"))  # fmt: skip
def test_extract_diffstat_is_the_line_by_line_result(text: str) -> None:
    assert extract_diffstat(text) == reference_extract_diffstat(text)
    assert split_body(text).diffstat == reference_split_body(text).diffstat


STAT_LINES = [" x.c | 3 ++-", " a/b | Bin 0 -> 12 bytes", " .../long/path.c |  12 +++---", " y.h | 1 +\r",
              " z | 2 \u2028", " w |\t4 ++++", " no bar here", " v | x"]  # fmt: skip
SUMMARIES = [" 1 file changed, 3 insertions(+)", " 2 files changed, 1 deletion(-)  ", " 3 files changed",
             " 1 files changed,"]  # fmt: skip


@SETTINGS
@given(st.lists(st.sampled_from(STAT_LINES), max_size=5), st.sampled_from(SUMMARIES),
       pieces("\n", " x.c | 3 ++-", *SUMMARIES, "text", " changed", " file changed"))  # fmt: skip
def test_extract_diffstat_of_a_stat_at_the_start(stat: list[str], summary: str, rest: str) -> None:
    # git format-patch's notes: the stat lines, the summary, then anything (another stat).
    text = "".join(line + "\n" for line in stat) + summary + rest
    assert extract_diffstat(text) == reference_extract_diffstat(text)


TRAILER = re.compile(
    r"\n([A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*-by|Fixes|Link|Closes|Cc|Change-Id|Message-ID|Based-on|Patchwork-Id)"
    r"\s*:\s*(\S.*?)\s*(?=\n|\Z)",
    re.I,
)


def reference_trailers(text: str) -> list[Trailer]:
    return [_trailer(key, value) for key, value in TRAILER.findall("\n" + text)]


@SETTINGS
@given(pieces("\n", "Signed-off-by", "signed-OFF-BY", "Reviewed-by", "-by", "x-y-z-by", "Fixes", "Link", "Cc", "cc",
              "Change-Id", ":", " : ", " ", "\t", "\n:", "A <a@b.c>", "> ", "1", "-", "\u017f", "\u212a", "\u0130",
              "\u0131", "\u2028", "\x1c", "\xa0"))  # fmt: skip
def test_trailers_are_the_previous_regex(text: str) -> None:
    assert trailers_in(text) == reference_trailers(text)


def test_trailers_at_the_start_and_after_blank_lines() -> None:
    text = "Signed-off-by: A <a@b.c>\n\n\nAcked-by:\n B <b@c.d>  \n> Reviewed-by: Q <q@r.s>"
    assert [t.key for t in trailers_in(text)] == ["Signed-off-by", "Acked-by"]
    assert trailers_in(text) == reference_trailers(text)


# --- decoding helpers ----------------------------------------------------------------------


@SETTINGS
@given(st.binary(max_size=200))
def test_base64_cleaning_is_the_regex(data: bytes) -> None:
    assert data.translate(None, _NOT_BASE64) == re.sub(rb"[^A-Za-z0-9+/]", b"", data)


def reference_charset(value: str) -> str:
    m = re.search(r'charset\s*=\s*"?([^";\s]+)', value, re.I)
    return m.group(1).strip().lower() if m else ""


@SETTINGS
@given(pieces("charset", "CHARSET", "ch\u017frset", "=", " = ", '"', ";", "utf-8", "text/plain", "\xe9", " "))
def test_charset_of_is_the_regex_search(value: str) -> None:
    assert _charset_of(value) == reference_charset(value)
    assert _charset_of(value.lower()) == reference_charset(value.lower())
