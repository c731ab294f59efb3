"""API v1 ticket actions and attachments, as a customer and as an engineer."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from supportdesk.api.services import create_api_token
from supportdesk.outbox.models import OutboxMessage
from supportdesk.tickets.models import Attachment, Ticket, TicketEvent
from supportdesk.tickets.tests.helpers import ngfw_ticket, sep_ticket

NOW = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)
LOG = b"2026-11-23 12:00:01 ERROR tunnel down\n" * 10
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


class Api:
    def __init__(self, client, user):
        # Messages come in the account's language: these clients read English.
        user.language = "en"
        user.save(update_fields=["language"])
        _, plain = create_api_token(user=user, name="test")
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}

    def post(self, path: str, payload: dict | None = None):
        return self.client.post(
            f"/api/v1{path}", payload or {}, content_type="application/json", **self.headers
        )

    def upload(self, number: str, data: dict):
        return self.client.post(f"/api/v1/tickets/{number}/attachments", data, **self.headers)

    def get(self, path: str):
        return self.client.get(f"/api/v1{path}", **self.headers)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def snapshot(ticket: Ticket) -> tuple:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.state,
        fresh.owner_id,
        fresh.priority_id,
        fresh.escalation_level,
        TicketEvent.objects.count(),
        OutboxMessage.objects.count(),
        Ticket.objects.count(),
    )


def test_full_flow_as_customer_and_engineer(client, cast):
    ticket = sep_ticket(cast)
    number = ticket.number
    customer, engineer = Api(client, cast.customer_alpha), Api(client, cast.engineer)

    body = ok(engineer.post(f"/tickets/{number}/take"))
    assert (body["state"], body["owner"]) == ("in_progress", "Сергей Орлов")

    body = ok(
        engineer.post(
            f"/tickets/{number}/diagnostics-requests",
            {"items": [{"kind": "logs"}, {"kind": "configuration"}], "message": "Please."},
        )
    )
    assert body["state"] == "waiting_for_customer"

    response = customer.upload(
        number,
        {
            "body": "Logs attached; the report would not go.",
            "files": [
                SimpleUploadedFile("sep.log", LOG),
                SimpleUploadedFile("report.pdf", EXE),
            ],
        },
    )
    body = ok(response, 201)
    assert body["ticket"]["state"] == "in_progress"
    assert [(a["name"], a["content_type"], a["size"]) for a in body["attachments"]] == [
        ("sep.log", "text/plain", len(LOG))
    ]
    assert [(r["name"], r["code"]) for r in body["rejected"]] == [
        ("report.pdf", "type_not_allowed")
    ]
    assert body["rejected"][0]["message"].startswith("report.pdf is not accepted")

    ok(engineer.post(f"/tickets/{number}/solution", {"body": "Reinstall the client."}))
    response = customer.post(f"/tickets/{number}/refuse", {"reason": " "})
    assert response.status_code == 422
    assert response.json() == {
        "code": "required",
        "message": "Say why the proposed solution does not solve the problem.",
        "fields": ["reason"],
    }
    assert ok(customer.post(f"/tickets/{number}/refuse", {"reason": "Did not help."}))["state"] == (
        "in_progress"
    )
    ok(engineer.post(f"/tickets/{number}/solution", {"body": "Update to RU10."}))
    body = ok(customer.post(f"/tickets/{number}/confirm", {"comment": "Works."}))
    assert (body["state"], body["close_reason"]) == ("closed", "confirmed")

    body = ok(engineer.post(f"/tickets/{number}/reopen", {"reason": "Came back."}))
    assert (body["state"], body["closed_at"]) == ("in_progress", None)


def test_customer_cannot_set_reserved_fields_through_a_reply(client, cast):
    ticket = services_take(cast, sep_ticket(cast))
    customer = Api(client, cast.customer_alpha)
    ok(
        customer.post(
            f"/tickets/{ticket.number}/replies",
            {
                "body": "More details.",
                "priority": "p1",
                "state": "closed",
                "owner": "manager@support.example",
                "team": cast.team_en.pk,
                "is_internal": True,
                "escalation_level": 3,
                "due_at": "2020-01-01T00:00:00Z",
            },
        )
    )
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.priority.code, fresh.state, fresh.owner, fresh.team, fresh.escalation_level) == (
        "p4",
        "in_progress",
        cast.engineer.agent,
        cast.team_ru,
        0,
    )
    event = fresh.events.latest("id")
    assert (event.kind, event.is_internal, event.body) == ("customer_reply", False, "More details.")


def services_take(cast, ticket: Ticket) -> Ticket:
    from supportdesk.tickets.actions import take_ticket

    return take_ticket(ticket=ticket, actor=cast.engineer)


PRIORITY = {"priority": "p1", "reason": "x"}
NOT_ENTITLED = {"close_reason": "not_entitled", "reason": "x"}


@pytest.mark.parametrize(
    ("who", "path", "payload", "status", "code"),
    [
        ("customer_alpha", "take", {}, 403, "forbidden"),
        ("customer_alpha", "notes", {"body": "x"}, 403, "forbidden"),
        ("customer_alpha", "confirm", {}, 409, "invalid_state"),
        ("customer_alpha", "reopen", {"reason": "x"}, 403, "forbidden"),
        ("customer_alpha", "priority-override", PRIORITY, 403, "forbidden"),
        ("customer_alpha", "close", NOT_ENTITLED, 403, "forbidden"),
        ("engineer", "confirm", {}, 403, "forbidden"),
        ("engineer", "withdraw", {}, 403, "forbidden"),
        ("engineer", "take", {}, 409, "already_owned"),
        ("engineer", "reopen", {"reason": "x"}, 409, "invalid_state"),
        ("engineer", "priority-override", PRIORITY, 403, "forbidden"),
        ("engineer", "close", {"close_reason": "confirmed", "reason": "x"}, 422, "invalid"),
        ("dispatcher", "assign", {"assignee": "john@support.example"}, 403, "forbidden"),
        ("engineer", "assign", {"assignee": "ivan@alpha.example"}, 422, "invalid_assignee"),
    ],
)
def test_refused_actions_change_nothing(client, cast, who, path, payload, status, code):
    ticket = services_take(cast, sep_ticket(cast))
    before = snapshot(ticket)
    response = Api(client, getattr(cast, who)).post(f"/tickets/{ticket.number}/{path}", payload)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert snapshot(ticket) == before


ACTION_ROUTES = [
    ("take", {}),
    ("assign", {"assignee": "engineer@support.example", "reason": "x"}),
    ("replies", {"body": "x"}),
    ("notes", {"body": "x"}),
    ("diagnostics-requests", {"items": [{"kind": "logs"}]}),
    ("solution", {"body": "x"}),
    ("confirm", {}),
    ("refuse", {"reason": "x"}),
    ("escalate", {"reason": "significant_delay"}),
    ("priority-proposals", {"priority": "p1", "reason": "x"}),
    ("priority-proposals/{proposal}/accept", {}),
    ("priority-proposals/{proposal}/decline", {}),
    ("priority-override", {"priority": "p1", "reason": "x"}),
    ("work-method", {"method": "phone"}),
    ("split", {"description": "x"}),
    ("merge", {"target": "{other}"}),
    ("reopen", {"reason": "x"}),
    ("withdraw", {}),
    ("close", {"close_reason": "not_entitled", "reason": "x"}),
]


@pytest.mark.parametrize("who", ["customer_beta", "colleague_alpha", "engineer_en"])
@pytest.mark.parametrize(("path", "payload"), ACTION_ROUTES)
def test_foreign_ticket_is_404_on_every_route(client, cast, who, path, payload):
    from supportdesk.tickets.actions import propose_priority_change

    ticket = services_take(cast, sep_ticket(cast))
    other = sep_ticket(cast, subject="Other")
    propose_priority_change(
        ticket=ticket, actor=cast.customer_alpha, priority_code="p1", reason="Urgent."
    )
    proposal = ticket.priority_proposals.get()
    path = path.replace("{proposal}", str(proposal.pk))
    payload = {
        k: v.replace("{other}", other.number) if isinstance(v, str) else v
        for k, v in payload.items()
    }
    before = snapshot(ticket)
    api = Api(client, getattr(cast, who))
    response = api.post(f"/tickets/{ticket.number}/{path}", payload)
    assert response.status_code == 404, response.content
    unknown = api.post(f"/tickets/SD-2026-999999/{path}", payload)
    assert (
        response.json()
        == unknown.json()
        == {
            "code": "not_found",
            "message": "Not found.",
            "fields": [],
        }
    )
    assert snapshot(ticket) == before


def test_foreign_ticket_upload_and_download_are_404(client, cast):
    ticket = services_take(cast, sep_ticket(cast))
    customer = Api(client, cast.customer_alpha)
    body = ok(customer.upload(ticket.number, {"files": [SimpleUploadedFile("a.log", LOG)]}), 201)
    attachment_id = body["attachments"][0]["id"]
    stranger = Api(client, cast.customer_beta)
    response = stranger.upload(ticket.number, {"files": [SimpleUploadedFile("b.log", LOG)]})
    assert response.status_code == 404
    assert stranger.get(f"/attachments/{attachment_id}").status_code == 404
    assert Attachment.objects.count() == 1


def test_download_after_permission_check(client, cast):
    ticket = services_take(cast, sep_ticket(cast))
    customer, engineer = Api(client, cast.customer_alpha), Api(client, cast.engineer)
    body = ok(
        customer.upload(ticket.number, {"files": [SimpleUploadedFile("отчёт.log", LOG)]}), 201
    )
    public_id = body["attachments"][0]["id"]
    note = ok(
        engineer.upload(
            ticket.number,
            {"body": "Internal.", "internal": "true", "files": [SimpleUploadedFile("i.log", LOG)]},
        ),
        201,
    )
    internal_id = note["attachments"][0]["id"]
    assert TicketEvent.objects.get(attachments__pk=internal_id).is_internal

    response = customer.get(f"/attachments/{public_id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"_____.log\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.log"
    )
    assert b"".join(response.streaming_content) == LOG
    assert customer.get(f"/attachments/{internal_id}").status_code == 404
    assert Api(client, cast.orgadmin_alpha).get(f"/attachments/{internal_id}").status_code == 404
    assert engineer.get(f"/attachments/{internal_id}").status_code == 200
    assert customer.get("/attachments/999999").status_code == 404


def test_priority_by_agreement_and_override(client, cast):
    ticket = services_take(cast, ngfw_ticket(cast))
    number = ticket.number
    customer, engineer = Api(client, cast.customer_beta), Api(client, cast.engineer)
    manager = Api(client, cast.manager)

    body = ok(
        customer.post(f"/tickets/{number}/priority-proposals", {"priority": "p1", "reason": "Down"})
    )
    proposal = body["pending_priority_proposal"]
    assert (body["priority"], proposal["side"], proposal["to_priority"]) == ("p2", "customer", "p1")
    response = customer.post(f"/tickets/{number}/priority-proposals/{proposal['id']}/accept")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    body = ok(engineer.post(f"/tickets/{number}/priority-proposals/{proposal['id']}/accept"))
    assert (body["priority"], body["pending_priority_proposal"]) == ("p1", None)

    body = ok(
        engineer.post(f"/tickets/{number}/priority-proposals", {"priority": "p3", "reason": "WA"})
    )
    proposal_id = body["pending_priority_proposal"]["id"]
    body = ok(
        customer.post(
            f"/tickets/{number}/priority-proposals/{proposal_id}/decline", {"reason": "No"}
        )
    )
    assert body["priority"] == "p1"

    body = ok(
        manager.post(f"/tickets/{number}/priority-override", {"priority": "p4", "reason": "Call"})
    )
    assert body["priority"] == "p4"
    assert Ticket.objects.get(pk=ticket.pk).events.filter(kind="priority_overridden").exists()


def test_escalation_work_method_split_merge_withdraw_close(client, cast):
    premium = services_take(cast, ngfw_ticket(cast))
    standard = ngfw_ticket(cast, license_key="UGNGFW-STD0-0000-0077")
    customer, engineer = Api(client, cast.customer_beta), Api(client, cast.engineer)

    body = ok(
        customer.post(
            f"/tickets/{premium.number}/escalate", {"reason": "incorrect_answers", "text": "Wrong"}
        )
    )
    assert body["escalation_level"] == 1
    response = customer.post(f"/tickets/{standard.number}/work-method", {"method": "phone"})
    assert (response.status_code, response.json()["code"]) == (422, "method_not_available")
    body = ok(customer.post(f"/tickets/{premium.number}/work-method", {"method": "phone"}))
    assert body["work_method"] == "phone"

    body = ok(
        engineer.post(
            f"/tickets/{premium.number}/split",
            {"subject": "Client crashes", "description": "UserGate Client crashes on start."},
        ),
        201,
    )
    assert (body["number"], body["split_from"], body["state"]) == (
        "SD-2026-000003",
        premium.number,
        "registered",
    )
    new_number = body["number"]
    body = ok(engineer.post(f"/tickets/{new_number}/take"))
    body = ok(
        engineer.post(f"/tickets/{new_number}/merge", {"target": premium.number, "reason": "Same"})
    )
    assert (body["state"], body["close_reason"], body["merged_into"]) == (
        "closed",
        "duplicate",
        premium.number,
    )

    foreign = sep_ticket(cast)
    response = engineer.post(f"/tickets/{premium.number}/merge", {"target": foreign.number})
    assert (response.status_code, response.json()["fields"]) == (404, ["target"])

    body = ok(customer.post(f"/tickets/{standard.number}/withdraw", {"reason": "Not needed"}))
    assert (body["state"], body["close_reason"]) == ("closed", "withdrawn")
    response = engineer.post(f"/tickets/{standard.number}/reopen", {"reason": ""})
    assert (response.status_code, response.json()["fields"]) == (422, ["reason"])

    body = ok(
        Api(client, cast.manager).post(
            f"/tickets/{premium.number}/close",
            {"close_reason": "not_entitled", "reason": "Contract does not cover it."},
        )
    )
    assert (body["state"], body["close_reason"]) == ("closed", "not_entitled")


def test_assign_and_notes_as_agents(client, cast):
    ticket = sep_ticket(cast)
    dispatcher, engineer = Api(client, cast.dispatcher), Api(client, cast.engineer)
    body = ok(
        dispatcher.post(
            f"/tickets/{ticket.number}/assign", {"assignee": "engineer@support.example"}
        )
    )
    assert (body["owner"], body["state"]) == ("Сергей Орлов", "in_progress")
    ok(engineer.post(f"/tickets/{ticket.number}/notes", {"body": "SECRET-NOTE-42"}))
    detail = Api(client, cast.customer_alpha).get(f"/tickets/{ticket.number}")
    assert "SECRET-NOTE-42" not in detail.content.decode()
    assert not OutboxMessage.objects.filter(body_text__contains="SECRET-NOTE-42").exists()


def test_routes_are_in_the_openapi_schema(client, cast):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/tickets/{number}/take",
        "/api/v1/tickets/{number}/priority-proposals/{proposal_id}/accept",
        "/api/v1/tickets/{number}/attachments",
        "/api/v1/attachments/{attachment_id}",
    } <= set(paths)
