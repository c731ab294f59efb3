"""``supportdesk intake_mail``: take one RFC 5322 message from standard input.

For a mail server's pipe (Postfix ``pipe``, an alias ``|supportdesk intake_mail``). Exit status 0
when the message was taken, whatever its outcome (a ticket, a reply, an answer, quarantine); 75
(EX_TEMPFAIL) when the server should try again later, e.g. while the database is down. Nothing is
lost between the two: the message is either recorded or still the mail server's.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils.translation import gettext as _

from supportdesk.mail.intake import take_message
from supportdesk.mail.models import Mailbox

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Take one e-mail message from standard input (exit 0 taken, 75 try again later)."
    # call_command(..., stdin=...) in tests, as Django's createsuperuser does.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "--mailbox", default="", help="Name of the mailbox the message came to (optional)."
        )

    def handle(self, *args, mailbox: str = "", **options):
        stdin = options.get("stdin") or sys.stdin
        source = getattr(stdin, "buffer", stdin)
        raw = source.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            box = Mailbox.objects.filter(name=mailbox).first() if mailbox else None
            record = take_message(raw, mailbox=box, source="pipe")
        except DatabaseError as error:
            self.stderr.write(_("Not taken, try again later: %(error)s") % {"error": error})
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(
            _("Taken: %(outcome)s (%(reason)s), record %(id)s")
            % {"outcome": record.outcome, "reason": record.reason, "id": record.pk}
        )
