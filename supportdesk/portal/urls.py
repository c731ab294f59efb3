from django.urls import path

from supportdesk.portal import kb_views, membership_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/rating/", views.ticket_rate, name="ticket_rate"),
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
    path("kb/", kb_views.kb_search, name="kb_search"),
    path("kb/suggest/", kb_views.kb_suggest, name="kb_suggest"),
    path("kb/<int:pk>/", kb_views.kb_article, name="kb_article"),
    path("rate/<str:token>/", views.rate_by_link, name="csat_rate"),
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
