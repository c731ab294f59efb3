"""Where an incoming message belongs: the ticket it answers (only through our signed tokens),
the regulation and product line whose address it was sent to, and whether it is our own mail."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.db.models import Q

from supportdesk.accounts.models import User
from supportdesk.catalog.models import ProductLine
from supportdesk.mail.models import Mailbox
from supportdesk.mail.parsing import ParsedMail
from supportdesk.outbox.models import OutboxMessage
from supportdesk.outbox.tokens import outbox_id_from, ticket_number_from
from supportdesk.regulations.models import Channel, ChannelRule, Regulation
from supportdesk.tickets.models import Ticket


@dataclass(frozen=True)
class Route:
    """The regulation (and product line, None for all of its lines) an address serves."""

    regulation: Regulation
    product_line: ProductLine | None


def _untagged(address: str) -> str:
    local, at, domain = address.lower().rpartition("@")
    return f"{local.partition('+')[0]}{at}{domain}"


def own_addresses() -> set[str]:
    """Every address we send from or take mail at."""
    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1], parseaddr(settings.SERVER_EMAIL)[1]}
    addresses.update(Mailbox.objects.values_list("address", flat=True))
    addresses.update(
        ChannelRule.objects.filter(channel=Channel.EMAIL).values_list("address", flat=True)
    )
    return {_untagged(a) for a in addresses if a and "@" in a}


def is_own_address(address: str, own: set[str] | None = None) -> bool:
    return _untagged(address) in (own if own is not None else own_addresses())


def find_thread(mail: ParsedMail) -> Ticket | None:
    """The ticket this message answers: a signed Message-ID of ours in In-Reply-To/References,
    or our signed reply address among the recipients. Unsigned or forged tokens find nothing."""
    ticket: Ticket | None = None
    outbox_ids = [
        outbox_id
        for value in [*mail.in_reply_to, *mail.references]
        if (outbox_id := outbox_id_from(value)) is not None
    ]
    if outbox_ids:
        row = (
            OutboxMessage.objects.filter(pk__in=outbox_ids, ticket__isnull=False)
            .select_related("ticket")
            .order_by("-id")
            .first()
        )
        ticket = row.ticket if row is not None else None
    if ticket is None:
        numbers = [n for a in mail.recipients if (n := ticket_number_from(a)) is not None]
        if numbers:
            ticket = Ticket.objects.filter(number__iexact=numbers[0]).first()
    # A merged request answers for the one it was merged into.
    for _hop in range(5):
        if ticket is None or ticket.merged_into_id is None:
            break
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
    return ticket


def find_route(mail: ParsedMail, mailbox: Mailbox | None) -> Route | None:
    """The mailbox's regulation and line; for piped mail, the mailbox or the e-mail channel
    rule whose address the message was sent to."""
    if mailbox is not None:
        return Route(mailbox.regulation, mailbox.product_line)
    recipients = {_untagged(a) for a in mail.recipients}
    if not recipients:
        return None
    query = Q()
    for address in recipients:
        query |= Q(address__iexact=address)
    box = (
        Mailbox.objects.filter(query, is_active=True)
        .select_related("regulation", "product_line")
        .order_by("id")
        .first()
    )
    if box is not None:
        return Route(box.regulation, box.product_line)
    rule = (
        ChannelRule.objects.filter(query, channel=Channel.EMAIL)
        .select_related("regulation", "product_line")
        .order_by("id")
        .first()
    )
    if rule is not None:
        return Route(rule.regulation, rule.product_line)
    return None


def email_allowed(route: Route) -> bool:
    """Whether the regulation takes new requests by e-mail for the route's product line."""
    rules = ChannelRule.objects.filter(regulation=route.regulation, channel=Channel.EMAIL)
    if route.product_line is not None:
        rules = rules.filter(Q(product_line__isnull=True) | Q(product_line=route.product_line))
    return rules.exists()


def sender_user(address: str) -> User | None:
    """The active user with this address (case-insensitive), if exactly one."""
    if not address:
        return None
    users = list(User.objects.filter(email__iexact=address, is_active=True)[:2])
    return users[0] if len(users) == 1 else None
