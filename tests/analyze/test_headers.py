"""Header lines for the digests: curated from the index, or all of them from the raw mail."""

from __future__ import annotations

from dataclasses import replace

from patchdigest.analyze import all_headers, curated_headers

from .factory import mail

RAW = (
    b"Received: from mail.kernel.org (mail.kernel.org [198.145.29.99])\n"
    b"\tby smtp.lore.kernel.org (Postfix) with ESMTP id 89768C433E0\n"
    b"From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>\n"
    b"Subject: [PATCH v2 1/2] KVM: arm64: Reject VM creation when the default IPA\n"
    b" size is unsupported\n"
    b"X-Evil: a\x1b[31mred\x1b[0m value\n"
    b"\n"
    b"Body: not a header\n"
)


def test_curated_headers_in_order_one_line_each() -> None:
    m = mail(1, "[PATCH v2 1/2] KVM: arm64: Reject VM creation", msgid="<a@b>")
    m = replace(m, message=replace(m.message, cc="Jane  Roe <jane@x>,\n        Tom <tom@x>"))
    headers = curated_headers(m.message)
    assert [n for n, _ in headers] == ["From", "Date", "Subject", "Message-ID", "To", "Cc"]
    assert dict(headers)["Date"] == "Wed, 10 Mar 2021 09:00:00 +0000"
    assert dict(headers)["Cc"] == "Jane Roe <jane@x>, Tom <tom@x>"
    assert all("\n" not in v for _, v in headers)


def test_curated_headers_skip_empty_cc_and_flag_archive_dates() -> None:
    m = mail(1, "[PATCH] x")
    m = replace(m, message=replace(m.message, date_ok=False))
    headers = dict(curated_headers(m.message))
    assert "Cc" not in headers
    assert headers["Date"].endswith("(no readable Date header: archive time)")


def test_all_headers_decoded_unfolded_controls_stripped_body_ignored() -> None:
    headers = all_headers(RAW)
    assert [n for n, _ in headers] == ["Received", "From", "Subject", "X-Evil"]
    values = dict(headers)
    assert values["From"] == "Jörg Müller <joerg@example.org>"
    assert values["Subject"] == "[PATCH v2 1/2] KVM: arm64: Reject VM creation when the default IPA size is unsupported"
    assert values["Received"].startswith("from mail.kernel.org (mail.kernel.org [198.145.29.99]) by smtp")
    assert "\x1b" not in values["X-Evil"]
