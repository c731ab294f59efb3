from django.urls import path

from supportdesk.portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket_detail"),
    # Each action on a request is a POST to its own URL under the request's page:
    # tickets/<number>/reply/ (ticket_reply), …/priority/accept/ (ticket_priority_accept), …
    *(
        path(
            f"tickets/<str:number>/{key.replace('_', '/')}/",
            views.ticket_action,
            {"name": key},
            name=f"ticket_{key}",
        )
        for key in views.ACTIONS
    ),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("contracts/", views.contracts, name="contracts"),
    path("reports/sla/", views.sla_report, name="sla_report"),
    path("language/", views.language, name="language"),
]
