"""The hostile corpus: messages built byte by byte, each with the outcome it must end in.

``build_corpus(threads)`` returns ``[(name, raw bytes, expected outcome or None)]``; ``threads``
holds real threading tokens of two demo tickets (000 and 002) so that replies can be genuine or
forged. ``python -m supportdesk.mail.tests.corpus.generate DIR`` writes the messages as .eml
files (with tokens of a made-up ticket) for piping into a running installation by hand.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

VERITAS = "veritas-support@support.example"
USERGATE = "support@usergate-support.example"
IVAN = "ivan@alpha.example"
OLGA = "olga@beta.example"
REQUEST = (
    "Product: Veritas NetBackup\nVersion: 10.4\nOS: RHEL 9\nService pack: 9.4\n\n"
    "Job 42 fails with status 96."
)


@dataclass(frozen=True)
class Threads:
    """Tokens of two real tickets: a 000 one (Ivan's) and a 002 one (Olga's)."""

    message_id_000: str
    reply_to_000: str
    number_000: str
    message_id_002: str
    number_002: str


def headers(
    *,
    sender: str = IVAN,
    to: str = VERITAS,
    subject: str = "Corpus message",
    message_id: str,
    extra: str = "",
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Message-ID: {message_id}"]
    lines.append("Date: Mon, 23 Nov 2026 09:30:00 +0000")
    text = "\r\n".join(lines) + "\r\n" + extra
    return text.encode("utf-8", errors="surrogateescape")


def plain(
    body: str | bytes,
    *,
    charset: str = "utf-8",
    encoding: str = "8bit",
    **kwargs,
) -> bytes:
    data = body if isinstance(body, bytes) else body.encode(charset, errors="replace")
    mime = (
        "MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n"
    ).encode()
    return headers(**kwargs) + mime + b"\r\n" + data + b"\r\n"


def multipart(
    parts: list[bytes], *, subtype: str = "mixed", boundary: str = "b1", **kwargs
) -> bytes:
    mime = f'MIME-Version: 1.0\r\nContent-Type: multipart/{subtype}; boundary="{boundary}"\r\n'
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return (
        headers(**kwargs) + mime.encode() + b"\r\n" + body + b"--" + boundary.encode() + b"--\r\n"
    )


def text_part(body: str, charset: str = "utf-8") -> bytes:
    return (
        f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + body.encode(charset, errors="replace")


def file_part(
    name_params: str, data: bytes, content_type: str = "application/octet-stream"
) -> bytes:
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (
        f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment; {name_params}\r\n\r\n"
    ).encode() + encoded


def bad_base64_part(payload: bytes) -> bytes:
    return (
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="a.log"\r\n\r\n' + payload + b"\r\n"
    )


def nested(depth: int, **kwargs) -> bytes:
    inner = text_part("the bottom")
    for level in range(depth):
        boundary = f"n{level}"
        inner = (
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n--{boundary}\r\n'.encode()
            + inner
            + f"\r\n--{boundary}--".encode()
        )
    return headers(**kwargs) + b"MIME-Version: 1.0\r\n" + inner + b"\r\n"


def nested_forwards(depth: int, **kwargs) -> bytes:
    inner = plain("forwarded at the bottom", message_id="<fwd-0@corpus.example>")
    for level in range(depth):
        inner = (
            headers(message_id=f"<fwd-{level + 1}@corpus.example>", sender="x@corpus.example")
            + b"MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
            + inner
        )
    return headers(**kwargs) + b"MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n" + inner


def dsn(**kwargs) -> bytes:
    report = (
        b"Content-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.customer.example\r\n\r\n"
        b"Final-Recipient: rfc822; nobody@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    )
    mime = (
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; "
        b'boundary="r1"\r\n\r\n'
    )
    body = (
        b"--r1\r\n" + text_part("Delivery failed.") + b"\r\n--r1\r\n" + report + b"\r\n--r1--\r\n"
    )
    return headers(**kwargs) + mime + body


def many_parts(count: int, **kwargs) -> bytes:
    return multipart([text_part(f"part {n}") for n in range(count)], **kwargs)


def oversized(size: int, **kwargs) -> bytes:
    line = b"A" * 76 + b"\r\n"
    body = line * (size // len(line) + 1)
    return (
        headers(**kwargs)
        + b"MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + body
    )


def build_corpus(threads: Threads, *, oversized_bytes: int) -> list[tuple[str, bytes, str | None]]:
    """Every corpus message: (name, raw bytes, expected outcome or None when several are
    defensible). Message-IDs are unique per message unless the message is about duplicates."""
    t = threads
    out: list[tuple[str, bytes, str | None]] = []

    def add(name: str, raw: bytes, expected: str | None = None) -> None:
        out.append((name, raw, expected))

    def mid(name: str) -> str:
        return f"<{name}@corpus.example>"

    # --- Genuine traffic -------------------------------------------------------------------
    add("new_request", plain(REQUEST, message_id=mid("new")), "ticket")
    add(
        "new_request_cp1251",
        plain(REQUEST.replace("Job", "Задание"), charset="windows-1251", message_id=mid("cp1251")),
        "ticket",
    )
    add(
        "reply_000",
        plain(
            "Logs attached.", message_id=mid("r000"), extra=f"In-Reply-To: {t.message_id_000}\r\n"
        ),
        "reply",
    )
    add(
        "reply_000_by_reply_to",
        plain("Second answer.", to=t.reply_to_000, message_id=mid("r000b")),
        "reply",
    )
    add(
        "reply_000_with_exe",
        multipart(
            [
                text_part("Here is a tool."),
                file_part('filename="tool.exe"', b"MZ\x90\x00" + b"\x00" * 300),
            ],
            message_id=mid("exe"),
            extra=f"In-Reply-To: {t.message_id_000}\r\n",
        ),
        "reply",
    )
    add(
        "reply_002",
        plain(
            "Still broken.",
            sender=OLGA,
            message_id=mid("r002"),
            extra=f"In-Reply-To: {t.message_id_002}\r\n",
        ),
        "rejected_reply",
    )
    add(
        "new_to_002",
        plain("Help", sender=OLGA, to=USERGATE, message_id=mid("n002")),
        "policy_answer",
    )
    add(
        "refused_expired",
        plain(REQUEST, sender="aset@gamma.example", message_id=mid("gamma")),
        "refused",
    )
    add(
        "unknown_sender",
        plain(REQUEST, sender="who@nowhere.example", message_id=mid("who")),
        "quarantine",
    )
    add("duplicate_first", plain(REQUEST + " dup", message_id=mid("dup")), "ticket")
    add(
        "duplicate_again",
        b"Received: from mx2.example\r\n" + plain(REQUEST + " dup", message_id=mid("dup")),
        "duplicate",
    )

    # --- Structure ------------------------------------------------------------------------
    add(
        "no_boundary",
        headers(message_id=mid("nob"))
        + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n",
        "quarantine",
    )
    add(
        "boundary_never_used",
        headers(message_id=mid("bnu"))
        + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="zzz"\r\n\r\n'
        + b"plain text\r\n",
        "quarantine",
    )
    add(
        "bad_base64_attachment",
        multipart(
            [text_part("see file"), bad_base64_part(b"SGVsbG8gd29ybGQ*&^%")],
            message_id=mid("b64a"),
            extra=f"In-Reply-To: {t.message_id_000}\r\n",
        ),
        "quarantine",
    )
    add(
        "bad_base64_length",
        multipart(
            [text_part("see file"), bad_base64_part(b"SGVsbG8gd29yb")],
            message_id=mid("b64l"),
            extra=f"In-Reply-To: {t.message_id_000}\r\n",
        ),
        "quarantine",
    )
    add(
        "bad_base64_text",
        plain(b"@@@@ not base64 at all ====", encoding="base64", message_id=mid("b64t")),
        "quarantine",
    )
    add("nested_100", nested(100, message_id=mid("n100")), "quarantine")
    add("nested_forwards_50", nested_forwards(50, message_id=mid("f50")), "quarantine")
    add("parts_10000", many_parts(10_000, message_id=mid("p10k")), "quarantine")
    add("oversized", oversized(oversized_bytes, message_id=mid("big")), "quarantine")
    add("empty", b"", "quarantine")
    add("garbage", bytes(range(256)) * 8, "quarantine")
    add("headers_only", headers(message_id=mid("ho")), None)
    add("nul_bytes", plain("null\x00byte\x00here", message_id=mid("nul")), None)
    add("bare_cr_lines", plain("line1\rline2\rline3", message_id=mid("cr")), None)
    add("lf_only", plain(REQUEST, message_id=mid("lf")).replace(b"\r\n", b"\n"), None)
    add("long_lines_998", plain("x" * 5000 + "\n" + "y" * 20_000, message_id=mid("long")), None)
    add("long_subject", plain("body", subject="S" * 10_000, message_id=mid("lsub")), None)
    add(
        "many_headers",
        plain("body", message_id=mid("mh"), extra="".join(f"X-H{n}: {n}\r\n" for n in range(5000))),
        None,
    )
    add(
        "html_only_script",
        headers(message_id=mid("html"), extra=f"In-Reply-To: {t.message_id_000}\r\n")
        + b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + b'<p>Fixed</p><script>alert(1)</script><details open ontoggle="alert(2)">x</details>'
        + b'<img src="http://169.254.169.254/latest/meta-data/">'
        + b'<a href="javascript:alert(3)">y</a>',
        "reply",
    )
    add(
        "html_20k_links",
        headers(message_id=mid("links"))
        + b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + b"".join(b'<a href="http://e.example/%d">l</a>' % n for n in range(20_000)),
        None,
    )
    add(
        "uuencoded",
        plain("begin 644 a.txt\n#86)C\n`\nend\n", message_id=mid("uu")),
        None,
    )
    add(
        "broken_quoted_printable",
        plain(b"=ZZ=\r\n=4", encoding="quoted-printable", message_id=mid("qp")),
        None,
    )
    add(
        "empty_alternative",
        multipart(
            [b"Content-Type: text/plain\r\n\r\n", b"Content-Type: text/html\r\n\r\n"],
            subtype="alternative",
            message_id=mid("ea"),
        ),
        None,
    )

    # --- Charsets and names ---------------------------------------------------------------
    add("gb18030", plain("问题描述：备份失败", charset="gb18030", message_id=mid("gb")), None)
    add(
        "iso2022jp",
        plain("バックアップが失敗しました", charset="iso-2022-jp", message_id=mid("jp")),
        None,
    )
    add(
        "koi8r",
        plain("Проблема с резервным копированием", charset="koi8-r", message_id=mid("koi")),
        None,
    )
    add(
        "unknown_charset",
        plain(b"caf\xe9 \xff\xfe", charset="x-unknown-42", message_id=mid("unk")),
        None,
    )
    add("invalid_utf8", plain(b"\xc3\x28 \xa0\xa1 \xf0\x28\x8c\x28", message_id=mid("iu8")), None)
    add(
        "eight_bit_headers",
        headers(message_id=mid("8bh"), subject="Тема без кодировки") + b"\r\nbody\r\n",
        None,
    )
    add(
        "rfc2231_filename",
        multipart(
            [
                text_part("files"),
                file_part("filename*=UTF-8''%D0%BB%D0%BE%D0%B3.txt", b"log line\n" * 10),
            ],
            message_id=mid("2231"),
            extra=f"In-Reply-To: {t.message_id_000}\r\n",
        ),
        "reply",
    )
    add(
        "encoded_word_filename",
        multipart(
            [
                text_part("files"),
                file_part('filename="=?utf-8?b?0YTQsNC50LsudHh0?="', b"data\n" * 5),
            ],
            message_id=mid("ew"),
            extra=f"In-Reply-To: {t.message_id_000}\r\n",
        ),
        "reply",
    )
    add(
        "path_traversal_filename",
        multipart(
            [text_part("files"), file_part('filename="../../../etc/passwd"', b"root:x:0:0\n")],
            message_id=mid("trav"),
            extra=f"In-Reply-To: {t.message_id_000}\r\n",
        ),
        "reply",
    )
    add(
        "rtl_filename",
        multipart(
            [text_part("files"), file_part('filename="report\u202etxt.exe"', b"text\n" * 5)],
            message_id=mid("rtlf"),
            extra=f"In-Reply-To: {t.message_id_000}\r\n",
        ),
        "reply",
    )
    add(
        "svg_attachment",
        multipart(
            [
                text_part("image"),
                file_part('filename="x.svg"', b'<svg onload="alert(1)"/>', "image/svg+xml"),
            ],
            message_id=mid("svg"),
            extra=f"In-Reply-To: {t.message_id_000}\r\n",
        ),
        "reply",
    )

    # --- Headers --------------------------------------------------------------------------
    add(
        "subject_header_injection",
        plain(
            "body",
            sender="who@nowhere.example",
            to=USERGATE,
            subject="=?utf-8?b?"
            + base64.b64encode(b"Hi\r\nBcc: victim@example.com\r\nX-Evil: 1").decode()
            + "?=",
            message_id=mid("inj"),
        ),
        "policy_answer",
    )
    add(
        "from_name_injection",
        plain(
            "body",
            sender='"=?utf-8?b?'
            + base64.b64encode(b"A\r\nBcc: v@example.com").decode()
            + '?=" <ivan@alpha.example>',
            message_id=mid("injf"),
        ),
        None,
    )
    add(
        "message_id_injection",
        plain("body", sender=OLGA, to=USERGATE, message_id="<a@b>\r\nBcc: victim@example.com"),
        None,
    )
    add(
        "rtl_subject",
        plain(REQUEST, subject="\u202eevil\u202c gnp.exe", message_id=mid("rtl")),
        "ticket",
    )
    add(
        "zero_width_subject",
        plain(REQUEST, subject="Net\u200bBack\u200dup\ufeff fails", message_id=mid("zw")),
        "ticket",
    )
    add(
        "ambiguous_from_comment",
        plain(REQUEST, sender="alice@evil(<ivan@alpha.example>", message_id=mid("amb")),
        "quarantine",
    )
    add(
        "two_from_headers",
        b"From: evil@evil.example\r\n" + plain(REQUEST, message_id=mid("2from")),
        "quarantine",
    )
    add(
        "two_addresses_in_from",
        plain(REQUEST, sender="ivan@alpha.example, evil@evil.example", message_id=mid("2addr")),
        "quarantine",
    )
    add(
        "no_from",
        plain(REQUEST, message_id=mid("nofrom")).replace(b"From: ivan@alpha.example\r\n", b""),
        "quarantine",
    )
    add(
        "no_message_id",
        plain("no id", sender=OLGA, to=USERGATE, message_id="").replace(b"Message-ID: \r\n", b""),
        "policy_answer",
    )

    # --- Spoofed threading ----------------------------------------------------------------
    add(
        "spoof_unsigned_outbox_id",
        plain(
            "attach me",
            sender="who@nowhere.example",
            message_id=mid("sp1"),
            extra="In-Reply-To: <outbox-1@supportdesk>\r\n",
        ),
        "quarantine",
    )
    add(
        "spoof_forged_tag",
        plain(
            "attach me",
            sender="who@nowhere.example",
            to=f"support+{t.number_000}.0123456789abcdef@localhost",
            message_id=mid("sp2"),
        ),
        "quarantine",
    )
    add(
        "spoof_number_in_subject_only",
        plain(
            "attach me",
            sender="who@nowhere.example",
            subject=f"Re: [{t.number_000}]",
            message_id=mid("sp3"),
        ),
        "quarantine",
    )
    add(
        "spoof_real_token_wrong_sender",
        plain(
            "attach me",
            sender="petr@alpha.example",
            message_id=mid("sp4"),
            extra=f"In-Reply-To: {t.message_id_000}\r\n",
        ),
        "quarantine",
    )
    add(
        "spoof_real_token_other_org",
        plain(
            "attach me",
            sender=OLGA,
            message_id=mid("sp5"),
            extra=f"References: <x@y> {t.message_id_000}\r\n",
        ),
        "quarantine",
    )

    # --- Automatic mail and loops -------------------------------------------------------
    auto = f"In-Reply-To: {t.message_id_000}\r\n"
    add(
        "auto_replied",
        plain(
            "Out of office", message_id=mid("oof"), extra="Auto-Submitted: auto-replied\r\n" + auto
        ),
        "ignored_loop",
    )
    add(
        "auto_generated",
        plain("Robot", message_id=mid("gen"), extra="Auto-Submitted: auto-generated\r\n"),
        "ignored_loop",
    )
    add(
        "auto_submitted_no",
        plain(REQUEST, message_id=mid("asno"), extra="Auto-Submitted: no\r\n"),
        "ticket",
    )
    for kind in ("bulk", "list", "junk"):
        add(
            f"precedence_{kind}",
            plain("news", message_id=mid(f"prec{kind}"), extra=f"Precedence: {kind}\r\n"),
            "ignored_loop",
        )
    add(
        "list_id",
        plain("list mail", message_id=mid("lid"), extra="List-Id: <users.lists.example>\r\n"),
        "ignored_loop",
    )
    add(
        "dsn",
        dsn(sender="MAILER-DAEMON@mx.customer.example", message_id=mid("dsn")),
        "ignored_loop",
    )
    add("dsn_from_person_address", dsn(message_id=mid("dsn2")), "ignored_loop")
    add(
        "mailer_daemon",
        plain("bounce", sender="MAILER-DAEMON@mx.example", message_id=mid("md")),
        "ignored_loop",
    )
    add(
        "postmaster",
        plain("bounce", sender="postmaster@mx.example", message_id=mid("pm")),
        "ignored_loop",
    )
    add(
        "empty_return_path",
        b"Return-Path: <>\r\n" + plain("bounce", message_id=mid("rp")),
        "ignored_loop",
    )
    add(
        "x_autoreply",
        plain("away", message_id=mid("xar"), extra="X-Autoreply: yes\r\n"),
        "ignored_loop",
    )
    add(
        "from_our_own_address",
        plain("echo", sender="support@localhost", message_id=mid("own")),
        "ignored_loop",
    )
    add(
        "from_our_intake_address",
        plain("echo", sender=VERITAS, message_id=mid("own2")),
        "ignored_loop",
    )
    # Another desk answers every mail with a fresh message and no automatic headers: we answer
    # it a few times, then the hourly limit ends the loop.
    for n in range(8):
        add(
            f"desk_loop_{n}",
            plain(
                f"Your ticket #{n} was received by our desk.",
                sender="helpdesk@other-desk.example",
                to=USERGATE,
                subject="Re: " * (n + 1) + "please use the support portal",
                message_id=mid(f"loop{n}"),
            ),
            "policy_answer",
        )
    return out
