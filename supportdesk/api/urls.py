from django.urls import path

from supportdesk.api.api import api

urlpatterns = [path("", api.urls)]
