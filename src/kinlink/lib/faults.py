"""Fault injection for the tests that kill a worker in the middle of a job.

``KINLINK_FAULT_PAUSE=POINT:SECONDS`` (environment) makes :func:`pause_at` sleep that long when the code
reaches ``POINT`` (``linkage``: the queue of waiting persons read and locked, nothing linked yet;
``screening``: the run claimed, nothing screened yet), so that a test can ``kill -9`` the process at a
known moment. Unset (always, outside such tests), it does nothing.
"""

from __future__ import annotations

import os
import sys
import time


def pause_at(point: str) -> None:
    """Sleep here when ``KINLINK_FAULT_PAUSE`` names ``point``."""
    spec = os.environ.get("KINLINK_FAULT_PAUSE", "")
    name, _, seconds = spec.partition(":")
    if spec and name == point:
        print(f"kinlink fault: pausing at {point}", file=sys.stderr, flush=True)
        time.sleep(float(seconds or "60"))
