"""Small builders shared by tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

WriteList = Callable[..., Path]


def person_row(n: int, **overrides: str) -> dict[str, str]:
    row = {
        "record_id": f"R{n}",
        "source": "prisoners",
        "surname": "Шевчук",
        "given_name": "Олександр",
        "patronymic": "Петрович",
        "birth_date": "1990-05",
        "birth_place": "Київ",
        "unit": "в/ч А1234",
        "rank": "солдат",
        "event_date": "2022-06-01",
        "event_place": "Маріуполь",
    }
    row.update(overrides)
    return row
