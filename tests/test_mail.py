"""The outbox and mail delivery, against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import ssl
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest

from kuzet import mail
from kuzet.errors import ConfigError, MailError
from kuzet.settings import load_settings
from kuzet.store import Store


def outgoing(key: str = "alert:bill-1:event-1", **changes: object) -> mail.Outgoing:
    values: dict[str, object] = {
        "kind": "alert",
        "dedupe_key": key,
        "recipients": ["policy@example.org"],
        "subject": "New bill: О внесении изменений",
        "text": "Stage: first_reading\nСтадия: первое чтение",
        "html": "<p>Stage: <b>first_reading</b></p>",
    }
    return mail.Outgoing(**(values | changes))  # type: ignore[arg-type]


@pytest.fixture
def smtp_env(monkeypatch: pytest.MonkeyPatch, smtp_server: object) -> object:
    """Settings pointing at the test SMTP server, plain SMTP (no TLS)."""
    monkeypatch.setenv("KUZET_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KUZET_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("KUZET_SMTP_SECURITY", "none")
    return smtp_server


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def test_without_a_server_messages_become_eml_files_once(store: Store, tmp_path: Path) -> None:
    settings = load_settings()
    first = mail.queue(store, outgoing(), settings)
    assert first is not None
    assert mail.queue(store, outgoing(subject="changed"), settings) is None  # same key: no copy
    mail.queue(store, outgoing("alert:bill-2:event-9"), settings)
    report = mail.send_pending(store, settings)
    assert (report.sent, report.deferred, report.failed) == (2, 0, 0)
    files = sorted((tmp_path / "var" / "outbox").glob("*.eml"))
    assert len(files) == 2
    msg = parse(files[0].read_bytes())
    assert msg["Subject"] == "New bill: О внесении изменений"
    assert msg["To"] == "policy@example.org"
    assert msg["Message-ID"] == mail.message_id_for("alert:bill-1:event-1", "kuzet@localhost")
    assert "первое чтение" in msg.get_body(("plain",)).get_content()
    assert mail.send_pending(store, settings).sent == 0  # nothing is sent twice
    assert len(list((tmp_path / "var" / "outbox").glob("*.eml"))) == 2
    assert [r["status"] for r in store.outbox_rows()] == ["sent", "sent"]


def test_delivered_once_over_smtp_with_stable_message_id(store: Store, smtp_env: object) -> None:
    smtp_env.start()
    mail.queue(store, outgoing())
    report = mail.send_pending(store)
    assert report.sent == 1
    assert not report.errors
    assert len(smtp_env.messages) == 1
    sender, rcpts, raw = smtp_env.messages[0]
    assert sender == "kuzet@localhost"
    assert rcpts == ["policy@example.org"]
    row = store.outbox_rows()[0]
    assert parse(raw)["Message-ID"] == row["message_id"]
    assert row["delivered_via"] == f"smtp 127.0.0.1:{smtp_env.port}"
    assert mail.send_pending(store).sent == 0
    assert len(smtp_env.messages) == 1


def test_server_down_then_up_delivers_exactly_once(store: Store, smtp_env: object) -> None:
    mail.queue(store, outgoing())
    down = mail.send_pending(store)
    assert (down.sent, down.deferred) == (0, 1)
    assert "unreachable" in down.errors[0]
    assert str(smtp_env.port) in down.errors[0]
    row = store.outbox_rows()[0]
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    assert row["next_attempt_at"]
    smtp_env.start()
    assert mail.send_pending(store).sent == 0  # not due yet: backoff is respected
    later = datetime.now(UTC) + timedelta(hours=1)
    assert mail.send_pending(store, now=later).sent == 1
    assert mail.send_pending(store, now=later + timedelta(hours=1)).sent == 0
    assert len(smtp_env.messages) == 1
    assert store.outbox_rows()[0]["attempts"] == 2


def test_backoff_doubles_then_gives_up_and_retry_requeues(
    store: Store, smtp_env: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Path(store.path).parent / "kuzet.toml"
    config.write_text("[mail]\nmax_attempts = 3\nretry_base_seconds = 10\n")
    monkeypatch.setenv("KUZET_CONFIG", str(config))
    mail.queue(store, outgoing())
    now = datetime.now(UTC)
    delays = []
    for _ in range(3):
        mail.send_pending(store, now=now)
        row = store.outbox_rows()[0]
        if row["next_attempt_at"]:
            delays.append(datetime.fromisoformat(row["next_attempt_at"]) - now)
            now = datetime.fromisoformat(row["next_attempt_at"])
    assert [d.total_seconds() for d in delays] == pytest.approx([10, 20], abs=1)
    row = store.outbox_rows()[0]
    assert row["status"] == "failed"
    assert row["attempts"] == 3
    assert store.retry_messages() == 1
    smtp_env.start()
    assert mail.send_pending(store).sent == 1


def test_authentication(store: Store, smtp_env: object, monkeypatch: pytest.MonkeyPatch) -> None:
    smtp_env.start(password="s3cret-pass")
    monkeypatch.setenv("KUZET_SMTP_USER", "kuzet")
    monkeypatch.setenv("KUZET_SMTP_PASSWORD", "wrong-pass")
    mail.queue(store, outgoing())
    report = mail.send_pending(store)
    assert report.deferred == 1
    assert report.sent == 0
    assert "refused the login of 'kuzet'" in report.errors[0]
    assert "wrong-pass" not in report.errors[0]
    row = store.outbox_rows()[0]
    assert row["status"] == "pending"
    assert "wrong-pass" not in row["last_error"]
    monkeypatch.setenv("KUZET_SMTP_PASSWORD", "s3cret-pass")
    assert mail.send_pending(store, now=datetime.now(UTC) + timedelta(hours=1)).sent == 1
    assert smtp_env.logins == ["kuzet"]
    assert len(smtp_env.messages) == 1


def _server_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    return context


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_modes_verify_the_server(
    store: Store,
    smtp_env: object,
    monkeypatch: pytest.MonkeyPatch,
    tls_files: tuple[Path, Path],
    mode: str,
) -> None:
    smtp_env.start(password="pw", tls=_server_tls(tls_files), implicit_tls=mode == "ssl")
    monkeypatch.setenv("KUZET_SMTP_SECURITY", mode)
    monkeypatch.setenv("KUZET_SMTP_USER", "kuzet")
    monkeypatch.setenv("KUZET_SMTP_PASSWORD", "pw")
    mail.queue(store, outgoing())
    untrusted = mail.send_pending(store)  # self-signed and not trusted: refused, kept
    assert untrusted.deferred == 1
    assert "TLS with 127.0.0.1" in untrusted.errors[0]
    monkeypatch.setenv("KUZET_SMTP_CA_FILE", str(tls_files[0]))
    trusted = mail.send_pending(store, now=datetime.now(UTC) + timedelta(hours=1))
    assert trusted.sent == 1, trusted.errors
    assert len(smtp_env.messages) == 1


def test_headers_cannot_be_injected(store: Store, smtp_env: object) -> None:
    smtp_env.start()
    evil = outgoing(
        subject="Bill\r\nBcc: victim@example.org\r\n\r\n<script>alert(1)</script>",
        headers={"X-Kuzet-Bill": "7\nBcc: other@example.org"},
    )
    mail.queue(store, evil)
    assert mail.send_pending(store).sent == 1
    _sender, rcpts, raw = smtp_env.messages[0]
    msg = parse(raw)
    assert rcpts == ["policy@example.org"]
    assert msg["Bcc"] is None
    assert msg["Subject"] == "Bill Bcc: victim@example.org <script>alert(1)</script>"
    assert msg["X-Kuzet-Bill"] == "7 Bcc: other@example.org"
    with pytest.raises(MailError, match="not an e-mail address"):
        mail.queue(store, outgoing("k2", recipients=["a@b.org\nBcc: c@d.org"]))


def test_inline_image_is_a_related_part(store: Store, tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    html = '<p>Counts</p><img src="cid:chart@kuzet" alt="chart">'
    msg_out = outgoing(html=html, images=[mail.InlineImage("chart@kuzet", png)])
    mail.queue(store, msg_out)
    mail.send_pending(store)
    raw = next((tmp_path / "var" / "outbox").glob("*.eml")).read_bytes()
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/alternative"
    related = msg.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    image = related.get_payload()[1]
    assert image["Content-ID"] == "<chart@kuzet>"
    assert image.get_content() == png


def test_bad_mail_settings_are_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUZET_SMTP_SECURITY", "tls13")
    with pytest.raises(ConfigError, match="KUZET_SMTP_SECURITY: expected one of starttls"):
        load_settings()
    monkeypatch.delenv("KUZET_SMTP_SECURITY")
    bad = tmp_path / "bad.toml"
    bad.write_text('[mail]\nhots = "x"\n')
    with pytest.raises(ConfigError, match=r"bad.toml: \[mail\]: unknown key 'hots'"):
        load_settings(bad)
    bad.write_text('[alerts]\nto = ["not an address"]\n')
    with pytest.raises(ConfigError, match="is not an e-mail address"):
        load_settings(bad)


def test_outbox_commands(run: object, db_path: Path, smtp_env: object) -> None:
    with Store.open(db_path) as store:
        mail.queue(store, outgoing())
    result = run("outbox", "send")
    assert result.exit_code == 1
    assert "unreachable" in result.output
    assert "0 sent, 1 waiting for a retry" in result.output
    listing = run("outbox", "list", "--status", "pending")
    assert listing.exit_code == 0
    assert "New bill" in listing.output
    assert "last error: mail server 127.0.0.1" in listing.output
    shown = run("outbox", "show", "1")
    assert shown.exit_code == 0
    assert "Message-ID: <kuzet." in shown.output
    assert run("outbox", "show", "99").exit_code == 1
    assert "1 message queued again" in run("outbox", "retry", "1").output
    smtp_env.start()
    sent = run("outbox", "send")
    assert sent.exit_code == 0
    assert "1 sent" in sent.output
    assert len(smtp_env.messages) == 1


def test_long_cyrillic_subjects_decode_to_what_was_queued() -> None:
    text = (
        "По вопросам защиты семьи и детей и запрета пропаганды нетрадиционных сексуальных "
        "отношений — Қазақстан Республикасының кейбір заңнамалық актілеріне отбасы мен "
        "балаларды қорғау мәселелері бойынша өзгерістер енгізу туралы"
    )
    settings = load_settings()
    now = datetime.now(UTC)
    for cut in range(40, len(text), 3):  # every length folds differently
        subject = "Kuzet: approved in second reading (2026-10-28) — " + text[:cut]
        raw = mail.build(outgoing(subject=subject), settings, message_id="<a@b>", date=now)
        assert parse(raw)["Subject"] == mail.one_line(subject), cut
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_two_senders_at_once_deliver_each_message_once(db_path: Path, smtp_env: object) -> None:
    import threading

    smtp_env.start(delay=0.5)
    with Store.open(db_path) as store:
        for i in range(3):
            mail.queue(store, outgoing(f"alert:{i}"))
    reports: list[mail.SendReport] = []

    def sender() -> None:
        with Store.open(db_path) as own:
            reports.append(mail.send_pending(own))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r.sent for r in reports) == [0, 3]
    ids = [parse(raw)["Message-ID"] for _s, _r, raw in smtp_env.messages]
    assert len(ids) == 3
    assert len(set(ids)) == 3


def test_recipients_configured_after_queueing_are_used(
    store: Store, smtp_env: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp_env.start()
    mail.queue(store, outgoing(recipients=[]))
    waiting = mail.send_pending(store)
    assert waiting.deferred == 1
    assert "set [alerts] to or KUZET_ALERT_TO" in waiting.errors[0]
    assert store.outbox_rows()[0]["status"] == "pending"
    monkeypatch.setenv("KUZET_ALERT_TO", "Policy Team <team@example.org>")
    sent = mail.send_pending(store, now=datetime.now(UTC) + timedelta(hours=1))
    assert sent.sent == 1
    _sender, rcpts, raw = smtp_env.messages[0]
    assert rcpts == ["team@example.org"]
    assert parse(raw)["To"] == "Policy Team <team@example.org>"
    assert parse(raw)["Message-ID"] == store.outbox_rows()[0]["message_id"]
    assert store.outbox_rows()[0]["recipients"] == ["Policy Team <team@example.org>"]


def test_retry_names_unknown_and_sent_messages(run: object, db_path: Path) -> None:
    with Store.open(db_path) as store:
        mail.queue(store, outgoing())
    assert run("outbox", "send").exit_code == 0  # written as an .eml: sent
    unknown = run("outbox", "retry", "99")
    assert unknown.exit_code == 1
    assert "no outbox message 99" in unknown.output
    sent = run("outbox", "retry", "1")
    assert sent.exit_code == 1
    assert "was sent already" in sent.output
