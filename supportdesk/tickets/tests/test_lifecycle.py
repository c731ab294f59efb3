"""The ticket lifecycle services: every action of both regulations, its events and e-mails."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from supportdesk.outbox.models import OutboxMessage
from supportdesk.regulations.models import Channel
from supportdesk.tickets import services
from supportdesk.tickets.models import (
    CloseReason,
    DiagnosticsRequest,
    Escalation,
    PriorityProposal,
    Ticket,
    TicketEvent,
    TicketState,
)
from supportdesk.tickets.services import (
    RegistrationRequest,
    RequestedItem,
    TicketActionError,
    register_ticket,
)

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)  # Monday, 12:30 Moscow
LATER = NOW + datetime.timedelta(hours=1)
Kind = TicketEvent.Kind
MARKER = "INTERNAL-7f3a-do-not-leak"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def sep_ticket(cast, **overrides) -> Ticket:
    fields = {
        "channel": Channel.PORTAL,
        "requested_by": cast.customer_alpha,
        "contact": cast.customer_alpha.contact,
        "support_contact_id": "SC-1001",
        "product": cast.product_sep,
        "version": "14.3 RU9",
        "os_version": "Windows Server 2022",
        "service_pack": "KB5034439",
        "subject": "Clients do not receive definitions",
        "description": "Since Monday clients show old definitions.",
    }
    fields.update(overrides)
    return register_ticket(request=RegistrationRequest(**fields))


def ngfw_ticket(cast, license_key="UGNGFW-7A1C-92F0-4D1B", **overrides) -> Ticket:
    fields = {
        "channel": Channel.PORTAL,
        "requested_by": cast.customer_beta,
        "contact": cast.customer_beta.contact,
        "license_key": license_key,
        "version": "7.2",
        "description": "VPN tunnels drop every hour.",
        "priority_code": "p2",
    }
    fields.update(overrides)
    return register_ticket(request=RegistrationRequest(**fields))


def log_file(name="vpn.log") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"2026-11-23 12:00:01 ERROR tunnel 3 down\n" * 20)


def config_file(name="ngfw.conf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"[vpn]\nmtu = 1400\nkeepalive = 30\n")


def snapshot(ticket: Ticket) -> tuple:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.state,
        fresh.close_reason,
        fresh.owner_id,
        fresh.priority_id,
        fresh.escalation_level,
        fresh.work_method_id,
        TicketEvent.objects.count(),
        OutboxMessage.objects.count(),
        PriorityProposal.objects.filter(state="pending").count(),
    )


def refused(ticket: Ticket, call, code: str, status: int) -> TicketActionError:
    """The action raises with ``code`` / ``status`` and changes nothing."""
    before = snapshot(ticket)
    with pytest.raises(TicketActionError) as info:
        call()
    assert (info.value.code, info.value.status) == (code, status), info.value.message
    assert snapshot(ticket) == before
    return info.value


def mails(ticket: Ticket, since: int = 0) -> list[tuple[str, list[str], str]]:
    return [
        (m.template, m.recipients, m.language)
        for m in OutboxMessage.objects.filter(ticket=ticket, pk__gt=since).order_by("id")
    ]


def last_mail_id() -> int:
    return OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0


def kinds(ticket: Ticket, since: int = 0) -> list[str]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, pk__gt=since)
        .order_by("id")
        .values_list("kind", flat=True)
    )


@pytest.mark.parametrize("regulation", ["000", "002"])
def test_full_path_for_both_regulations(cast, regulation):
    if regulation == "000":
        ticket, customer = sep_ticket(cast), cast.customer_alpha
    else:
        ticket, customer = ngfw_ticket(cast), cast.customer_beta
    engineer = cast.engineer
    assert ticket.regulation.code == regulation

    ticket = services.take_ticket(ticket=ticket, actor=engineer)
    assert (ticket.state, ticket.owner) == (TicketState.IN_PROGRESS, engineer.agent)

    ticket = services.request_diagnostics(
        ticket=ticket,
        actor=engineer,
        items=[RequestedItem("logs"), RequestedItem("configuration", "the VPN section")],
        message="Please send the logs of the last hour.",
    )
    assert ticket.state == TicketState.WAITING_FOR_CUSTOMER
    request = DiagnosticsRequest.objects.get(ticket=ticket)
    assert [(i.kind, i.text, i.done) for i in request.items.all()] == [
        ("logs", "", False),
        ("configuration", "the VPN section", False),
    ]

    ticket = services.add_customer_reply(
        ticket=ticket,
        actor=customer,
        body="Logs and configuration attached.",
        files=[log_file(), config_file()],
        now=LATER,
    )
    assert ticket.state == TicketState.IN_PROGRESS
    request.refresh_from_db()
    assert request.answered_at == LATER
    assert [(i.done, i.done_at) for i in request.items.all()] == [(True, LATER), (True, LATER)]
    assert sorted(ticket.attachments.values_list("original_name", "content_type")) == [
        ("ngfw.conf", "text/plain"),
        ("vpn.log", "text/plain"),
    ]
    assert request.answer_event.attachments.count() == 2

    ticket = services.propose_solution(ticket=ticket, actor=engineer, body="Set MTU to 1380.")
    assert ticket.state == TicketState.SOLUTION_PROPOSED

    error = refused(
        ticket,
        lambda: services.refuse_solution(ticket=ticket, actor=customer, reason="   "),
        "required",
        422,
    )
    assert error.fields == ["reason"]

    ticket = services.refuse_solution(ticket=ticket, actor=customer, reason="Still drops.")
    assert ticket.state == TicketState.IN_PROGRESS
    ticket = services.propose_solution(ticket=ticket, actor=engineer, body="Update to 7.3.")
    ticket = services.confirm_solution(ticket=ticket, actor=customer)
    assert (ticket.state, ticket.close_reason, ticket.closed_at) == (
        TicketState.CLOSED,
        CloseReason.CONFIRMED,
        NOW,
    )

    assert kinds(ticket) == [
        Kind.REGISTERED,
        Kind.ASSIGNED,
        Kind.STATE_CHANGED,  # registered → in_progress
        Kind.DIAGNOSTICS_REQUESTED,
        Kind.STATE_CHANGED,  # → waiting_for_customer
        Kind.CUSTOMER_REPLY,
        Kind.STATE_CHANGED,  # → in_progress
        Kind.SOLUTION_PROPOSED,
        Kind.STATE_CHANGED,  # → solution_proposed
        Kind.SOLUTION_REFUSED,
        Kind.STATE_CHANGED,  # → in_progress
        Kind.SOLUTION_PROPOSED,
        Kind.STATE_CHANGED,
        Kind.STATE_CHANGED,  # → closed
    ]
    transitions = [
        (e.data["from"], e.data["to"], e.data["action"])
        for e in ticket.events.filter(kind=Kind.STATE_CHANGED).order_by("id")
    ]
    assert transitions == [
        ("registered", "in_progress", "take"),
        ("in_progress", "waiting_for_customer", "request_diagnostics"),
        ("waiting_for_customer", "in_progress", "customer_reply"),
        ("in_progress", "solution_proposed", "propose_solution"),
        ("solution_proposed", "in_progress", "refuse_solution"),
        ("in_progress", "solution_proposed", "propose_solution"),
        ("solution_proposed", "closed", "confirm_solution"),
    ]
    refusal = ticket.events.get(kind=Kind.SOLUTION_REFUSED)
    assert (refusal.body, refusal.actor) == ("Still drops.", customer)

    lang = customer.language
    to_customer = [customer.email]
    to_engineer = ["engineer@support.example"]
    assert mails(ticket) == [
        ("ticket_registered", to_customer, lang),
        ("diagnostics_requested", to_customer, lang),
        ("ticket_customer_activity", to_engineer, "ru"),
        ("solution_proposed", to_customer, lang),
        ("ticket_customer_activity", to_engineer, "ru"),
        ("solution_proposed", to_customer, lang),
        ("ticket_customer_activity", to_engineer, "ru"),
    ]
    for message in OutboxMessage.objects.filter(ticket=ticket):
        assert message.subject.startswith(f"[{ticket.number}] ")
    diagnostics = OutboxMessage.objects.get(ticket=ticket, template="diagnostics_requested")
    if lang == "en":
        assert diagnostics.subject == f"[{ticket.number}] Diagnostic information requested"
        assert "- Configuration files: the VPN section" in diagnostics.body_text


def test_customer_reply_ticks_only_the_provided_items(cast):
    ticket = services.take_ticket(ticket=ngfw_ticket(cast), actor=cast.engineer)
    ticket = services.request_diagnostics(
        ticket=ticket,
        actor=cast.engineer,
        items=[RequestedItem("logs"), RequestedItem("network_diagram")],
    )
    logs, diagram = DiagnosticsRequest.objects.get().items.all()
    services.add_customer_reply(
        ticket=ticket, actor=cast.customer_beta, body="Logs.", files=[log_file()],
        provided_items=[logs.pk],
    )  # fmt: skip
    logs.refresh_from_db()
    diagram.refresh_from_db()
    assert (logs.done, diagram.done) == (True, False)


def test_diagnostics_request_validates_items(cast):
    ticket = services.take_ticket(ticket=ngfw_ticket(cast), actor=cast.engineer)
    refused(
        ticket,
        lambda: services.request_diagnostics(ticket=ticket, actor=cast.engineer, items=[]),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: services.request_diagnostics(
            ticket=ticket, actor=cast.engineer, items=[RequestedItem("other", " ")]
        ),
        "required",
        422,
    )
    ticket = services.request_diagnostics(
        ticket=ticket, actor=cast.engineer, items=[RequestedItem("other", "tcpdump on port1")]
    )
    assert ticket.state == TicketState.WAITING_FOR_CUSTOMER


def test_illegal_transitions_change_nothing(cast):
    ticket = sep_ticket(cast)
    refused(
        ticket,
        lambda: services.confirm_solution(ticket=ticket, actor=cast.customer_alpha),
        "invalid_state",
        409,
    )
    refused(ticket, lambda: services.take_ticket(ticket=ticket, actor=cast.customer_alpha),
            "forbidden", 403)  # fmt: skip
    ticket = services.take_ticket(ticket=ticket, actor=cast.engineer)
    refused(ticket, lambda: services.take_ticket(ticket=ticket, actor=cast.manager),
            "already_owned", 409)  # fmt: skip
    ticket = services.propose_solution(ticket=ticket, actor=cast.engineer, body="Reinstall.")
    refused(
        ticket,
        lambda: services.confirm_solution(ticket=ticket, actor=cast.engineer),
        "forbidden",
        403,
    )
    # A colleague of the same organization (not its administrator) does not see the ticket.
    refused(
        ticket,
        lambda: services.confirm_solution(ticket=ticket, actor=cast.colleague_alpha),
        "not_found",
        404,
    )
    refused(
        ticket,
        lambda: services.confirm_solution(ticket=ticket, actor=cast.customer_beta),
        "not_found",
        404,
    )
    refused(
        ticket,
        lambda: services.add_public_reply(ticket=ticket, actor=cast.customer_alpha, body="x"),
        "forbidden",
        403,
    )
    refused(
        ticket,
        lambda: services.add_internal_note(ticket=ticket, actor=cast.orgadmin_alpha, body="x"),
        "forbidden",
        403,
    )
    # The organization administrator acts for the contact.
    ticket = services.confirm_solution(ticket=ticket, actor=cast.orgadmin_alpha)
    assert ticket.state == TicketState.CLOSED
    refused(
        ticket,
        lambda: services.add_customer_reply(ticket=ticket, actor=cast.customer_alpha, body="x"),
        "invalid_state",
        409,
    )


def test_engineer_who_does_not_own_the_ticket_cannot_work_it(cast):
    ticket = services.take_ticket(ticket=sep_ticket(cast), actor=cast.manager)
    refused(
        ticket,
        lambda: services.add_public_reply(ticket=ticket, actor=cast.engineer, body="Hi"),
        "forbidden",
        403,
    )
    # Internal notes are open to every agent who sees the ticket.
    services.add_internal_note(ticket=ticket, actor=cast.engineer, body="Seen this before.")


def test_assign_and_reassign_record_who_and_why(cast):
    ticket = sep_ticket(cast)
    mark = last_mail_id()
    ticket = services.assign_ticket(ticket=ticket, actor=cast.dispatcher, assignee=cast.engineer)
    assert (ticket.owner, ticket.state) == (cast.engineer.agent, TicketState.IN_PROGRESS)
    assert mails(ticket, mark) == [("ticket_assigned", ["engineer@support.example"], "ru")]

    # Owned: the dispatcher may no longer move it; the owner hands over only with a reason.
    refused(
        ticket,
        lambda: services.assign_ticket(
            ticket=ticket, actor=cast.dispatcher, assignee=cast.engineer_en, reason="x"
        ),
        "forbidden",
        403,
    )
    refused(
        ticket,
        lambda: services.assign_ticket(
            ticket=ticket, actor=cast.engineer, assignee=cast.engineer_en
        ),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: services.assign_ticket(
            ticket=ticket, actor=cast.engineer, assignee=cast.customer_alpha, reason="x"
        ),
        "invalid_assignee",
        422,
    )
    mark = last_mail_id()
    ticket = services.assign_ticket(
        ticket=ticket, actor=cast.engineer, assignee=cast.engineer_en, reason="Needs English."
    )
    event = ticket.events.filter(kind=Kind.ASSIGNED).latest("id")
    assert (event.actor, event.body) == (cast.engineer, "Needs English.")
    assert event.data["how"] == "reassigned"
    assert (event.data["from"], event.data["to"]) == (
        cast.engineer.agent.pk,
        cast.engineer_en.agent.pk,
    )
    assert mails(ticket, mark) == [("ticket_assigned", ["john@support.example"], "en")]
    assert OutboxMessage.objects.get(pk__gt=mark).subject == (
        f"[{ticket.number}] Request assigned to you: Clients do not receive definitions"
    )
    ticket = services.assign_ticket(
        ticket=ticket, actor=cast.manager, assignee=cast.engineer, reason="Back to Russian."
    )
    assert ticket.owner == cast.engineer.agent


def test_escalation_raises_level_and_notifies_contacts_of_that_level(cast):
    ticket = services.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    refused(
        ticket,
        lambda: services.request_escalation(
            ticket=ticket, actor=cast.customer_alpha, reason="other", text=""
        ),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: services.request_escalation(
            ticket=ticket, actor=cast.engineer, reason="significant_delay"
        ),
        "forbidden",
        403,
    )
    mark = last_mail_id()
    ticket = services.request_escalation(
        ticket=ticket, actor=cast.customer_alpha, reason="significant_delay", text="No answer."
    )
    assert ticket.escalation_level == 1
    assert mails(ticket, mark) == [
        ("escalation_requested", ["escalation@support.example"], "ru"),
        ("escalation_requested", ["engineer@support.example"], "ru"),
    ]
    mark = last_mail_id()
    ticket = services.request_escalation(
        ticket=ticket, actor=cast.customer_alpha, reason="incorrect_answers", text="Wrong advice."
    )
    assert ticket.escalation_level == 2
    assert mails(ticket, mark) == [
        ("escalation_requested", ["escalation@support.example"], "ru"),
        ("escalation_requested", ["head-of-support@support.example"], "en"),
        ("escalation_requested", ["engineer@support.example"], "ru"),
    ]
    head = OutboxMessage.objects.get(recipients=["head-of-support@support.example"])
    assert head.subject == (
        f"[{ticket.number}] Escalation to level 2: Clients do not receive definitions"
    )
    assert "Incorrect answers" in head.body_text
    assert [(e.reason, e.level) for e in Escalation.objects.order_by("id")] == [
        ("significant_delay", 1),
        ("incorrect_answers", 2),
    ]
    event = ticket.events.filter(kind=Kind.ESCALATION_REQUESTED).latest("id")
    assert (event.data["from"], event.data["to"], event.data["reason"]) == (
        1,
        2,
        "incorrect_answers",
    )


def test_escalation_may_carry_a_priority_proposal(cast):
    ticket = ngfw_ticket(cast)
    ticket = services.request_escalation(
        ticket=ticket,
        actor=cast.customer_beta,
        reason="significant_delay",
        priority_code="p1",
        priority_reason="All branches are offline.",
    )
    proposal = PriorityProposal.objects.get()
    assert (proposal.state, proposal.side, proposal.to_priority.code) == (
        "pending",
        "customer",
        "p1",
    )
    assert Escalation.objects.get().priority_proposal == proposal
    assert ticket.priority.code == "p2"  # only an acceptance changes it
    # 002 has one escalation contact, level 1; the ticket has no owner yet.
    assert mails(ticket)[1:] == [
        ("escalation_requested", ["senior@usergate-support.example"], "ru")
    ]


def test_priority_changes_only_by_agreement(cast):
    ticket = services.take_ticket(ticket=ngfw_ticket(cast), actor=cast.engineer)
    refused(
        ticket,
        lambda: services.propose_priority_change(
            ticket=ticket, actor=cast.customer_beta, priority_code="p1", reason=""
        ),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: services.propose_priority_change(
            ticket=ticket, actor=cast.customer_beta, priority_code="p9", reason="x"
        ),
        "invalid",
        422,
    )
    mark = last_mail_id()
    ticket = services.propose_priority_change(
        ticket=ticket, actor=cast.customer_beta, priority_code="p1", reason="Production is down."
    )
    proposal = PriorityProposal.objects.get()
    assert mails(ticket, mark) == [("priority_proposed", ["engineer@support.example"], "ru")]
    assert ticket.priority.code == "p2"
    refused(
        ticket,
        lambda: services.accept_priority_change(
            ticket=ticket, actor=cast.customer_beta, proposal_id=proposal.pk
        ),
        "forbidden",
        403,
    )
    refused(
        ticket,
        lambda: services.propose_priority_change(
            ticket=ticket, actor=cast.engineer, priority_code="p3", reason="x"
        ),
        "proposal_pending",
        409,
    )
    mark = last_mail_id()
    ticket = services.accept_priority_change(
        ticket=ticket, actor=cast.engineer, proposal_id=proposal.pk
    )
    assert ticket.priority.code == "p1"
    event = ticket.events.get(kind=Kind.PRIORITY_CHANGED)
    assert (event.data["from"], event.data["to"], event.actor) == ("p2", "p1", cast.engineer)
    assert mails(ticket, mark) == [("priority_changed", ["olga@beta.example"], "en")]
    changed = OutboxMessage.objects.get(pk__gt=mark)
    assert changed.subject == f"[{ticket.number}] Priority changed: High → Critical"
    refused(
        ticket,
        lambda: services.decline_priority_change(
            ticket=ticket, actor=cast.engineer, proposal_id=proposal.pk
        ),
        "invalid_state",
        409,
    )

    # The engineer proposes; the customer declines; the priority stays.
    ticket = services.propose_priority_change(
        ticket=ticket, actor=cast.engineer, priority_code="p3", reason="A workaround exists."
    )
    second = PriorityProposal.objects.get(state="pending")
    assert second.side == "support"
    ticket = services.decline_priority_change(
        ticket=ticket, actor=cast.customer_beta, proposal_id=second.pk, reason="Not acceptable."
    )
    assert ticket.priority.code == "p1"
    second.refresh_from_db()
    assert (second.state, second.decided_by) == ("declined", cast.customer_beta)
    assert ticket.events.filter(kind=Kind.PRIORITY_DECLINED).count() == 1


def test_manager_override_is_recorded_as_override(cast):
    ticket = services.take_ticket(ticket=ngfw_ticket(cast), actor=cast.engineer)
    services.propose_priority_change(
        ticket=ticket, actor=cast.customer_beta, priority_code="p1", reason="Urgent."
    )
    refused(
        ticket,
        lambda: services.override_priority(
            ticket=ticket, actor=cast.engineer, priority_code="p3", reason="x"
        ),
        "forbidden",
        403,
    )
    refused(
        ticket,
        lambda: services.override_priority(
            ticket=ticket, actor=cast.manager, priority_code="p3", reason=""
        ),
        "required",
        422,
    )
    ticket = services.override_priority(
        ticket=ticket, actor=cast.manager, priority_code="p3", reason="Agreed by phone."
    )
    assert ticket.priority.code == "p3"
    event = ticket.events.get(kind=Kind.PRIORITY_OVERRIDDEN)
    assert event.data == {"from": "p2", "to": "p3", "override": True}
    assert (event.actor, event.body) == (cast.manager, "Agreed by phone.")
    assert PriorityProposal.objects.get().state == "superseded"


def test_work_methods_follow_the_level(cast):
    standard = ngfw_ticket(cast, license_key="UGNGFW-STD0-0000-0077")
    assert standard.level.code == "standard"
    error = refused(
        standard,
        lambda: services.agree_work_method(
            ticket=standard, actor=cast.customer_beta, method_code="phone"
        ),
        "method_not_available",
        422,
    )
    assert error.message == (
        "This work method is not available for Standard support. "
        "Available: Portal consultation, Remote session."
    )
    standard = services.agree_work_method(
        ticket=standard, actor=cast.customer_beta, method_code="remote"
    )
    assert standard.work_method.code == "remote"

    premium = ngfw_ticket(cast)
    premium = services.take_ticket(ticket=premium, actor=cast.engineer)
    mark = last_mail_id()
    premium = services.agree_work_method(
        ticket=premium, actor=cast.engineer, method_code="phone", note="Call at 10:00."
    )
    assert premium.work_method.code == "phone"
    event = premium.events.get(kind=Kind.WORK_METHOD_AGREED)
    assert event.data == {"from": None, "to": "phone", "side": "support"}
    assert mails(premium, mark) == [("work_method_agreed", ["olga@beta.example"], "en")]

    sep = sep_ticket(cast)
    refused(
        sep,
        lambda: services.agree_work_method(
            ticket=sep, actor=cast.customer_alpha, method_code="remote"
        ),
        "method_not_available",
        422,
    )
    assert (
        services.agree_work_method(
            ticket=sep, actor=cast.customer_alpha, method_code="phone"
        ).work_method.code
        == "phone"
    )


def test_split_creates_a_linked_ticket_with_its_own_number(cast):
    source = services.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    mark = last_mail_id()
    refused(
        source,
        lambda: services.split_ticket(
            ticket=source, actor=cast.customer_alpha, subject="x", description="y"
        ),
        "forbidden",
        403,
    )
    new = services.split_ticket(
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
    target = services.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    source = services.take_ticket(
        ticket=sep_ticket(cast, subject="Same problem again"), actor=cast.engineer
    )
    services.add_public_reply(ticket=source, actor=cast.engineer, body="Looking.")
    source_events = kinds(source)
    foreign = ngfw_ticket(cast)
    refused(
        source,
        lambda: services.merge_ticket(ticket=source, actor=cast.engineer, target=foreign),
        "not_found",
        404,
    )
    refused(
        source,
        lambda: services.merge_ticket(ticket=source, actor=cast.engineer, target=source),
        "invalid",
        422,
    )
    source = services.merge_ticket(
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
        lambda: services.reopen_ticket(ticket=source, actor=cast.engineer, reason="Oops."),
        "merged",
        409,
    )


def test_withdraw_and_reopen_with_a_reason(cast):
    ticket = services.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    refused(
        ticket,
        lambda: services.withdraw_ticket(ticket=ticket, actor=cast.engineer),
        "forbidden",
        403,
    )
    mark = last_mail_id()
    ticket = services.withdraw_ticket(
        ticket=ticket, actor=cast.customer_alpha, reason="Solved it ourselves."
    )
    assert (ticket.state, ticket.close_reason, ticket.closed_at) == (
        TicketState.CLOSED,
        CloseReason.WITHDRAWN,
        NOW,
    )
    assert mails(ticket, mark) == [("ticket_customer_activity", ["engineer@support.example"], "ru")]
    refused(
        ticket,
        lambda: services.withdraw_ticket(ticket=ticket, actor=cast.customer_alpha),
        "invalid_state",
        409,
    )
    refused(
        ticket,
        lambda: services.reopen_ticket(ticket=ticket, actor=cast.engineer, reason=" "),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: services.reopen_ticket(ticket=ticket, actor=cast.customer_alpha, reason="x"),
        "forbidden",
        403,
    )
    ticket = services.reopen_ticket(
        ticket=ticket, actor=cast.engineer, reason="It came back.", now=LATER
    )
    assert (ticket.state, ticket.close_reason, ticket.closed_at) == (
        TicketState.IN_PROGRESS,
        "",
        None,
    )
    event = ticket.events.filter(kind=Kind.STATE_CHANGED).latest("id")
    assert event.data == {
        "from": "closed",
        "to": "in_progress",
        "action": "reopen",
        "reason": "It came back.",
    }


def test_close_not_entitled_requires_a_reason(cast):
    ticket = sep_ticket(cast)
    refused(
        ticket,
        lambda: services.close_not_entitled(ticket=ticket, actor=cast.manager, reason=""),
        "required",
        422,
    )
    refused(
        ticket,
        lambda: services.close_not_entitled(ticket=ticket, actor=cast.customer_alpha, reason="x"),
        "forbidden",
        403,
    )
    ticket = services.close_not_entitled(
        ticket=ticket, actor=cast.manager, reason="Norton is served by the consumer line."
    )
    assert (ticket.state, ticket.close_reason) == (TicketState.CLOSED, CloseReason.NOT_ENTITLED)
    closed = OutboxMessage.objects.get(ticket=ticket, template="ticket_closed")
    assert closed.recipients == ["ivan@alpha.example"]
    assert "Norton is served by the consumer line." in closed.body_text


def test_silence_sweep_closes_without_an_actor(cast):
    ticket = services.take_ticket(ticket=sep_ticket(cast), actor=cast.engineer)
    ticket = services.close_ticket(ticket=ticket, actor=None, close_reason="no_response")
    assert (ticket.state, ticket.close_reason) == (TicketState.CLOSED, CloseReason.NO_RESPONSE)
    assert ticket.events.latest("id").actor is None


def test_internal_notes_never_reach_any_email(cast):
    ticket = services.take_ticket(ticket=ngfw_ticket(cast), actor=cast.engineer)
    services.add_internal_note(
        ticket=ticket, actor=cast.engineer, body=f"{MARKER} the customer's firewall is old"
    )
    note = ticket.events.get(kind=Kind.INTERNAL_NOTE)
    assert note.is_internal
    services.add_public_reply(ticket=ticket, actor=cast.engineer, body="Please update.")
    services.request_diagnostics(ticket=ticket, actor=cast.engineer, items=[RequestedItem("logs")])
    services.add_customer_reply(ticket=ticket, actor=cast.customer_beta, body="Done.")
    services.add_internal_note(ticket=ticket, actor=cast.manager, body=f"{MARKER} second note")
    services.request_escalation(ticket=ticket, actor=cast.customer_beta, reason="significant_delay")
    services.propose_solution(ticket=ticket, actor=cast.engineer, body="Update fixed it.")
    services.refuse_solution(ticket=ticket, actor=cast.customer_beta, reason="No.")
    services.override_priority(ticket=ticket, actor=cast.manager, priority_code="p1", reason="VIP")
    services.propose_solution(ticket=ticket, actor=cast.engineer, body="Try again.")
    services.confirm_solution(ticket=ticket, actor=cast.customer_beta)
    services.reopen_ticket(ticket=ticket, actor=cast.engineer, reason="Follow-up.")
    assert OutboxMessage.objects.count() >= 10
    for message in OutboxMessage.objects.all():
        assert MARKER not in message.subject + message.body_text + message.body_html
        assert message.subject.startswith("[SD-2026-000001] ")
    customer_mail = OutboxMessage.objects.filter(recipients=["olga@beta.example"])
    assert set(customer_mail.values_list("language", flat=True)) == {"en"}


def test_priority_override_recomputes_the_deadlines_on_the_timeline(cast):
    ticket = ngfw_ticket(cast)
    services.take_ticket(ticket=ticket, actor=cast.engineer)
    before = Ticket.objects.get(pk=ticket.pk).resolution_due_at
    services.override_priority(ticket=ticket, actor=cast.manager, priority_code="p1", reason="x")

    ticket.refresh_from_db()
    assert ticket.priority.code == "p1"
    assert ticket.resolution_due_at < before
    change = ticket.events.filter(kind=TicketEvent.Kind.DEADLINES_CHANGED).latest("id")
    assert change.data["resolution"]["new"] == ticket.resolution_due_at.isoformat()
