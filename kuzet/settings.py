"""Operational settings: mail server, recipients, digest and scheduler timing.

Read from `data/settings.toml` (the defaults, in version control), then from the file named by
`KUZET_CONFIG` (a deployment's own values), then from environment variables, each layer
overriding the one before. Secrets never live in a file: the SMTP password is read from
`KUZET_SMTP_PASSWORD` only, when a message is sent.

Every key is declared once in `SPEC` with its type, default and environment variable, so an
unknown key or a value of the wrong type is one ConfigError naming the file and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kuzet.config import var_dir
from kuzet.errors import ConfigError

DEFAULTS_PATH = Path(__file__).resolve().parent.parent / "data" / "settings.toml"
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
_NAMED_ADDRESS = re.compile(r"^(?:[^<>\r\n\"]*|\"[^\"\r\n]*\")\s*<([^<>\s]+)>$")


@dataclass(frozen=True)
class Key:
    """One setting: its type (`str`, `int`, `addresses`, `sender`, `choice:a|b`, `hhmm`), its
    default, the environment variable that overrides it (if any) and, for a whole number, the
    range it must lie in (`low` to `high`, both included; `high` None: no upper bound)."""

    type: str
    default: Any
    env: str | None = None
    doc: str = ""
    low: int = 0
    high: int | None = None


SPEC: dict[str, dict[str, Key]] = {
    "mail": {
        "from": Key("sender", "Kuzet <kuzet@localhost>", "KUZET_MAIL_FROM", "From: address"),
        "host": Key("str", "", "KUZET_SMTP_HOST", "SMTP server; empty = write .eml files"),
        "port": Key("int", 587, "KUZET_SMTP_PORT", "SMTP port"),
        "security": Key("choice:starttls|ssl|none", "starttls", "KUZET_SMTP_SECURITY", "TLS mode"),
        "username": Key("str", "", "KUZET_SMTP_USER", "SMTP login (password: env only)"),
        "ca_file": Key("str", "", "KUZET_SMTP_CA_FILE", "extra CA certificate (PEM) to trust"),
        "timeout_seconds": Key("int", 30, None, "SMTP connection timeout"),
        "max_attempts": Key("int", 10, None, "attempts before a message is marked failed"),
        "retry_base_seconds": Key("int", 60, None, "first retry delay; doubles each attempt"),
        "retry_max_seconds": Key("int", 6 * 3600, None, "longest delay between attempts"),
        "outbox_dir": Key("str", "", "KUZET_OUTBOX_DIR", ".eml directory; default var/outbox"),
    },
    "alerts": {
        "to": Key("addresses", [], "KUZET_ALERT_TO", "recipients of bill alerts"),
        "max_age_days": Key("int", 180, None, "older moves are recorded, not mailed"),
    },
    "digest": {
        "to": Key("addresses", [], "KUZET_DIGEST_TO", "recipients of the daily digest"),
        "time": Key("hhmm", "08:00", None, "when the digest goes out, Asia/Almaty"),
        "max_per_topic": Key("int", 10, None, "stories listed per topic; the rest are counted"),
        "archive_url": Key(
            "str",
            "",
            None,
            "link to an archived copy: a URL template with "
            "{id}, {version}, {warc_file}, {warc_offset}, {url}; empty: the digest names the "
            "kuzet archive show command",
        ),
    },
    "operations": {
        "to": Key("addresses", [], "KUZET_OPS_TO", "recipients of stale-source warnings"),
        "stale_after_runs": Key("int", 3, None, "failed or empty runs before a source is stale"),
    },
    "scheduler": {
        "alerts_every_minutes": Key(
            "int", 15, None, "alerts check (and mail sending) interval", low=1, high=1440
        ),
        "annotate_every_minutes": Key(
            "int", 60, None, "annotation of anything left pending", low=1, high=1440
        ),
        "crawl_time_limit_seconds": Key(
            "int", 1800, None, "a crawl running longer is killed; 0: no limit", high=86400
        ),
        "crawl_kill_grace_seconds": Key(
            "int", 15, None, "SIGTERM to SIGKILL for a crawl", low=1, high=600
        ),
        "misfire_grace_seconds": Key(
            "int", 3600, None, "how late a job may still start", low=1, high=86400
        ),
        "digest_catch_up_days": Key(
            "int", 3, None, "missed digests sent after downtime", low=1, high=30
        ),
        "log_dir": Key("str", "", "KUZET_LOG_DIR", "log directory; default var/logs"),
        "log_level": Key("choice:DEBUG|INFO|WARNING|ERROR", "INFO", "KUZET_LOG_LEVEL", "log level"),
        "log_max_bytes": Key(
            "int", 5_000_000, None, "size at which a log file is rotated", low=1000
        ),
        "log_backups": Key("int", 10, None, "rotated log files kept", low=1, high=1000),
    },
}


#: One table of settings (`settings.mail["host"]`).
Section = dict[str, Any]


@dataclass(frozen=True)
class Settings:
    """Every section of SPEC, validated, plus where the values came from."""

    sections: dict[str, Section]
    files: tuple[Path, ...]

    def __getattr__(self, name: str) -> Section:
        try:
            return self.sections[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def log_dir(self) -> Path:
        """Where the scheduler's log files go."""
        return Path(self.sections["scheduler"]["log_dir"] or var_dir() / "logs")

    def outbox_dir(self) -> Path:
        """Where .eml files go when no mail server is configured."""
        return Path(self.sections["mail"]["outbox_dir"] or var_dir() / "outbox")

    @staticmethod
    def smtp_password() -> str:
        """The SMTP password, from the environment only; empty when unset."""
        return os.environ.get("KUZET_SMTP_PASSWORD", "")


def load_settings(path: Path | None = None) -> Settings:
    """Defaults, then `path` (or `KUZET_CONFIG`), then environment variables; validated."""
    files = [DEFAULTS_PATH]
    override = path or (
        Path(os.environ["KUZET_CONFIG"]) if os.environ.get("KUZET_CONFIG") else None
    )
    if override is not None:
        files.append(override)
    values: dict[str, dict[str, Any]] = {
        s: {k: key.default for k, key in t.items()} for s, t in SPEC.items()
    }
    for file in files:
        for section, table in _read(file).items():
            for name, raw in table.items():
                values[section][name] = _coerce(
                    SPEC[section][name], raw, f"{file}: [{section}] {name}"
                )
    for section, table in SPEC.items():
        for name, key in table.items():
            if key.env and os.environ.get(key.env, "").strip():
                where = f"environment variable {key.env}"
                values[section][name] = _coerce(key, os.environ[key.env], where, from_env=True)
    return Settings({s: dict(v) for s, v in values.items()}, tuple(files))


def _read(file: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(file.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"settings file {file} does not exist (KUZET_CONFIG)") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {file}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    for section, table in data.items():
        if section not in SPEC:
            raise ConfigError(f"{file}: unknown section [{section}] (known: {', '.join(SPEC)})")
        if not isinstance(table, dict):
            raise ConfigError(f"{file}: {section} must be a table")
        unknown = sorted(set(table) - set(SPEC[section]))
        if unknown:
            known = ", ".join(SPEC[section])
            raise ConfigError(f"{file}: [{section}]: unknown key {unknown[0]!r} (known: {known})")
    return data


def _coerce(key: Key, raw: Any, where: str, *, from_env: bool = False) -> Any:
    """`raw` (from TOML, or a string from the environment) as the key's type, or ConfigError."""
    kind, _, choices = key.type.partition(":")
    try:
        if kind == "int":
            value = int(raw) if from_env and raw.strip().isdigit() else raw
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"expected a whole number {_span(key)}")
            if value < key.low or (key.high is not None and value > key.high):
                raise ValueError(f"must be a whole number {_span(key)}")
            return value
        if kind == "addresses":
            items = [a.strip() for a in raw.split(",") if a.strip()] if from_env else raw
            if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
                raise ValueError("expected a list of e-mail addresses")
            for address in items:
                check_address(address)
            return list(items)
        if not isinstance(raw, str):
            raise ValueError("expected a string")
        value = raw.strip()
        if kind == "choice" and value not in choices.split("|"):
            raise ValueError(f"expected one of {choices.replace('|', ', ')}")
        if kind == "hhmm" and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("expected a time of day as HH:MM")
        if kind == "sender":
            check_address(value)
        if "\n" in value or "\r" in value:
            raise ValueError("line breaks are not allowed")
        return value
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc} (got {raw!r})") from exc


def _span(key: Key) -> str:
    if key.high is None:
        return f">= {key.low}"
    return f"from {key.low} to {key.high}"


def check_address(value: str) -> str:
    """Return the bare address of `name@host` or `Name <name@host>`; ValueError otherwise."""
    named = _NAMED_ADDRESS.match(value.strip())
    bare = named.group(1) if named else value.strip()
    if not _ADDRESS.match(bare):
        raise ValueError(f"{value!r} is not an e-mail address")
    return bare
