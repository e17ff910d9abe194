"""Log lines never show a token: feed links carry theirs in the query string (`?token=…`).

`RedactTokens` is a logging filter that replaces the value of every query parameter whose name
ends in ``token`` with ``***``, in the message and in its arguments (uvicorn's access formatter
reads the request line from the arguments, so they keep their shape). `moedeplan serve` puts it
on every handler (`log_config`); `create_app` puts it on the ``uvicorn.access`` logger too, for
apps started by other means (``uvicorn --factory``).
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "***"
# `?token=…`, `&access_token=…` (also percent-encoded `%3Ftoken%3D…` as a `next=` parameter carries it).
_TOKEN_VALUE = re.compile(r"((?:[?&;]|%3F|%26)[\w.-]*token(?:=|%3D))[^&;#\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with every token-like query value replaced by ``***``."""
    return _TOKEN_VALUE.sub(lambda m: m.group(1) + REDACTED, text)


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Rewrites a record so that no token in a URL reaches a log handler; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _redact_value(v) for k, v in record.args.items()}
        return True


def protect_logger(name: str = "uvicorn.access") -> None:
    """Put the filter on one logger (once), for records logged there directly."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())


def log_config(level: str = "WARNING") -> dict[str, Any]:
    """uvicorn's logging set-up with the filter on every handler, and our own loggers (``api``,
    ``moedeplan``, ``calendar_sync``…, through the root) on a filtered handler as well, from
    `level` up (warnings and errors, as Python shows them without a set-up)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": RedactTokens}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_tokens")
    config["formatters"]["plain"] = {"format": "%(levelname)s %(name)s: %(message)s"}
    config["handlers"]["ours"] = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "plain",
        "filters": ["redact_tokens"],
    }
    config["root"] = {"handlers": ["ours"], "level": level}
    return config
