"""Work methods by level, split and merge."""

from __future__ import annotations

from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets import actions
from supportdesk.tickets.models import (
    CloseReason,
    TicketEvent,
    TicketState,
)
from supportdesk.tickets.tests.helpers import (
    LATER,
    kinds,
    last_mail_id,
    mails,
    ngfw_ticket,
    refused,
    sep_ticket,
)

Kind = TicketEvent.Kind


def method_of(ticket) -> str | None:
    return ticket.work_method.code if ticket.work_method else None


def test_work_methods_follow_the_level(cast):
    standard = ngfw_ticket(cast, license_key="UGNGFW-STD0-0000-0077")
    assert standard.level.code == "standard"
    error = refused(
        standard,
        lambda: actions.agree_work_method(
            ticket=standard, actor=cast.customer_beta, method_code="phone"
        ),
        "method_not_available",
        422,
    )
    assert error.message == (
        "This work method is not available for Standard support. "
        "Available: Portal consultation, Remote session."
    )
    standard = actions.agree_work_method(
        ticket=standard, actor=cast.customer_beta, method_code="remote"
    )
    assert method_of(standard) == "remote"

    premium = ngfw_ticket(cast)
    premium = actions.take_ticket(ticket=premium, actor=cast.engineer)
    mark = last_mail_id()
    premium = actions.agree_work_method(
        ticket=premium, actor=cast.engineer, method_code="phone", note="Call at 10:00."
    )
    assert method_of(premium) == "phone"
    event = premium.events.get(kind=Kind.WORK_METHOD_AGREED)
    assert event.data == {"from": None, "to": "phone", "side": "support"}
    assert mails(premium, mark) == [("work_method_agreed", ["olga@beta.example"], "en")]

    sep = sep_ticket(cast)
    refused(
        sep,
        lambda: actions.agree_work_method(
            ticket=sep, actor=cast.customer_alpha, method_code="remote"
        ),
        "method_not_available",
        422,
    )
    sep = actions.agree_work_method(ticket=sep, actor=cast.customer_alpha, method_code="phone")
    assert method_of(sep) == "phone"


def test_split_creates_a_linked_ticket_with_its_own_number(cast):
    source = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    mark = last_mail_id()
    refused(
        source,
        lambda: actions.split_ticket(
            ticket=source, actor=cast.customer_alpha, subject="x", description="y"
        ),
        "forbidden",
        403,
    )
    new = actions.split_ticket(
        ticket=source,
        actor=cast.engineer,
        subject="Console is slow",
        description="The management console takes a minute to open.",
        now=LATER,
    )
    assert new.number == "SD-2026-000002"
    assert (new.organization, new.contract, new.product, new.contact, new.priority) == (
        source.organization, source.contract, source.product, source.contact, source.priority,
    )  # fmt: skip
    assert (new.registered_at, new.state, new.split_from) == (
        LATER,
        TicketState.REGISTERED,
        source,
    )
    assert list(source.split_tickets.all()) == [new]
    assert kinds(new) == [Kind.REGISTERED]
    assert new.events.get().data["split_from"] == source.number
    split = source.events.get(kind=Kind.SPLIT)
    assert split.data == {"to": new.number}
    assert mails(new, mark) == [("ticket_registered", ["ivan@alpha.example"], "ru")]
    assert OutboxMessage.objects.get(ticket=new).subject.startswith("[SD-2026-000002] ")


def test_merge_closes_as_duplicate_without_losing_history(cast):
    target = actions.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    source = actions.take_ticket(
        ticket=sep_ticket(cast, subject="Same problem again"), actor=cast.engineer
    )
    actions.add_public_reply(ticket=source, actor=cast.engineer, body="Looking.")
    source_events = kinds(source)
    foreign = ngfw_ticket(cast)
    refused(
        source,
        lambda: actions.merge_ticket(ticket=source, actor=cast.engineer, target=foreign),
        "not_found",
        404,
    )
    refused(
        source,
        lambda: actions.merge_ticket(ticket=source, actor=cast.engineer, target=source),
        "invalid",
        422,
    )
    source = actions.merge_ticket(
        ticket=source, actor=cast.engineer, target=target, reason="Same outage."
    )
    assert (source.state, source.close_reason, source.merged_into) == (
        TicketState.CLOSED,
        CloseReason.DUPLICATE,
        target,
    )
    assert kinds(source) == [*source_events, Kind.MERGED, Kind.STATE_CHANGED]
    assert source.events.get(kind=Kind.MERGED).data == {"into": target.number}
    assert target.events.get(kind=Kind.MERGED_IN).data == {"from": source.number}
    assert list(target.merged_tickets.all()) == [source]
    closed = OutboxMessage.objects.get(ticket=source, template="ticket_closed")
    assert target.number in closed.body_text
    refused(
        source,
        lambda: actions.reopen_ticket(ticket=source, actor=cast.engineer, reason="Oops."),
        "merged",
        409,
    )
