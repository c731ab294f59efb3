from django.urls import path

from supportdesk.portal import membership_views, views

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
    path("organization/", membership_views.organization, name="organization"),
    path("organization/invite/", membership_views.invite, name="invite"),
    path(
        "organization/invitations/<int:pk>/revoke/",
        membership_views.revoke,
        name="invitation_revoke",
    ),
    path("organization/requests/<int:pk>/", membership_views.decide, name="join_decide"),
    path("join/", membership_views.join, name="join"),
    path("join/<str:token>/", membership_views.accept, name="join_accept"),
    path("language/", views.language, name="language"),
]
