from django.urls import path

from supportdesk.portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket_detail"),
    path("contracts/", views.contracts, name="contracts"),
    path("language/", views.language, name="language"),
]
