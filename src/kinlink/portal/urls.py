"""Language-prefixed portal pages: family portal, caseworker console (/staff/) and lab console (/lab/)."""

from __future__ import annotations

from django.urls import path

from kinlink.portal import (
    account,
    auth,
    documents,
    family,
    field,
    figures,
    identifications,
    inquiries,
    lab,
    links,
    passkeys,
    staff,
    views,
    withdrawal,
)

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    # Public figures: suppressed aggregates, charts, the estimate of the total and its method.
    path("figures/", figures.figures_page, name="figures"),
    path("figures/figures.csv", figures.figures_csv, name="figures_csv"),
    path("figures/method", figures.figures_method, name="figures_method"),
    # Family portal: no account; follow-up by request number and access code.
    path("request/new", family.new_request, name="request_new"),
    path("request/submitted", family.request_submitted, name="request_submitted"),
    path("request/follow", family.follow, name="follow"),
    path("request/follow/message", family.follow_message, name="follow_message"),
    path("request/follow/documents", family.follow_documents, name="follow_documents"),
    path("request/follow/leave", family.follow_leave, name="follow_leave"),
    path("request/follow/withdraw", withdrawal.follow_withdraw, name="follow_withdraw"),
    path("request/follow/withdraw/dna", withdrawal.follow_withdraw_dna, name="follow_withdraw_dna"),
    path(
        "request/follow/withdraw/request", withdrawal.follow_withdraw_request, name="follow_withdraw_request"
    ),
    path("request/withdrawn", withdrawal.request_withdrawn, name="request_withdrawn"),
    path("request/follow/inquiries", inquiries.follow_inquiry, name="follow_inquiry"),
    # The one-time private link (its token is spent by a POST); the retired link that carried the code.
    path("request/link/<str:token>", family.follow_link_open, name="follow_link_open"),
    path("request/follow/<str:number>/<str:code>", family.follow_link, name="follow_link"),
    # Staff sign-in (password, then TOTP).
    path("staff/login", auth.staff_login, name="login"),
    path("staff/login/code", auth.staff_login_otp, name="login_otp"),
    path("staff/login/passkey/options", passkeys.authentication_options, name="login_passkey_options"),
    path("staff/login/passkey", passkeys.authenticate, name="login_passkey"),
    path("staff/logout", auth.staff_logout, name="logout"),
    # My account / security: sign-in history, recovery codes, passkeys; administrators: lockouts.
    path("staff/account/", account.account, name="account"),
    path("staff/account/recovery-codes", account.account_recovery_codes, name="account_recovery_codes"),
    path("staff/account/passkeys/options", passkeys.registration_options, name="account_passkey_options"),
    path("staff/account/passkeys/register", passkeys.register, name="account_passkey_register"),
    path(
        "staff/account/passkeys/<int:pk>/remove",
        account.account_passkey_remove,
        name="account_passkey_remove",
    ),
    path("staff/lockouts/", account.lockouts, name="lockouts"),
    path("staff/lockouts/lift", account.lockout_lift, name="lockout_lift"),
    # Caseworker console.
    path("staff/", staff.staff_home, name="staff_home"),
    path("staff/search", staff.staff_search, name="staff_search"),
    path("staff/queues/requests/", staff.staff_queue, {"queue": "requests"}, name="queue_requests"),
    path("staff/queues/messages/", staff.staff_queue, {"queue": "messages"}, name="queue_messages"),
    path("staff/queues/claims/", staff.staff_queue, {"queue": "claims"}, name="queue_claims"),
    path("staff/queues/cases/", staff.staff_queue, {"queue": "cases"}, name="queue_cases"),
    path("staff/requests/<int:pk>/", staff.request_detail, name="staff_request"),
    path("staff/requests/<int:pk>/open-case", staff.open_case, name="open_case"),
    path("staff/requests/<int:pk>/close", staff.close_request, name="close_request"),
    path("staff/persons/<int:pk>/", staff.person_detail, name="person"),
    path("staff/attachments/<int:pk>", staff.attachment_download, name="attachment"),
    path("staff/cases/<int:pk>/", staff.case_detail, name="case"),
    path("staff/cases/<int:pk>/claims/add", staff.case_add_claim, name="case_add_claim"),
    path(
        "staff/cases/<int:pk>/claims/<int:claim_pk>/retract",
        staff.case_retract_claim,
        name="case_retract_claim",
    ),
    path("staff/cases/<int:pk>/documents/add", staff.case_add_document, name="case_add_document"),
    path("staff/cases/<int:pk>/events/link", staff.case_link_event, name="case_link_event"),
    path(
        "staff/cases/<int:pk>/requests/<int:request_pk>/release",
        staff.case_release_update,
        name="case_release_update",
    ),
    path(
        "staff/cases/<int:pk>/requests/<int:request_pk>/message",
        staff.case_send_message,
        name="case_send_message",
    ),
    path("staff/cases/<int:pk>/tasks/add", staff.case_add_task, name="case_add_task"),
    path("staff/cases/<int:pk>/tasks/<int:task_pk>/done", staff.case_task_done, name="case_task_done"),
    path("staff/cases/<int:pk>/notes/add", staff.case_add_note, name="case_add_note"),
    path("staff/cases/<int:pk>/legal", staff.case_legal_status, name="case_legal_status"),
    path("staff/cases/<int:pk>/antemortem", field.case_antemortem, name="case_antemortem"),
    # The field: burial sites, exhumation, remains, custody, repatriation batches.
    path("staff/field/sites/", field.site_list, name="field_sites"),
    path("staff/field/sites/new", field.site_new, name="field_site_new"),
    path("staff/field/sites/<int:pk>/", field.site_detail, name="field_site"),
    path("staff/field/sites/<int:pk>/exhumation", field.site_exhumation, name="field_site_exhumation"),
    path("staff/field/sites/<int:pk>/remains", field.site_remains, name="field_site_remains"),
    path("staff/field/remains/<int:pk>/", field.remains_detail, name="field_remains"),
    path("staff/field/remains/<int:pk>/profile", field.remains_profile, name="field_remains_profile"),
    path("staff/field/remains/<int:pk>/custody", field.remains_custody, name="field_remains_custody"),
    path("staff/field/remains/<int:pk>/sample", field.remains_sample, name="field_remains_sample"),
    path(
        "staff/field/remains/<int:pk>/candidates/<int:person_pk>",
        field.remains_decide,
        name="field_remains_decide",
    ),
    path("staff/field/batches/", field.batch_list, name="field_batches"),
    path("staff/field/batches/import", field.batch_import, name="field_batch_import"),
    # Inquiries: what was asked of whom, and what was (not) answered.
    path("staff/cases/<int:pk>/inquiries/add", inquiries.case_add_inquiry, name="case_add_inquiry"),
    path(
        "staff/cases/<int:pk>/inquiries/<int:inquiry_pk>/dates",
        inquiries.case_inquiry_dates,
        name="case_inquiry_dates",
    ),
    path(
        "staff/cases/<int:pk>/inquiries/<int:inquiry_pk>/answer",
        inquiries.case_inquiry_answer,
        name="case_inquiry_answer",
    ),
    path(
        "staff/cases/<int:pk>/inquiries/<int:inquiry_pk>/follow-up",
        inquiries.case_inquiry_follow_up,
        name="case_inquiry_follow_up",
    ),
    path(
        "staff/cases/<int:pk>/inquiries/<int:inquiry_pk>/letter",
        inquiries.case_inquiry_letter,
        name="case_inquiry_letter",
    ),
    path(
        "staff/cases/<int:pk>/inquiries/<int:inquiry_pk>/next-step",
        inquiries.case_inquiry_next_step,
        name="case_inquiry_next_step",
    ),
    path(
        "staff/cases/<int:pk>/court-application",
        documents.court_application,
        name="case_court_application",
    ),
    path(
        "staff/cases/<int:pk>/inquiries/<int:inquiry_pk>/review",
        inquiries.case_inquiry_review,
        name="case_inquiry_review",
    ),
    path(
        "staff/cases/<int:pk>/inquiries/<int:inquiry_pk>/share",
        inquiries.case_inquiry_share,
        name="case_inquiry_share",
    ),
    # Record linkage review.
    path("staff/links/", links.links_queue, name="links"),
    path("staff/links/<int:pk>/", links.link_detail, name="link"),
    path("staff/links/<int:pk>/accept", links.link_accept, name="link_accept"),
    path("staff/links/<int:pk>/reject", links.link_reject, name="link_reject"),
    path("staff/merges/<int:pk>/undo", links.merge_undo, name="merge_undo"),
    # DNA candidate identifications (two different staff members confirm).
    path("staff/dna/", identifications.dna_queue, name="dna_candidates"),
    path("staff/dna/<int:pk>/", identifications.dna_candidate, name="dna_candidate"),
    path("staff/dna/<int:pk>/confirm", identifications.dna_confirm, name="dna_confirm"),
    path("staff/dna/<int:pk>/reject", identifications.dna_reject, name="dna_reject"),
    # Lab console.
    path("lab/", lab.lab_home, name="lab_home"),
    path("lab/samples/register", lab.lab_register_sample, name="lab_register_sample"),
    path("lab/profiles/upload", lab.lab_upload_profiles, name="lab_upload_profiles"),
    path("lab/references/upload", lab.lab_upload_references, name="lab_upload_references"),
    path("lab/pedigrees/upload", lab.lab_upload_pedigrees, name="lab_upload_pedigrees"),
    path("lab/samples/<int:pk>/", lab.lab_sample, name="lab_sample"),
]
