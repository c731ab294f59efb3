"""``supportdesk load_demo``: both seed regulations and the demo cast, then the demo logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from supportdesk.demo.cast import PASSWORD, load_demo
from supportdesk.demo.tickets import load_demo_tickets


class Command(BaseCommand):
    help = "Load both seed regulations and the demo organizations, contacts, agents, contracts."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-tickets",
            action="store_true",
            help="Do not create the demo tickets (timers running, paused, breached).",
        )

    def handle(self, *args, no_tickets: bool = False, **options) -> None:
        cast = load_demo()
        if not no_tickets:
            for ticket in load_demo_tickets(cast):
                self.stdout.write(
                    _("Demo request %(number)s: %(subject)s")
                    % {"number": ticket.number, "subject": ticket.subject}
                )
        rows = [
            (_("Customer contact"), cast.customer_alpha),
            (_("Organization administrator"), cast.orgadmin_alpha),
            (_("Customer contact (colleague)"), cast.colleague_alpha),
            (_("Customer contact"), cast.customer_beta),
            (_("Customer contact, expired contract"), cast.customer_gamma),
            (_("Engineer"), cast.engineer),
            (_("Engineer, English"), cast.engineer_en),
            (_("Dispatcher"), cast.dispatcher),
            (_("Manager"), cast.manager),
            (_("Administrator"), cast.administrator),
            (_("Account manager"), cast.account_manager),
        ]
        table = [(_("Role"), _("E-mail"), _("Password"))]
        table += [(str(role), user.email, PASSWORD) for role, user in rows]
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        self.stdout.write(
            _("Demo loaded: regulations %(codes)s.")
            % {"codes": ", ".join([cast.regulation_000.code, cast.regulation_002.code])}
        )
        for index, row in enumerate(table):
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
