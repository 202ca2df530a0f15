"""Model fields: encrypted text, and partial dates stored as ISO prefixes (``1987``, ``1987-05``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from kinlink.partialdate import PartialDateError, parse_partial_date
from kinlink.registry.crypto import (
    KeyShredded,
    decrypt_bytes,
    decrypt_text,
    encrypt_bytes,
    encrypt_text,
    encrypt_with,
    instance_key,
    is_ciphertext,
)


class Ciphertext(str):
    """A value :meth:`EncryptedTextField.pre_save` has already encrypted (passed through unchanged)."""


class EncryptedTextField(models.TextField):
    """Text encrypted at rest with the data key of the row's owner (``registry.crypto``): the model's
    ``encryption_key()`` (a tracing request's key, an organisation's, the instance's). The database only
    ever sees ciphertext. Not searchable by design.

    ``legacy_plaintext``: a column that held plain text before it was encrypted; such a value is read as
    it is until the row is saved again (``kinlink keys rotate --reencrypt`` re-saves them all)."""

    description = "Text encrypted at rest"

    def __init__(self, *args: Any, legacy_plaintext: bool = False, **kwargs: Any) -> None:
        self.legacy_plaintext = legacy_plaintext
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.legacy_plaintext:
            kwargs["legacy_plaintext"] = True
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        if self.legacy_plaintext and not is_ciphertext(value):
            return value
        try:
            return decrypt_text(value)
        except KeyShredded:
            return ""  # crypto-shredded (a withdrawn request): the value is gone, and reads as gone

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        if value is None or value == "" or isinstance(value, Ciphertext):
            return value
        owner_key = getattr(model_instance, "encryption_key", None)
        if owner_key is None:
            return Ciphertext(encrypt_text(str(value)))
        return Ciphertext(encrypt_with(owner_key(), str(value)))

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "" or isinstance(value, Ciphertext):
            return value
        # no row to take the key from (a queryset update, a lookup): the instance's key
        return encrypt_text(str(value))


class CipherBytes(bytes):
    """Bytes :meth:`EncryptedBinaryField.pre_save` has already encrypted."""


class EncryptedBinaryField(models.BinaryField):
    """A file kept in the database (an issued PDF), encrypted with the row's ``encryption_key()``; bytes
    stored before encryption (no ``KLF1`` header) are read as they are."""

    description = "Bytes encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> bytes | None:
        if value is None:
            return None
        try:
            return decrypt_bytes(bytes(value))
        except KeyShredded:
            return b""  # crypto-shredded (a withdrawn request): the file is gone

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        if value is None or isinstance(value, CipherBytes):
            return value
        owner_key = getattr(model_instance, "encryption_key", None)
        key = owner_key() if owner_key is not None else instance_key()
        return CipherBytes(encrypt_bytes(key, bytes(value)))


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
