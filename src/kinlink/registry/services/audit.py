"""The audit trail: every read of contact details, DNA data or a case, and every change, is logged.

:class:`Action` is the one vocabulary of the trail: every action name an entry may carry is listed there,
so a reader of the trail (or a report over it) knows the whole set. Pass its members to :func:`record`.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models

from kinlink.registry.models import AuditEntry


class Action(enum.StrEnum):
    """Every action name in the audit trail, grouped by what it concerns."""

    # registry writes (kinlink.registry.actions)
    SUBMIT_REQUEST = "submit_request"
    ADD_PERSON = "add_person"
    ADD_SOURCE = "add_source"
    ADD_CLAIM = "add_claim"
    RETRACT_CLAIM = "retract_claim"
    LINK_EVENT = "link_event"
    ADD_EVENT = "add_event"
    ADD_SITE = "add_site"
    REGISTER_REMAINS = "register_remains"
    ATTACH_SAMPLE = "attach_sample"
    ATTACH_DOCUMENT = "attach_document"
    IMPORT_LIST = "import_list"
    IMPORT_PFIF = "import_pfif"
    OPEN_CASE = "open_case"
    CHANGE_LEGAL_STATUS = "change_legal_status"
    ADD_TASK = "add_task"
    FINISH_TASK = "finish_task"
    ADD_NOTE = "add_note"
    RELEASE_UPDATE = "release_update"
    SEND_MESSAGE = "send_message"
    # consent and retention (kinlink.registry.actions, kinlink retention run)
    CLOSE_REQUEST = "close_request"
    WITHDRAW_DNA_CONSENT = "withdraw_dna_consent"
    WITHDRAW_REQUEST = "withdraw_request"
    ERASE_WITHDRAWN = "erase_withdrawn"
    EXPIRE_DATA = "expire_data"
    # keys of encryption at rest (kinlink.registry.actions, `kinlink keys`)
    SHRED_KEY = "shred_key"
    ROTATE_KEYS = "rotate_keys"
    # reads of sensitive data
    VIEW_CASE = "view_case"
    VIEW_PERSON = "view_person"
    VIEW_CONTACT = "view_contact"
    VIEW_DOCUMENT = "view_document"
    VIEW_DNA = "view_dna"
    VIEW_DNA_QUEUE = "view_dna_queue"
    VIEW_DNA_CANDIDATE = "view_dna_candidate"
    VIEW_LINK = "view_link"
    SEARCH_PERSONS = "search_persons"
    EXPORT_CONTACTS = "export_contacts"
    EXPORT_REGISTRY = "export_registry"
    EXPORT_PFIF = "export_pfif"
    ADMIN_VIEW = "admin_view"
    # the family's portal
    FAMILY_SIGN_IN = "family_sign_in"
    FAMILY_VIEW = "family_view"
    ISSUE_FOLLOW_LINK = "issue_follow_link"
    PAUSE_FAMILY_CODE_CHECK = "pause_family_code_check"
    # DNA and identification
    REGISTER_SAMPLE = "register_sample"
    LOAD_PROFILE = "load_profile"
    REANALYSE_PROFILE = "reanalyse_profile"
    QUEUE_LAB_UPLOAD = "queue_lab_upload"
    IMPORT_GENOTYPE = "import_genotype"
    IMPORT_PEDIGREE = "import_pedigree"
    CONFIRM_IDENTIFICATION = "confirm_identification"
    REJECT_IDENTIFICATION = "reject_identification"
    IDENTIFY_REMAINS = "identify_remains"
    # record linkage
    ACCEPT_LINK = "accept_link"
    REJECT_LINK = "reject_link"
    REPROPOSE_LINK = "repropose_link"
    MERGE_PERSON = "merge_person"
    UNMERGE_PERSON = "unmerge_person"
    # the field
    RECORD_EXHUMATION = "record_exhumation"
    RECORD_CUSTODY = "record_custody"
    RECORD_BATCH = "record_batch"
    SAVE_PHYSICAL_PROFILE = "save_physical_profile"
    DECIDE_COMPARISON = "decide_comparison"
    # documents
    RECORD_INQUIRY = "record_inquiry"
    UPDATE_INQUIRY = "update_inquiry"
    RECORD_INQUIRY_ANSWER = "record_inquiry_answer"
    REVIEW_INQUIRY = "review_inquiry"
    SHARE_INQUIRY = "share_inquiry"
    ISSUE_DOCUMENT = "issue_document"
    RELEASE_DOCUMENT = "release_document"
    DOWNLOAD_DOCUMENT = "download_document"
    # the API and accounts
    API_READ_CASE = "api_read_case"
    API_READ_CANDIDATES = "api_read_candidates"
    API_READ_SAMPLE = "api_read_sample"
    API_READ_PERSONS = "api_read_persons"
    API_READ_REQUESTS = "api_read_requests"
    API_READ_SOURCE = "api_read_source"
    API_READ_REMAINS = "api_read_remains"
    API_UPLOAD_PROFILE = "api_upload_profile"
    CREATE_API_TOKEN = "create_api_token"
    REVOKE_API_TOKEN = "revoke_api_token"
    LOGIN = "login"
    LOGOUT = "logout"
    UNLOCK_ACCOUNT = "unlock_account"
    # operations (kinlink.registry.backup.actions)
    BACKUP_INSTANCE = "backup_instance"
    RESTORE_INSTANCE = "restore_instance"
    # the worker (kinlink.worker): tasks and screening runs whose worker died
    RECOVER_ORPHANED_TASKS = "recover_orphaned_tasks"
    REQUEUE_ORPHANED_SCREENINGS = "requeue_orphaned_screenings"
    UNLOCK_ADDRESS = "unlock_address"
    # sign-in steps and second factors (kinlink.portal.auth, kinlink.portal.actions)
    SIGN_IN_PASSWORD = "sign_in_password"
    SIGN_IN_PASSWORD_FAILED = "sign_in_password_failed"
    SIGN_IN_SECOND_FACTOR_FAILED = "sign_in_second_factor_failed"
    SIGN_IN_LOCKED_OUT = "sign_in_locked_out"
    SESSION_EXPIRED = "session_expired"
    USE_RECOVERY_CODE = "use_recovery_code"
    REGENERATE_RECOVERY_CODES = "regenerate_recovery_codes"
    REGISTER_PASSKEY = "register_passkey"
    REMOVE_PASSKEY = "remove_passkey"


def actor_label(actor: AbstractBaseUser | AnonymousUser | None, label: str = "") -> str:
    """How the trail names an actor: ``label`` when given (``"api token 7"``, ``"cli"``), else the user."""
    if label:
        return label
    if actor is not None and getattr(actor, "is_authenticated", False):
        return str(actor.get_username())
    return "anonymous"


@dataclass(frozen=True)
class Recorded:
    """An entry as :func:`record` was asked to append it (without its actor and time): what a page served
    again from a cache appends again for its new reader (:func:`replay`)."""

    action: str
    object_type: str
    object_id: str
    label: str
    detail: dict[str, Any] = field(default_factory=dict)


_collecting: contextvars.ContextVar[list[Recorded] | None] = contextvars.ContextVar(
    "kinlink_audit_collecting", default=None
)


@contextlib.contextmanager
def collecting() -> Iterator[list[Recorded]]:
    """Every entry :func:`record` appends inside the block, also listed in the list yielded."""
    entries: list[Recorded] = []
    token = _collecting.set(entries)
    try:
        yield entries
    finally:
        _collecting.reset(token)


def replay(actor: AbstractBaseUser | AnonymousUser | None, entries: Iterable[Recorded]) -> None:
    """Append ``entries`` again, for ``actor`` and now: the reads a cached page made when it was built are
    the reads its new reader makes (the trail logs every read, whether the page was built or kept)."""
    for entry in entries:
        record(
            actor,
            entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            label=entry.label,
            **entry.detail,
        )


def record(
    actor: AbstractBaseUser | AnonymousUser | None,
    action: Action | str,
    obj: models.Model | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
    label: str = "",
    **detail: Any,
) -> AuditEntry:
    """Append one audit entry. ``actor`` may be anonymous (a family using its access code)."""
    user: Any = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if obj is not None:
        object_type = object_type or obj._meta.model_name or type(obj).__name__
        object_id = object_id or str(obj.pk)
    from kinlink.registry.services.figures import note_figures_change

    note_figures_change(str(action))  # a write marks the public figures stale (once per transaction)
    collected = _collecting.get()
    if collected is not None:
        collected.append(Recorded(str(action), object_type, object_id, label, dict(detail)))
    return AuditEntry.objects.create(
        actor=user,
        actor_label=actor_label(user, label),
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )


def record_many(
    actor: AbstractBaseUser | AnonymousUser | None,
    entries: Iterable[tuple[Action | str, models.Model, dict[str, Any]]],
    *,
    label: str = "",
) -> int:
    """Append one audit entry per (action, object, detail), inserted in batches: what :func:`record`
    writes one by one, for an action that changes thousands of objects at once (a lab's upload)."""
    user: Any = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    name = actor_label(user, label)
    rows = [
        AuditEntry(
            actor=user,
            actor_label=name,
            action=str(action),
            object_type=obj._meta.model_name or type(obj).__name__,
            object_id=str(obj.pk),
            detail=detail,
        )
        for action, obj, detail in entries
    ]
    AuditEntry.objects.bulk_create(rows, batch_size=1000)
    from kinlink.registry.services.figures import note_figures_change

    for action in dict.fromkeys(row.action for row in rows):
        note_figures_change(action)
    return len(rows)
