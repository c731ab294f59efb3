"""Reading one RFC 5322 message, defensively: bounded work, every charset decoded, nothing
trusted.

``parse_message`` never raises on hostile input: what it cannot read becomes a ``problem`` (the
intake quarantines the message with it), what is automatic (auto-replies, bounces, lists) becomes
``automatic``. Headers are decoded and stripped of line breaks, control and bidi characters, so
nothing read here can inject a header into a mail we write.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses

from supportdesk.mail.content import html_to_text, sanitize_html, split_quoted

# Bounds on the work one message may cause.
MAX_PARTS = 500
MAX_DEPTH = 30
MAX_HEADER_CHARS = 2000
MAX_REFERENCES = 50
MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>")
ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}$"
)
LOOP_SENDERS = ("mailer-daemon", "postmaster")
BAD_TRANSFER_DEFECTS = ("InvalidBase64",)
STRUCTURE_DEFECTS = (
    "NoBoundaryInMultipartDefect",
    "StartBoundaryNotFoundDefect",
    "CloseBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "MissingHeaderBodySeparatorDefect",
)


@dataclass(frozen=True)
class MailFile:
    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    sender: str = ""
    sender_problem: str = ""
    recipients: list[str] = field(default_factory=list)
    subject: str = ""
    text: str = ""  # what the sender wrote, quoted history folded away
    full_text: str = ""
    html: str = ""  # sanitized
    folded_lines: int = 0
    files: list[MailFile] = field(default_factory=list)
    automatic: str = ""  # why it is automatic mail, when it is
    problems: list[str] = field(default_factory=list)
    too_complex: str = ""
    language: str = "en"
    body_sha256: str = ""


def clean_line(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """One line of text for display and reuse: no line breaks, control, format (bidi,
    zero-width) or private characters; runs of space collapsed."""
    value = unicodedata.normalize("NFC", value[: limit * 2])
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            kept.append(" ")
        else:
            kept.append(char)
    return " ".join("".join(kept).split())[:limit]


def decode_header_value(raw: str | None) -> str:
    """An RFC 2047 header value as text; unknown charsets and bad bytes become U+FFFD."""
    if raw is None:
        return ""
    raw = str(raw)[: MAX_HEADER_CHARS * 4]
    try:
        chunks = decode_header(raw)
    except (HeaderParseError, ValueError, LookupError):
        return raw
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            parts.append(decode_bytes(chunk, charset or "ascii"))
        else:
            parts.append(chunk)
    return "".join(parts)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset; an unknown charset is read as UTF-8. Never raises."""
    name = (charset or "utf-8").strip().strip('"').lower() or "utf-8"
    if name in ("ascii", "us-ascii"):
        name = "utf-8"  # mislabelled 8-bit text is more often UTF-8 than anything else
    if name in ("gb2312", "gbk"):
        name = "gb18030"  # a superset: decodes what mislabelled senders send
    try:
        return data.decode(name, errors="replace")
    except (LookupError, ValueError):
        return data.decode("utf-8", errors="replace")


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:
        return ""
    return "" if value is None else str(value)


def _message_ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value[: MAX_HEADER_CHARS * 4])[:MAX_REFERENCES]


def _sender(message: Message) -> tuple[str, str]:
    """(address, problem). Strict: exactly one address, read the same by two parsers."""
    raw_values = message.get_all("From") or []
    if len(raw_values) != 1:
        return "", "no From header" if not raw_values else "several From headers"
    raw = decode_header_value(str(raw_values[0]))
    if any(char in raw for char in "\r\n\x00"):
        return "", "line break in From"
    pairs = [(name, addr) for name, addr in getaddresses([raw]) if addr]
    if len(pairs) != 1:
        return "", f"{len(pairs)} addresses in From"
    address = pairs[0][1].strip().lower()
    try:
        parsed = policy.default.header_factory("from", raw)
        strict = [a.addr_spec.lower() for a in getattr(parsed, "addresses", ())]
    except Exception:
        strict = []
    if strict != [address] or not ADDRESS.match(address):
        return "", "ambiguous From address"
    return address, ""


def _recipients(message: Message) -> list[str]:
    values = []
    for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"):
        for value in message.get_all(name) or []:
            values.append(decode_header_value(str(value)))
    addresses = [addr.strip().lower() for _, addr in getaddresses(values) if "@" in addr]
    return list(dict.fromkeys(addresses))[:100]


def automatic_reason(message: Message, sender: str) -> str:
    """Why this is automatic mail that must never be answered or threaded (RFC 3834, RFC 3464,
    list mail); empty for a person's mail."""
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {clean_line(auto_submitted, 60)}"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    if message.get("List-Id") is not None:
        return "List-Id"
    for name in ("X-Autoreply", "X-Autorespond"):
        if message.get(name) is not None:
            return name
    if message.get_content_type() == "multipart/report":
        return "delivery report (multipart/report)"
    local = sender.partition("@")[0]
    if local in LOOP_SENDERS:
        return f"sender {local}"
    if _header(message, "Return-Path").strip() == "<>":
        return "empty Return-Path (a bounce)"
    return ""


def _walk(message: Message, mail: ParsedMail) -> list[tuple[Message, int]]:
    """The leaf parts, depth-first, within the bounds; sets ``too_complex`` past them."""
    leaves: list[tuple[Message, int]] = []
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            mail.too_complex = f"more than {MAX_PARTS} MIME parts"
            return leaves
        if depth > MAX_DEPTH:
            mail.too_complex = f"MIME parts nested deeper than {MAX_DEPTH}"
            return leaves
        if part.is_multipart():
            payload = part.get_payload()
            children = payload if isinstance(payload, list) else []
            stack.extend((child, depth + 1) for child in reversed(children))
        else:
            leaves.append((part, depth))
    return leaves


def _defects(message: Message, leaves: list[tuple[Message, int]]) -> list[str]:
    names = {type(defect).__name__ for defect in message.defects}
    for part, _depth in leaves:
        names.update(type(defect).__name__ for defect in part.defects)
    problems = []
    if names & set(STRUCTURE_DEFECTS):
        problems.append(
            "broken MIME structure: " + ", ".join(sorted(names & set(STRUCTURE_DEFECTS)))
        )
    if any(name.startswith(BAD_TRANSFER_DEFECTS) for name in names):
        problems.append("invalid base64 content")
    return problems


def _file_name(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    name = clean_line(decode_header_value(name), 255) if name else ""
    if not name:
        extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
        name = f"attachment-{index}{extension}"
    return name


def _read_parts(leaves: list[tuple[Message, int]], mail: ParsedMail) -> None:
    plain: str | None = None
    html: str | None = None
    for index, (part, _depth) in enumerate(leaves, start=1):
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            data = b""
        is_body_text = disposition != "attachment" and content_type in ("text/plain", "text/html")
        if is_body_text and not (disposition == "inline" and part.get_filename()):
            text = decode_bytes(data, part.get_content_charset())
            if content_type == "text/plain" and plain is None:
                plain = text
                continue
            if content_type == "text/html" and html is None:
                html = text
                continue
        if data:
            mail.files.append(MailFile(_file_name(part, index), content_type, data))
    if html is not None:
        mail.html = sanitize_html(html)
    # The plain part is preferred; an empty one beside an HTML part is a mailer's placeholder.
    use_html = html is not None and not (plain or "").strip()
    body = html_to_text(html or "") if use_html else plain or ""
    body = body.replace("\r\n", "\n").replace("\x00", "\ufffd")
    mail.full_text = body
    mail.text, mail.folded_lines = split_quoted(body)


def guess_language(text: str) -> str:
    """ru when the text is mostly Cyrillic, else en."""
    sample = text[:4000]
    cyrillic = sum(1 for char in sample if "\u0400" <= char <= "\u04ff")
    latin = sum(1 for char in sample if char.isascii() and char.isalpha())
    return "ru" if cyrillic > latin / 3 and cyrillic > 0 else "en"


def body_hash(raw: bytes) -> str:
    """The hash of what follows the header block: the same message relayed through two
    mailboxes differs only in its trace headers."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(separator)
        if at != -1:
            return hashlib.sha256(raw[at + len(separator) :]).hexdigest()
    return hashlib.sha256(raw).hexdigest()


def parse_message(raw: bytes) -> ParsedMail:
    """Everything intake needs from one raw message. Never raises on hostile input."""
    mail = ParsedMail(body_sha256=body_hash(raw))
    message = message_from_bytes(raw, policy=policy.compat32)
    ids = _message_ids(_header(message, "Message-ID"))
    mail.message_id = ids[0] if ids else ""
    mail.in_reply_to = _message_ids(_header(message, "In-Reply-To"))
    mail.references = _message_ids(_header(message, "References"))
    mail.sender, mail.sender_problem = _sender(message)
    mail.recipients = _recipients(message)
    mail.subject = clean_line(decode_header_value(_header(message, "Subject")), 300)
    mail.automatic = automatic_reason(message, mail.sender)
    leaves = _walk(message, mail)
    if mail.too_complex:
        return mail
    # Decoding registers the transfer-encoding defects (bad base64): read first, then judge.
    _read_parts(leaves, mail)
    mail.problems = _defects(message, leaves)
    mail.language = guess_language(f"{mail.subject}\n{mail.text}")
    return mail
