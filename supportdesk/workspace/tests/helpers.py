"""Shared by the workspace's ticket tests: URLs, signing in, posting, the forms a page offers."""

from __future__ import annotations

from django.urls import reverse

from supportdesk.tickets.models import Ticket


def ws(name: str, ticket: Ticket) -> str:
    return reverse(f"workspace:{name}", args=[ticket.number])


def portal(name: str, ticket: Ticket) -> str:
    return reverse(name, args=[ticket.number])


def as_user(client, user):
    client.force_login(user)
    return client


def posted(client, url: str, data: dict | None = None, status: int = 302):
    response = client.post(url, data or {})
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def page_forms(client, ticket: Ticket) -> set[str]:
    return set(client.get(ws("ticket", ticket)).context["forms"])
