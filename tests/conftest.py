"""Shared test configuration."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("KINLINK_PROGRESS", "0")

SHARED = Path(__file__).resolve().parents[2] / "shared"
