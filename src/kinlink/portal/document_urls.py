from __future__ import annotations

from django.urls import path

from kinlink.portal import documents as views

app_name = "documents"
urlpatterns = [
    path("verify/", views.verify_upload, name="verify_upload"),
    path("verify/<str:number>", views.verify, name="verify"),
    path("case/<int:case_id>/issue", views.issue, name="issue"),
    path("download/<str:number>", views.download, name="download"),
    path("release/<str:number>", views.release, name="release"),
]
