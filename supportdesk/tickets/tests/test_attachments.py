"""Attachments: type by content, size limits, hostile names, storage, download headers."""

from __future__ import annotations

import datetime
import hashlib
import io
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import translation

from supportdesk import access
from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets import actions, attachments
from supportdesk.tickets.models import Attachment, TicketEvent
from supportdesk.tickets.tests.helpers import ngfw_ticket, sep_ticket

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
LOG = b"2026-11-23 12:00:01 ERROR tunnel down\n" * 10


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


class RawUpload(io.BytesIO):
    """A file with exactly the given name: Django's own upload classes already trim some names,
    and the sanitizer must not rely on that (mail intake passes names from MIME headers)."""

    def __init__(self, name: str, content: bytes) -> None:
        super().__init__(content)
        self.name = name
        self.size = len(content)


def reply(cast, ticket, *files, body="See attached."):
    actions.add_customer_reply(
        ticket=ticket, actor=cast.customer_alpha, body=body, files=list(files)
    )
    return TicketEvent.objects.filter(ticket=ticket).latest("id")


def test_png_named_txt_is_stored_as_png(cast):
    ticket = sep_ticket(cast)
    event = reply(cast, ticket, upload("notes.txt", PNG))
    attachment = event.attachments.get()
    assert (attachment.content_type, attachment.original_name) == ("image/png", "notes.txt.png")


def test_pdf_named_exe_is_accepted_as_pdf(cast):
    event = reply(cast, sep_ticket(cast), upload("setup.exe", PDF))
    assert event.attachments.get().original_name == "setup.exe.pdf"


def test_exe_named_pdf_is_refused_and_the_reply_is_kept(cast):
    ticket = sep_ticket(cast)
    event = reply(cast, ticket, upload("report.pdf", EXE), upload("vpn.log", LOG))
    assert event.body == "See attached."
    assert [a.original_name for a in event.attachments.all()] == ["vpn.log"]
    assert event.data["rejected_files"] == [
        {
            "name": "report.pdf",
            "code": "type_not_allowed",
            "message": "report.pdf is not accepted: its content is EXE. Allowed types: 7z, cfg, "
            "conf, csv, gif, gz, jpg, json, log, pdf, png, txt, xml, zip.",
        }
    ]
    # The owner's notice lists only the accepted file.
    assert not Attachment.objects.filter(original_name="report.pdf").exists()


def test_oversize_file_is_refused_with_a_message_and_the_reply_is_kept(cast):
    ticket = sep_ticket(cast)
    regulation = ticket.regulation
    regulation.max_attachment_mb = 1
    regulation.save(update_fields=["max_attachment_mb"])
    big = upload("dump.log", b"x" * (1024 * 1024 + 1))
    event = reply(cast, ticket, big, body="The dump is big.")
    assert event.body == "The dump is big."
    assert event.attachments.count() == 0
    assert event.data["rejected_files"] == [
        {
            "name": "dump.log",
            "code": "too_large",
            "message": "dump.log is too large (1.0 MB); the limit is 1 MB.",
        }
    ]


def test_only_refused_files_and_no_text_changes_nothing(cast):
    ticket = sep_ticket(cast)
    events, mails = TicketEvent.objects.count(), OutboxMessage.objects.count()
    with pytest.raises(actions.TicketActionError) as info:
        actions.add_customer_reply(
            ticket=ticket, actor=cast.customer_alpha, body="", files=[upload("a.pdf", EXE)]
        )
    assert (info.value.code, info.value.status, info.value.fields) == (
        "attachments_rejected",
        422,
        ["files"],
    )
    assert (TicketEvent.objects.count(), OutboxMessage.objects.count()) == (events, mails)
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd", "passwd.txt"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("a\x00b\r\nc.log", "abc.log"),
        ("invoice\u202efdp.exe", "invoicefdp.exe.txt"),
        ("   ", "attachment.txt"),
        ("..", "attachment.txt"),
        ('x<y>:"|?*.log', "x_y______.log"),
        ("a" * 300 + ".log", "a" * 251 + ".log"),
    ],
)
def test_hostile_names_are_stored_safely(cast, name, stored):
    event = reply(cast, sep_ticket(cast), RawUpload(name, LOG))
    attachment = event.attachments.get()
    assert attachment.original_name == stored
    assert len(attachment.original_name) <= 255
    # On disk: a generated name under MEDIA_ROOT, nothing of the customer's name.
    path = Path(attachment.file.path).resolve()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert path.name == attachment.storage_token
    assert len(attachment.storage_token) == 64


def test_checksum_and_size_are_kept(cast):
    event = reply(cast, sep_ticket(cast), upload("vpn.log", LOG))
    attachment = event.attachments.get()
    assert attachment.sha256 == hashlib.sha256(LOG).hexdigest()
    assert attachment.size == len(LOG)
    assert attachment.uploaded_by == cast.customer_alpha
    assert attachment.file.read() == LOG


def test_download_is_an_attachment_with_nosniff_and_rfc6266_name(cast):
    event = reply(cast, sep_ticket(cast), upload("отчёт 2026.log", LOG))
    response = attachments.attachment_response(event.attachments.get(), user=None)
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        'attachment; filename="_____ 2026.log"; '
        "filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%202026.log"
    )
    assert response.getvalue() == LOG


def test_content_disposition_cannot_be_broken_by_quotes():
    header = attachments.content_disposition('a"; filename="evil.html')
    assert header == (
        'attachment; filename="a__ filename=_evil.html"; '
        "filename*=UTF-8''a%22%3B%20filename%3D%22evil.html"
    )


def test_other_organizations_and_internal_attachments_are_not_found(cast):
    ticket = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    public = reply(cast, ticket, upload("vpn.log", LOG)).attachments.get()
    actions.add_internal_note(
        ticket=ticket, actor=cast.engineer, body="Our notes.", files=[upload("internal.log", LOG)]
    )
    internal = Attachment.objects.get(original_name="internal.log")

    assert access.get_attachment_for_user(cast.customer_alpha, public.pk) == public
    assert access.get_attachment_for_user(cast.orgadmin_alpha, public.pk) == public
    assert access.get_attachment_for_user(cast.engineer, internal.pk) == internal
    for user, attachment in [
        (cast.customer_beta, public),
        (cast.colleague_alpha, public),
        (cast.engineer_en, public),
        (cast.customer_alpha, internal),
        (cast.orgadmin_alpha, internal),
    ]:
        with pytest.raises(Http404):
            access.get_attachment_for_user(user, attachment.pk)


def test_each_regulation_has_its_own_limits(cast):
    ticket = ngfw_ticket(cast)
    regulation = ticket.regulation
    regulation.allowed_attachment_types = "log"
    regulation.save(update_fields=["allowed_attachment_types"])
    actions.add_customer_reply(
        ticket=ticket,
        actor=cast.customer_beta,
        body="Two files.",
        files=[upload("a.log", LOG), upload("b.png", PNG)],
    )
    event = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert [a.original_name for a in event.attachments.all()] == ["a.log"]
    assert [r["code"] for r in event.data["rejected_files"]] == ["type_not_allowed"]


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("CON.txt", "_CON.txt"),
        ("NUL.txt", "_NUL.txt"),
        ("COM1.txt", "_COM1.txt"),
        ("LPT1.txt", "_LPT1.txt"),
        ("aux.log", "_aux.log"),
        ("prn", "_prn"),
        ("Con.tar.gz", "_Con.tar.gz"),
        ("console.txt", "console.txt"),
        ("COM10.txt", "COM10.txt"),
    ],
)
def test_windows_device_names_are_renamed(name, kept):
    assert attachments.sanitize_filename(name) == kept
