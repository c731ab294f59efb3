"""A few demo tickets in telling states, so the demo shows timers running, paused and breached.

Created through the same actions as real work, with ``now`` set in the past, then swept once so
warnings and breaches that are already due fire. Loaded by ``supportdesk load_demo`` (not by the
test fixture, whose tickets start from number 1).
"""

from __future__ import annotations

import datetime
from dataclasses import replace

from django.utils import timezone

from supportdesk.contracts.entitlements import diagnostics_checklist
from supportdesk.demo.cast import DemoCast
from supportdesk.regulations.models import Channel
from supportdesk.sla.sweep import sweep_sla
from supportdesk.tickets import actions
from supportdesk.tickets.actions import RequestedItem
from supportdesk.tickets.models import Ticket
from supportdesk.tickets.registration import RegistrationRequest, register_ticket

HOUR = datetime.timedelta(hours=1)


def load_demo_tickets(cast: DemoCast, *, now: datetime.datetime | None = None) -> list[Ticket]:
    """Create the demo tickets once; returns them (or nothing when the demo already has them)."""
    now = now or timezone.now()
    if Ticket.objects.filter(organization__in=[cast.alpha, cast.beta]).exists():
        return []
    # shared by the tickets below; each one replaces what differs
    sep = RegistrationRequest(
        channel=Channel.PORTAL,
        requested_by=cast.customer_alpha,
        contact=cast.customer_alpha.contact,
        support_contact_id="SC-1001",
        product=cast.product_sep,
        version="14.3 RU9",
        os_version="Windows Server 2022",
        service_pack="KB5034439",
    )
    ngfw = RegistrationRequest(
        channel=Channel.PORTAL,
        requested_by=cast.customer_beta,
        contact=cast.customer_beta.contact,
        license_key=cast.license_key_beta.key,
        version="7.2",
        # The customer's administrator carried out the regulation's primary diagnostics.
        diagnostics_confirmed=tuple(
            item.pk for item in diagnostics_checklist(cast.regulation_002, cast.product_ngfw)
        ),
    )

    counting = register_ticket(
        request=replace(
            sep,
            subject="Клиенты не получают обновления определений",
            description="С утра клиенты SEP показывают определения недельной давности.",
            priority_code="p2",
        ),
        now=now - HOUR,
    )

    waiting = register_ticket(
        request=replace(
            sep,
            subject="Сбой репликации между серверами управления",
            description="Репликация SEPM останавливается с ошибкой 0x80070005.",
            priority_code="p3",
        ),
        now=now - 26 * HOUR,
    )
    actions.take_ticket(ticket=waiting, actor=cast.engineer, now=now - 25 * HOUR)
    actions.request_diagnostics(
        ticket=waiting,
        actor=cast.engineer,
        items=[RequestedItem("logs"), RequestedItem("configuration")],
        message="Пришлите, пожалуйста, журналы SEPM и файл конфигурации репликации.",
        now=now - 24 * HOUR,
    )

    breached = register_ticket(
        request=replace(
            ngfw,
            subject="Cluster failover does not happen",
            description="After the primary node fails the standby stays passive.",
            priority_code="p1",
        ),
        now=now - 3 * HOUR,
    )

    # Premium P1 runs on the 24×7 calendar: its reaction timer counts down even at night.
    urgent = register_ticket(
        request=replace(
            ngfw,
            subject="Web filtering blocks the whole office",
            description="Since the signature update every HTTPS site is blocked.",
            priority_code="p1",
        ),
        now=now - datetime.timedelta(minutes=10),
    )

    proposed = register_ticket(
        request=replace(
            ngfw,
            subject="VPN tunnels drop every hour",
            description="Site-to-site tunnels renegotiate every 60 minutes and drop traffic.",
            priority_code="p3",
        ),
        now=now - 30 * HOUR,
    )
    actions.take_ticket(ticket=proposed, actor=cast.engineer, now=now - 29 * HOUR)
    actions.propose_solution(
        ticket=proposed,
        actor=cast.engineer,
        body="Set the IKE SA lifetime on both sides to 86400 s; see the attached article.",
        now=now - 20 * HOUR,
    )

    sweep_sla(now=now)
    return [counting, waiting, breached, urgent, proposed]
