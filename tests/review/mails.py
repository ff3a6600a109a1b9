"""Hand-written mails for the review tests, parsed by the real parser (no archive)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from patchdigest.models import Provenance
from patchdigest.parse import parse_message
from patchdigest.store import StoredMessage

T0 = datetime(2021, 3, 10, 9, 0, tzinfo=UTC)
AUTHOR = "Ada Moreau <ada@silicon.example>"

DIFF = """\
diff --git a/arch/arm64/kvm/{f} b/arch/arm64/kvm/{f}
index 1111111..2222222 100644
--- a/arch/arm64/kvm/{f}
+++ b/arch/arm64/kvm/{f}
@@ -10,7 +10,7 @@ static int {f_}(void)
 {{
 \tint ret;
-\tret = old_call({n});
+\tret = new_call({n});
 \treturn ret;
 }}
"""


def raw(
    subject: str,
    body: str,
    *,
    msgid: str,
    sender: str = AUTHOR,
    irt: str | None = None,
    refs: tuple[str, ...] = (),
    minutes: float = 0,
) -> bytes:
    head = [
        f"From: {sender}",
        "To: kvm@lists.example",
        f"Subject: {subject}",
        f"Date: {format_datetime(T0 + timedelta(minutes=minutes))}",
        f"Message-ID: {msgid}",
    ]
    if irt:
        head.append(f"In-Reply-To: {irt}")
        head.append(f"References: {' '.join(refs or (irt,))}")
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", ""]
    return ("\n".join(head) + "\n" + body).encode("utf-8")


def stored(data: bytes, seq: int) -> StoredMessage:
    return StoredMessage(seq, Provenance("test", seq), parse_message(data))


def patch_body(title: str, n: int, *, file: str = "mmu.c", trailers: str = "", author: str = AUTHOR) -> str:
    extra = f"{trailers}\n" if trailers else ""
    diff = DIFF.format(f=file, f_=file.replace(".", "_"), n=n)
    return (
        f"{title} does the thing number {n}.\n\n{extra}Signed-off-by: {author}\n---\n"
        f" arch/arm64/kvm/{file} | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n{diff}-- \n2.30.0\n"
    )


def series(
    prefix: str,
    titles: list[str],
    *,
    version: str = "",
    cover_title: str | None = None,
    cover_body: str = "Two small fixes.\n",
    seq: int = 0,
    minutes: float = 0,
    sender: str = AUTHOR,
    files: list[str] | None = None,
) -> list[StoredMessage]:
    """A threaded series: a cover letter (when ``cover_title``) then n/N patches."""
    v = f" {version}" if version else ""
    total = len(titles)
    out = []
    root = f"<{prefix}-0@silicon.example>"
    if cover_title is not None:
        out.append(stored(raw(f"[PATCH{v} 0/{total}] {cover_title}", cover_body, msgid=root, sender=sender,
                              minutes=minutes), seq))  # fmt: skip
    for n, title in enumerate(titles, 1):
        counter = f" {n}/{total}" if total > 1 or cover_title is not None else ""
        parent = root if cover_title is not None else None
        if parent is None and n > 1:
            parent = f"<{prefix}-1@silicon.example>"
        body = patch_body(title, n, file=(files[n - 1] if files else f"f{n}.c"))
        data = raw(f"[PATCH{v}{counter}] {title}", body, msgid=f"<{prefix}-{n}@silicon.example>", sender=sender,
                   irt=parent, minutes=minutes + n / 60)  # fmt: skip
        out.append(stored(data, seq + n))
    return out


def reply(
    to: StoredMessage,
    body: str,
    *,
    seq: int,
    sender: str,
    msgid: str | None = None,
    minutes: float = 60,
) -> StoredMessage:
    m = to.message
    refs = (*m.references, m.original_msgid)
    data = raw(f"Re: {m.subject.full}", body, msgid=msgid or f"<r{seq}@reviewer.example>", sender=sender,
               irt=m.original_msgid, refs=refs, minutes=minutes)  # fmt: skip
    return stored(data, seq)
