"""Log records as JSON lines (``KINLINK_LOG_FORMAT=json``), for a log collector; the standard library only.

Each line is one JSON object: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, the fields a
caller passed in ``extra`` that are listed in ``FIELDS`` (the request log's method, route, status, duration
and request id), and ``exception`` with the traceback when there is one. Other attributes of a record are
left out on purpose: a log line carries only what was chosen for it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

#: The ``extra`` fields a log line may carry (no path, query string, form field or name).
FIELDS = ("method", "route", "status", "duration_ms", "request_id", "task", "outcome")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            if field in record.__dict__:
                line[field] = record.__dict__[field]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
