from django.urls import path

from supportdesk.workspace.views import dispatch, health, queue, reports, speed, ticket

app_name = "workspace"

# Action URL paths that are not simply their name.
ACTION_PATHS = {
    "priority_accept": "priority/accept",
    "priority_decline": "priority/decline",
    "work_method": "work-method",
    "not_entitled": "not-entitled",
}

urlpatterns = [
    path("", queue.home, name="home"),
    path("dispatch/", dispatch.dispatch, name="dispatch"),
    path("outbox/", health.outbox, name="outbox"),
    path("reports/sla/", reports.sla_report, name="sla_report"),
    # ?id=<message>: the role check (managers, administrators) comes before any lookup, so the
    # isolation matrix's refusal of this route holds for every id (tests_security).
    path("outbox/message/", health.outbox_message, name="outbox_message"),
    path("outbox/resend/", health.outbox_resend, name="outbox_resend"),
    path("tickets/<str:number>/", ticket.ticket, name="ticket"),
    path("tickets/<str:number>/presence/", speed.presence, name="ticket_presence"),
    # Each action on a ticket is a POST to its own URL under the ticket's page.
    *(
        path(
            f"tickets/<str:number>/{ACTION_PATHS.get(key, key)}/",
            ticket.ticket_action,
            {"name": key},
            name=f"ticket_{key}",
        )
        for key in ticket.ACTIONS
    ),
]
