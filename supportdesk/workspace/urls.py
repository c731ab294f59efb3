from django.urls import path

from supportdesk.workspace import views

app_name = "workspace"
urlpatterns = [
    path("", views.home, name="home"),
    path("dispatch/", views.dispatch, name="dispatch"),
    path("outbox/", views.outbox, name="outbox"),
    # ?id=<message>: the role check (managers, administrators) comes before any lookup, so the
    # isolation matrix's refusal of this route holds for every id (tests_security).
    path("outbox/message/", views.outbox_message, name="outbox_message"),
    path("tickets/<str:number>/", views.ticket, name="ticket"),
    # Each action on a ticket is a POST to its own URL under the ticket's page.
    path("tickets/<str:number>/take/", views.ticket_take, name="ticket_take"),
    path("tickets/<str:number>/assign/", views.ticket_assign, name="ticket_assign"),
    path("tickets/<str:number>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<str:number>/note/", views.ticket_note, name="ticket_note"),
    path("tickets/<str:number>/diagnostics/", views.ticket_diagnostics, name="ticket_diagnostics"),
    path("tickets/<str:number>/solution/", views.ticket_solution, name="ticket_solution"),
    path("tickets/<str:number>/priority/", views.ticket_priority, name="ticket_priority"),
    path(
        "tickets/<str:number>/priority/accept/",
        views.ticket_priority_accept,
        name="ticket_priority_accept",
    ),
    path(
        "tickets/<str:number>/priority/decline/",
        views.ticket_priority_decline,
        name="ticket_priority_decline",
    ),
    path("tickets/<str:number>/override/", views.ticket_override, name="ticket_override"),
    path("tickets/<str:number>/work-method/", views.ticket_work_method, name="ticket_work_method"),
    path("tickets/<str:number>/split/", views.ticket_split, name="ticket_split"),
    path("tickets/<str:number>/merge/", views.ticket_merge, name="ticket_merge"),
    path("tickets/<str:number>/reopen/", views.ticket_reopen, name="ticket_reopen"),
    path(
        "tickets/<str:number>/not-entitled/", views.ticket_not_entitled, name="ticket_not_entitled"
    ),
]
