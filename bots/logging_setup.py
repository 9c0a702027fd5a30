"""Logging: text or one JSON object per line, with phone numbers and chat ids masked.

The mask sits on the root handler, not on loggers: a logger's filter only sees records logged on
that very logger, while a handler's filter sees everything that propagates to it (ours, the
libraries', uvicorn's once uvicorn is started with `log_config=None`).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, Literal

from scoring.privacy import mask_numbers

LogFormat = Literal["json", "text"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
    | {"message", "asctime", "taskName", "color_message"}  # uvicorn's ANSI copy of the message
)


# The erasure API takes the address in its path: mask the whole segment, whatever its form (a
# short chat id, a number with spaces or a +, URL-encoded or not), e.g. in the access log.
_CONTACT_PATH = re.compile(r"(/contacts/)[^/?#\s\"']+")


def mask_text(text: str) -> str:
    """`text` with phone numbers, chat ids and addresses in erasure URLs masked."""
    if "/contacts/" in text:
        text = _CONTACT_PATH.sub(r"\1***", text)
    return mask_numbers(text)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # A chat id or number logged as an int is still a chat id.
        text = str(value)
        masked = mask_numbers(text)
        return masked if masked != text else value
    return value


class MaskNumbersFilter(logging.Filter):
    """Mask E.164 numbers, `whatsapp:+...` addresses and long digit runs in a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Format once with the args, mask the result: masking each arg alone would miss a
        # number split across the template and an argument.
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask_text(message), None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, _mask_value(value))
        if record.exc_info and not record.exc_text:
            # Exception messages quote numbers too (provider errors): render and mask them here.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC ISO 8601), level, logger, message, then the extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def resolve_format(configured: LogFormat | None, env: str) -> LogFormat:
    """JSON in production (log shippers parse it), text in development (people read it)."""
    if configured is not None:
        return configured
    return "json" if env == "production" else "text"


def make_handler(fmt: LogFormat) -> logging.Handler:
    handler = logging.StreamHandler()
    formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    handler.addFilter(MaskNumbersFilter())
    return handler


def configure_logging(level: str, fmt: LogFormat = "text") -> None:
    """Replace the root handlers with one masked handler; route uvicorn's loggers through it."""
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
        old.close()
    root.addHandler(make_handler(fmt))
    root.setLevel(level.upper())
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)  # inherit ours until uvicorn applies its --log-level
