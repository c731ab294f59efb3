"""Attachments: validation by sniffed content, safe names, storage under generated names, download.

The type of a file is taken from its content (the ``filetype`` package plus a text heuristic),
never from the file name or the Content-Type the client sent. Files are stored under MEDIA_ROOT,
which no URL serves, with a random token as the name; the customer's name is only a column. They
are served by ``attachment_response`` after the caller checked access (``access.
get_attachment_for_user``), always as a download with ``nosniff``.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Iterable, Set
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

import filetype
from django.core.files import File
from django.http import FileResponse
from django.utils.translation import gettext as _

from supportdesk.audit.services import record_download
from supportdesk.regulations.models import Regulation
from supportdesk.tickets.models import Attachment, Ticket, TicketEvent

MAX_NAME_LENGTH = 255
SNIFF_BYTES = 8192
CHUNK = 64 * 1024

# Types that have no magic number and are recognised as text by the heuristic.
TEXT_TYPES = frozenset({"txt", "log", "xml", "json", "csv", "cfg", "conf", "ini", "yaml", "yml"})
# Characters Windows or shells treat specially; replaced in display names.
UNSAFE_NAME_CHARACTERS = set('<>:"/\\|?*')
# Device names Windows opens instead of a file, whatever the extension ("CON.txt", "aux.log",
# "COM1.tar.gz"): a downloaded file keeps its name with "_" in front.
WINDOWS_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{digit}" for port in ("COM", "LPT") for digit in [*"123456789", "¹", "²", "³"]}
)


class AttachmentRejected(Exception):
    """A file that may not be attached; ``message`` is translated and says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed validation, with what was learnt from its content."""

    file: Any
    name: str
    extension: str
    content_type: str
    size: int
    sha256: str


def sanitize_filename(name: str) -> str:
    """A display name that is safe to store and show: no directories, no control or bidi
    characters (U+202E would make "exe.pdf" read as "fdp.exe"), at most 255 characters with the
    extension kept."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = []
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            continue
        cleaned.append("_" if char in UNSAFE_NAME_CHARACTERS else char)
    name = " ".join("".join(cleaned).split()).strip(" .")
    if not name:
        return "attachment"
    if name.split(".", 1)[0].rstrip(" ").upper() in WINDOWS_RESERVED_NAMES:
        name = "_" + name
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


# Extensions that name the same content as the sniffed one.
SAME_TYPE = {"jpg": {"jpg", "jpeg"}, "tif": {"tif", "tiff"}, "gz": {"gz", "tgz"}}


def name_for_type(name: str, extension: str) -> str:
    """The display name, with the sniffed type's extension appended when the name claims another
    type: a text file named "x.exe" is offered for download as "x.exe.txt", a PNG named
    "notes.txt" as "notes.txt.png"."""
    claimed = name.rpartition(".")[2].lower() if "." in name else ""
    same: Set[str]
    if extension == "txt" or extension in TEXT_TYPES:
        same = TEXT_TYPES | {"txt"}
    else:
        same = SAME_TYPE.get(extension, {extension})
    if claimed in same:
        return name
    return sanitize_filename(f"{name[: MAX_NAME_LENGTH - len(extension) - 1]}.{extension}")


def allowed_types(regulation: Regulation) -> set[str]:
    return {
        part.strip().lower().lstrip(".")
        for part in regulation.allowed_attachment_types.split(",")
        if part.strip()
    }


def _decode(head: bytes) -> str | None:
    # A multi-byte UTF-8 character may be cut at the end of the sniffed block.
    for cut in range(4):
        try:
            return head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    try:
        return head.decode("cp1251")
    except UnicodeDecodeError:
        return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    text = _decode(head)
    if text is None:
        return False
    printable = sum(1 for char in text if char.isprintable() or char in "\r\n\t\f")
    return not text or printable / len(text) >= 0.95


def sniff(head: bytes, name: str) -> tuple[str, str]:
    """(extension, MIME type) of the content; ("", "") when it is neither known nor text."""
    kind = filetype.guess(head) if head else None
    if kind is not None:
        return kind.extension, kind.mime
    if _looks_like_text(head):
        claimed = name.rpartition(".")[2].lower() if "." in name else ""
        return (claimed if claimed in TEXT_TYPES else "txt"), "text/plain"
    return "", ""


def _size_of(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
    return int(size)


def check_file(upload: Any, *, regulation: Regulation) -> CheckedFile:
    """Validate one uploaded file against the regulation; raise ``AttachmentRejected``."""
    name = sanitize_filename(getattr(upload, "name", "") or "")
    size = _size_of(upload)
    limit = regulation.max_attachment_mb * 1024 * 1024
    if size > limit:
        raise AttachmentRejected(
            "too_large",
            _("%(name)s is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {
                "name": name,
                "size": f"{size / 1024 / 1024:.1f}",
                "limit": regulation.max_attachment_mb,
            },
        )
    if size == 0:
        raise AttachmentRejected("empty", _("%(name)s is empty.") % {"name": name})
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    extension, content_type = sniff(head, name)
    allowed = allowed_types(regulation)
    # Text is text: any text name is accepted when plain text is.
    is_allowed = extension in allowed or (content_type == "text/plain" and "txt" in allowed)
    if not is_allowed:
        raise AttachmentRejected(
            "type_not_allowed",
            _("%(name)s is not accepted: its content is %(type)s. Allowed types: %(allowed)s.")
            % {
                "name": name,
                "type": extension.upper() if extension else _("of an unknown type"),
                "allowed": ", ".join(sorted(allowed)),
            },
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(CHUNK), b""):
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(
        file=upload,
        name=name_for_type(name, extension),
        extension=extension,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


def check_files(
    files: Iterable[Any], *, regulation: Regulation
) -> tuple[list[CheckedFile], list[dict[str, str]]]:
    """Accepted files and, for each refused one, {"name", "code", "message"} for the event."""
    accepted: list[CheckedFile] = []
    rejected: list[dict[str, str]] = []
    for upload in files:
        try:
            accepted.append(check_file(upload, regulation=regulation))
        except AttachmentRejected as refusal:
            rejected.append(
                {
                    "name": sanitize_filename(getattr(upload, "name", "") or ""),
                    "code": refusal.code,
                    "message": refusal.message,
                }
            )
    return accepted, rejected


def save_attachments(
    *, ticket: Ticket, event: TicketEvent, checked: Iterable[CheckedFile], uploaded_by: Any
) -> list[Attachment]:
    """Store checked files under generated names. Call inside the service's transaction."""
    saved = []
    for item in checked:
        attachment = Attachment(
            ticket=ticket,
            event=event,
            storage_token=secrets.token_hex(32),
            original_name=item.name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            uploaded_by=uploaded_by,
        )
        item.file.seek(0)
        attachment.file.save(attachment.storage_token, File(item.file), save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback ``filename`` and the exact name in ``filename*``."""
    fallback = "".join(
        char if 32 <= ord(char) < 127 and char not in '"\\;%' else "_"
        for char in unicodedata.normalize("NFKD", name)
        if not unicodedata.combining(char)
    )
    encoded = quote(name, safe="")
    return f"attachment; filename=\"{fallback or 'attachment'}\"; filename*=UTF-8''{encoded}"


def attachment_response(attachment: Attachment, *, user: Any) -> FileResponse:
    """The file as a download for ``user``. The caller must have checked access first. An
    agent's download is recorded in the audit log."""
    record_download(user, attachment)
    handle: IO[bytes] = attachment.file.open("rb")
    response = FileResponse(
        handle, content_type=attachment.content_type or "application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition(attachment.original_name)
    response["Content-Length"] = str(attachment.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
