"""``supportdesk load_demo``: both seed regulations and the demo cast, then the demo logins.

Only into an empty database, so that ``./dev run`` can run it on every start without undoing what
people changed since (an administrator's SLA edit, a user's language); ``--force`` loads anyway.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from supportdesk.accounts.models import User
from supportdesk.demo.cast import PASSWORD, load_demo
from supportdesk.demo.tickets import load_demo_tickets
from supportdesk.regulations.models import Regulation


def database_is_empty() -> bool:
    """No regulation and no user: nobody has set this database up yet.

    Every installation starts with one or the other (a loaded regulation, a superuser, the demo
    itself), so either one means the data is somebody's and the demo must not write over it.
    """
    return not Regulation.objects.exists() and not User.objects.exists()


class Command(BaseCommand):
    help = (
        "Load both seed regulations and the demo organizations, contacts, agents, contracts and "
        "tickets into an empty database (no regulations, no users)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-tickets",
            action="store_true",
            help="Do not create the demo tickets (timers running, paused, breached).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even into a database that has data: the demo's regulations, people and "
            "contracts are set back to the demo's values (existing passwords are kept).",
        )

    def handle(self, *args, no_tickets: bool = False, force: bool = False, **options) -> None:
        if not force and not database_is_empty():
            self.stdout.write(
                _(
                    "The database already has regulations or users: the demo was not loaded and "
                    "nothing was changed. To start over with a fresh database and the demo, run "
                    "./dev run --reset; to load the demo over this data, supportdesk load_demo "
                    "--force."
                )
            )
            return
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
