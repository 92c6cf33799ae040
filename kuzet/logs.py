"""The scheduler's logs: `var/logs/kuzet.log` (rotated by size) and stderr, secrets masked.

Secrets come only from environment variables (`KUZET_SMTP_PASSWORD`); a filter on every handler
replaces their values wherever they would appear in a log line, a traceback included.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kuzet.config import TIMEZONE
from kuzet.settings import Settings

#: Environment variables whose values never reach a log.
SECRET_VARIABLES = ("KUZET_SMTP_PASSWORD",)
MASK = "********"
LOG_FILE = "kuzet.log"
LOCAL = ZoneInfo(TIMEZONE)
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_installed: list[logging.Handler] = []


class SecretFilter(logging.Filter):
    """Masks the value of every variable in SECRET_VARIABLES in a record's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = [v for name in SECRET_VARIABLES if (v := os.environ.get(name))]
        if not secrets:
            return True
        message = mask(record.getMessage(), secrets)
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = mask(record.stack_info, secrets)
        return True


class LocalTimeFormatter(logging.Formatter):
    """Times as ISO 8601 in Asia/Almaty with the offset (`2026-03-02T08:00:01.250+05:00`)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        when = datetime.fromtimestamp(record.created, LOCAL)
        return when.isoformat(timespec="milliseconds")


def mask(text: str, secrets: list[str]) -> str:
    """`text` with every secret replaced by MASK (longest first, so none leaks in part)."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def setup_logging(settings: Settings, *, stderr_level: int | str | None = None) -> Path:
    """Log to `<log_dir>/kuzet.log` (rotated by size) and to stderr, at the configured level.

    `stderr_level` raises the bar for stderr only (the file gets everything). Replaces what an
    earlier call installed. Returns the log file's path.
    """
    options = settings.scheduler
    directory = settings.log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOG_FILE
    file_handler = logging.handlers.RotatingFileHandler(
        path,
        maxBytes=options["log_max_bytes"],
        backupCount=options["log_backups"],
        encoding="utf-8",
    )
    stderr_handler = logging.StreamHandler(sys.stderr)
    if stderr_level is not None:
        stderr_handler.setLevel(stderr_level)
    close_logging()
    root = logging.getLogger()
    # a plain stderr handler from `kuzet -v` (basicConfig) would print every line twice
    for other in list(root.handlers):
        if type(other) is logging.StreamHandler:
            root.removeHandler(other)
    for handler in (file_handler, stderr_handler):
        handler.setFormatter(LocalTimeFormatter(FORMAT))
        handler.addFilter(SecretFilter())
        root.addHandler(handler)
        _installed.append(handler)
    root.setLevel(options["log_level"])
    # the jobs log what they did; APScheduler only its warnings and errors
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return path


def close_logging() -> None:
    """Remove and close the handlers `setup_logging` installed."""
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
