"""Building raw messages for intake tests."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from supportdesk.mail.intake import take_message
from supportdesk.mail.models import InboundMessage

VERITAS = "veritas-support@support.example"


def raw_message(
    *,
    sender: str = "ivan@alpha.example",
    to: str = VERITAS,
    subject: str = "NetBackup job fails",
    body: str = "Backup job 42 fails with status 96.",
    headers: dict[str, str] | None = None,
    files: list[tuple[str, bytes, str]] | None = None,
    html: str | None = None,
    message_id: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="customer.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, data, content_type in files or []:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    # CRLF line ends, as on the wire and in an IMAP store.
    return message.as_bytes(policy=policy.SMTP)


def take(raw: bytes, **kwargs) -> InboundMessage:
    return take_message(raw, **kwargs)
