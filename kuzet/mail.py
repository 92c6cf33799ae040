"""E-mail: build messages, queue them in the outbox, and deliver what is due.

A message is built once, when it is queued: its bytes (with a Message-ID derived from what the
message is about, and a fixed Date) are stored in the outbox, so every retry sends exactly the
same message and a recipient's mail client sees a duplicate delivery as the same message.

Delivery (`send_pending`) goes over SMTP (STARTTLS, SSL or plain, login from the settings and
`KUZET_SMTP_PASSWORD`) when a mail server is configured; otherwise each message is written as
an `.eml` file under the outbox directory (`KUZET_OUTBOX_DIR`, default `var/outbox/`). A message
is marked sent only after the server accepted it or the file is in place; a failure leaves it
pending with a later next attempt (doubling delays), and after `max_attempts` it is marked
failed, never deleted: `kuzet outbox retry` queues it again.
"""

from __future__ import annotations

import email
import fcntl
import hashlib
import json
import logging
import quopri
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from kuzet.errors import MailError
from kuzet.settings import SPEC, Settings, check_address, load_settings
from kuzet.store import Store

log = logging.getLogger(__name__)

KINDS = ("alert", "digest", "ops")
#: The settings section whose `to` list receives each kind of message.
RECIPIENTS_SECTION = {"alert": "alerts", "digest": "digest", "ops": "operations"}
_WIRE_POLICY = SMTP_POLICY.clone(max_line_length=998)
SUBJECT_MAX = 200


@dataclass
class InlineImage:
    """An image shown inside the HTML body, referenced there as `src="cid:<cid>"`."""

    cid: str
    data: bytes
    subtype: str = "png"
    filename: str = "chart.png"


@dataclass
class Outgoing:
    """A message to queue: what it is about (`dedupe_key`), to whom, and what it says."""

    kind: str
    dedupe_key: str
    recipients: list[str]
    subject: str
    text: str
    html: str | None = None
    images: list[InlineImage] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SendReport:
    """What one `send_pending` call did."""

    sent: int = 0
    deferred: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def note(self, error: str) -> None:
        if error not in self.errors:
            self.errors.append(error)


def one_line(value: str, limit: int = SUBJECT_MAX) -> str:
    """`value` with every run of whitespace (newlines included) as one space, cut to `limit`."""
    flat = " ".join(str(value).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def message_id_for(dedupe_key: str, sender: str) -> str:
    """A Message-ID that depends only on what the message is about and the sender's domain."""
    domain = check_address(sender).rpartition("@")[2]
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]
    return f"<kuzet.{digest}@{domain}>"


def build(out: Outgoing, settings: Settings, *, message_id: str, date: datetime) -> bytes:
    """The message's bytes (RFC 5322, CRLF line ends): text, optional HTML with inline images."""
    if out.kind not in KINDS:
        raise MailError(f"unknown message kind {out.kind!r} (expected one of {', '.join(KINDS)})")
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["Subject"] = one_line(out.subject)
    msg["From"] = _address(settings.mail["from"])
    if out.recipients:
        msg["To"] = [_address(r) for r in out.recipients]
    else:
        msg["To"] = "undisclosed-recipients:;"
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Kuzet-Kind"] = out.kind
    for name, value in out.headers.items():
        msg[one_line(name, 60)] = one_line(value, 500)
    msg.set_content(out.text, cte=_transfer_encoding(out.text))
    if out.html is not None:
        msg.add_alternative(out.html, subtype="html", cte=_transfer_encoding(out.html))
        html_part = msg.get_payload()[1]
        for image in out.images:
            html_part.add_related(
                image.data,
                maintype="image",
                subtype=image.subtype,
                cid=f"<{image.cid}>",
                filename=image.filename,
                disposition="inline",
            )
    # Headers are folded only past 998 characters: Python 3.11's folding at 78 can put the
    # space between two encoded words, where decoders drop it (CPython gh-144156). Body
    # lines stay short: base64 and quoted-printable wrap at 76.
    return msg.as_bytes(policy=_WIRE_POLICY)


def _transfer_encoding(text: str) -> str:
    """The shorter of quoted-printable and base64 for `text` (Cyrillic triples in QP)."""
    data = text.encode("utf-8", "surrogateescape")
    qp = len(quopri.encodestring(data))
    return "base64" if (len(data) + 2) // 3 * 4 * 77 // 76 < qp else "quoted-printable"


def _address(value: str) -> Address:
    """An Address header value; raises MailError for anything that is not one address."""
    try:
        bare = check_address(value)
    except ValueError as exc:
        raise MailError(str(exc)) from exc
    name = value.strip()[: -len(bare) - 2].strip().strip('"') if value.strip().endswith(">") else ""
    user, _, domain = bare.rpartition("@")
    return Address(display_name=one_line(name, 100), username=user, domain=domain)


def queue(store: Store, out: Outgoing, settings: Settings | None = None) -> int | None:
    """Build and queue `out`; returns the outbox id, or None if its dedupe key was queued.

    Call it inside the transaction that records the message's cause, so both or neither land.
    """
    settings = settings or load_settings()
    if store.is_queued(out.dedupe_key):
        return None
    created = datetime.now(UTC).replace(microsecond=0)
    message_id = message_id_for(out.dedupe_key, settings.mail["from"])
    raw = build(out, settings, message_id=message_id, date=created)
    return store.queue_message(
        {
            "message_id": message_id,
            "dedupe_key": out.dedupe_key,
            "kind": out.kind,
            "recipients": list(out.recipients),
            "subject": one_line(out.subject),
            "body_text": out.text,
            "body_html": out.html,
            "raw": raw,
            "created_at": created.isoformat(),
        }
    )


def send_pending(
    store: Store,
    settings: Settings | None = None,
    *,
    now: datetime | None = None,
    limit: int | None = None,
) -> SendReport:
    """Deliver every pending message that is due: over SMTP, or as .eml files without a server.

    One sender at a time per database (an exclusive lock on `<db>.outbox.lock`): a second one
    waits, then finds the messages sent. A message queued without recipients gets the ones
    configured for its kind now; with none configured it waits for a retry.
    """
    settings = settings or load_settings()
    now = now or datetime.now(UTC)
    report = SendReport()
    with _sender_lock(store.path):
        due = store.due_messages(now.astimezone(UTC).isoformat(), limit)
        due = [_addressed(store, settings, row, report, now) for row in due]
        due = [row for row in due if row is not None]
        if not due:
            return report
        if not settings.mail["host"]:
            for row in due:
                _deliver_to_file(store, settings, row, report, now)
            return report
        _deliver_over_smtp(store, settings, due, report, now)
    return report


@contextmanager
def _sender_lock(db: Path) -> Iterator[None]:
    """Hold an exclusive lock on `<db>.outbox.lock` (a file of its own: SQLite's locks on the
    database are never touched) while messages are sent."""
    path = db.with_name(db.name + ".outbox.lock")
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _addressed(
    store: Store, settings: Settings, row: dict[str, Any], report: SendReport, now: datetime
) -> dict[str, Any] | None:
    """`row` with recipients: as queued, or those now configured for its kind (the message's
    To: header rewritten and stored); None, with the attempt recorded, when there are none."""
    if _recipients(row):
        return row
    section = RECIPIENTS_SECTION.get(row["kind"], "alerts")
    recipients = list(settings.sections[section]["to"])
    if not recipients:
        if not settings.mail["host"]:
            return row  # an .eml file for no one in particular is still worth writing
        env = SPEC[section]["to"].env
        error = f"message {row['id']} has no recipients: set [{section}] to or {env}"
        _failed(store, settings, row, error, report, now)
        return None
    msg = email.message_from_bytes(row["raw"], policy=SMTP_POLICY)
    del msg["To"]
    msg["To"] = [_address(r) for r in recipients]
    raw = msg.as_bytes(policy=_WIRE_POLICY)
    store.set_recipients(row["id"], recipients, raw)
    return {**row, "recipients": recipients, "raw": raw}


def _deliver_to_file(
    store: Store, settings: Settings, row: dict[str, Any], report: SendReport, now: datetime
) -> None:
    directory = settings.outbox_dir()
    stamp = row["created_at"][:19].replace("-", "").replace(":", "")
    path = directory / f"{stamp}-{row['id']:06d}-{row['kind']}.eml"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".eml.tmp")
        tmp.write_bytes(row["raw"])
        tmp.replace(path)
    except OSError as exc:
        _failed(store, settings, row, f"cannot write {path}: {exc.strerror or exc}", report, now)
        return
    store.mark_sent(row["id"], f"file {path}")
    report.sent += 1


def _deliver_over_smtp(
    store: Store,
    settings: Settings,
    due: list[dict[str, Any]],
    report: SendReport,
    now: datetime,
) -> None:
    m = settings.mail
    where = f"{m['host']}:{m['port']}"
    try:
        smtp = _connect(settings)
    except MailError as exc:
        for row in due:
            _failed(store, settings, row, str(exc), report, now)
        return
    try:
        for row in due:
            recipients = [check_address(r) for r in _recipients(row)]
            try:
                refused = smtp.sendmail(check_address(m["from"]), recipients, row["raw"])
            except smtplib.SMTPServerDisconnected as exc:
                _failed(store, settings, row, f"{where} disconnected: {exc}", report, now)
                smtp = _reconnect_or_defer(store, settings, due, row, report, now)
                if smtp is None:
                    return
                continue
            except smtplib.SMTPRecipientsRefused as exc:
                error = f"{where} refused every recipient: {_refusals(exc.recipients)}"
                _failed(store, settings, row, error, report, now)
                continue
            except smtplib.SMTPResponseException as exc:
                error = f"{where} refused message {row['id']}: {_response(exc)}"
                _failed(store, settings, row, error, report, now)
                continue
            store.mark_sent(row["id"], f"smtp {where}")
            report.sent += 1
            if refused:
                report.note(f"message {row['id']}: {where} refused {_refusals(refused)}")
    finally:
        if smtp is not None:
            _quit(smtp)


def _reconnect_or_defer(
    store: Store,
    settings: Settings,
    due: list[dict[str, Any]],
    current: dict[str, Any],
    report: SendReport,
    now: datetime,
) -> smtplib.SMTP | None:
    """After a disconnect: a new connection, or None with the rest of the batch deferred."""
    try:
        return _connect(settings)
    except MailError as exc:
        rest = due[due.index(current) + 1 :]
        for row in rest:
            _failed(store, settings, row, str(exc), report, now)
        return None


def _connect(settings: Settings) -> smtplib.SMTP:
    """An open, authenticated SMTP connection; MailError with one line on any failure."""
    m = settings.mail
    where = f"{m['host']}:{m['port']}"
    context = ssl.create_default_context()
    try:
        if m["ca_file"]:
            context.load_verify_locations(m["ca_file"])
    except (OSError, ssl.SSLError) as exc:
        raise MailError(f"cannot load CA file {m['ca_file']}: {exc}") from exc
    smtp: smtplib.SMTP | None = None
    try:
        if m["security"] == "ssl":
            smtp = smtplib.SMTP_SSL(
                m["host"], m["port"], timeout=m["timeout_seconds"], context=context
            )
        else:
            smtp = smtplib.SMTP(m["host"], m["port"], timeout=m["timeout_seconds"])
            smtp.ehlo()
            if m["security"] == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
        if m["username"]:
            _login(smtp, m["username"], settings.smtp_password())
        return smtp
    except smtplib.SMTPAuthenticationError as exc:
        error = f"{where} refused the login of {m['username']!r}: {_response(exc)}"
    except smtplib.SMTPNotSupportedError as exc:
        error = f"{where} does not support what was asked ({exc}); check security and username"
    except smtplib.SMTPException as exc:
        error = f"{where}: {_response(exc) if hasattr(exc, 'smtp_code') else exc}"
    except ssl.SSLError as exc:
        error = f"TLS with {where} failed: {getattr(exc, 'reason', None) or exc}"
    except TimeoutError:
        error = f"mail server {where} did not answer within {m['timeout_seconds']} s"
    except OSError as exc:
        error = f"mail server {where} unreachable: {exc.strerror or exc}"
    if smtp is not None:
        _quit(smtp)
    raise MailError(error)


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """Log in once, with PLAIN where offered (smtplib.login would try every mechanism)."""
    smtp.ehlo_or_helo_if_needed()
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" not in offered:
        smtp.login(user, password)
        return
    smtp.user, smtp.password = user, password
    smtp.auth("PLAIN", smtp.auth_plain)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _failed(
    store: Store,
    settings: Settings,
    row: dict[str, Any],
    error: str,
    report: SendReport,
    now: datetime,
) -> None:
    """Record a failed attempt with the next one after a doubling delay, or give up."""
    m = settings.mail
    attempts = row["attempts"] + 1
    give_up = attempts >= m["max_attempts"]
    delay = min(m["retry_base_seconds"] * 2 ** (attempts - 1), m["retry_max_seconds"])
    next_at = None if give_up else (now + timedelta(seconds=delay)).astimezone(UTC).isoformat()
    store.mark_attempt_failed(row["id"], error, next_attempt_at=next_at, give_up=give_up)
    if give_up:
        report.failed += 1
    else:
        report.deferred += 1
    report.note(error)
    log.warning("outbox message %s: %s", row["id"], error)


def _recipients(row: dict[str, Any]) -> list[str]:
    value = row["recipients"]
    return json.loads(value) if isinstance(value, str) else list(value)


def _response(exc: Any) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
    return f"{exc.smtp_code} {one_line(text or str(exc.smtp_error), 200)}"


def _refusals(refused: dict[str, Any]) -> str:
    def text(msg: Any) -> str:
        return one_line(msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg), 80)

    return "; ".join(f"{who} ({code} {text(msg)})" for who, (code, msg) in refused.items())


def outbox_path_note(settings: Settings) -> str:
    """Where messages go with these settings, for humans."""
    m = settings.mail
    if m["host"]:
        return f"SMTP {m['host']}:{m['port']} ({m['security']})"
    return f".eml files in {Path(settings.outbox_dir())}"
