from __future__ import annotations

from django.urls import path

from kinlink.api.endpoints import api

urlpatterns = [path("v1/", api.urls)]
