"""Model fields: encrypted text, and partial dates stored as ISO prefixes (``1987``, ``1987-05``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from kinlink.partialdate import PartialDateError, parse_partial_date
from kinlink.registry.crypto import decrypt_text, encrypt_text


class EncryptedTextField(models.TextField):
    """Text encrypted at rest; the database only ever sees ciphertext. Not searchable by design."""

    description = "Text encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))


def validate_partial_date(value: str) -> None:
    if not value:
        return
    try:
        parsed = parse_partial_date(value)
    except PartialDateError as exc:
        raise ValidationError(str(exc)) from exc
    if parsed.isoformat() != value:
        raise ValidationError(f"store partial dates as ISO prefixes: '{parsed.isoformat()}', not '{value}'")


class PartialDateField(models.CharField):
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; sorts chronologically as text; blank when unknown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)
        self.validators.append(validate_partial_date)
