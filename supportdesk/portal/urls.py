from django.urls import path

from supportdesk.portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<str:number>/confirm/", views.ticket_confirm, name="ticket_confirm"),
    path("tickets/<str:number>/refuse/", views.ticket_refuse, name="ticket_refuse"),
    path("tickets/<str:number>/escalate/", views.ticket_escalate, name="ticket_escalate"),
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
    path("tickets/<str:number>/withdraw/", views.ticket_withdraw, name="ticket_withdraw"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("contracts/", views.contracts, name="contracts"),
    path("language/", views.language, name="language"),
]
