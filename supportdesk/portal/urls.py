from django.urls import path

from supportdesk.portal import views

urlpatterns = [
    path("", views.home, name="home"),
]
