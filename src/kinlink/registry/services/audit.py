"""The audit trail: every read of contact details, DNA data or a case, and every change, is logged."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models

from kinlink.registry.models import AuditEntry


def record(
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
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
    return AuditEntry.objects.create(
        actor=user,
        actor_label=label or (user.get_username() if user is not None else "anonymous"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )
