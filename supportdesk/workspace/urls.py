from django.urls import path

from supportdesk.workspace import views

app_name = "workspace"
urlpatterns = [
    path("", views.home, name="home"),
    path("dispatch/", views.dispatch, name="dispatch"),
]
