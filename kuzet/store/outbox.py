"""The outbox: e-mail queued in the same transaction as its cause, drained by `kuzet.mail`."""

from __future__ import annotations

import json
from typing import Any

from kuzet.documents import now_iso

_LIST_COLUMNS = (
    "id, message_id, dedupe_key, kind, recipients, subject, created_at, status, attempts, "
    "next_attempt_at, last_error, sent_at, delivered_via"
)


class OutboxMixin:
    """Outbox records (mixed into Store)."""

    def queue_message(self, message: dict[str, Any]) -> int | None:
        """Queue one message; returns its id, or None if its `dedupe_key` was queued before.

        `message` has message_id, dedupe_key, kind, recipients (list), subject, body_text,
        body_html (or None) and raw (bytes). Runs inside the caller's transaction when there
        is one, so a message and the event that caused it are written together.
        """
        with self._writing():
            cur = self.db.execute(
                "INSERT OR IGNORE INTO outbox (message_id, dedupe_key, kind, recipients, subject, "
                "body_text, body_html, raw, created_at, status, attempts) "
                "VALUES (?,?,?,?,?,?,?,?,?, 'pending', 0)",
                [
                    message["message_id"],
                    message["dedupe_key"],
                    message["kind"],
                    json.dumps(message["recipients"]),
                    message["subject"],
                    message["body_text"],
                    message.get("body_html"),
                    message["raw"],
                    message.get("created_at") or now_iso(),
                ],
            )
        return int(cur.lastrowid) if cur.rowcount else None

    def is_queued(self, dedupe_key: str) -> bool:
        """True if a message with this dedupe key is in the outbox, whatever its status."""
        row = self.db.execute("SELECT 1 FROM outbox WHERE dedupe_key = ?", [dedupe_key])
        return row.fetchone() is not None

    def due_messages(self, now: str, limit: int | None = None) -> list[dict[str, Any]]:
        """Pending messages whose next attempt is due at `now`, oldest first, with `raw`."""
        return self._rows(
            f"SELECT {_LIST_COLUMNS}, raw FROM outbox WHERE status = 'pending' "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
            [now, -1 if limit is None else limit],
        )

    def set_recipients(self, message_id: int, recipients: list[str], raw: bytes) -> None:
        """Give a message queued without recipients its recipients and rewritten bytes."""
        with self._writing():
            self.db.execute(
                "UPDATE outbox SET recipients = ?, raw = ? WHERE id = ? AND status != 'sent'",
                [json.dumps(recipients), raw, message_id],
            )

    def mark_sent(self, message_id: int, via: str) -> None:
        """Record that the server accepted the message (or its file was written)."""
        with self._writing():
            self.db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, delivered_via = ?, "
                "attempts = attempts + 1, next_attempt_at = NULL, last_error = NULL "
                "WHERE id = ?",
                [now_iso(), via, message_id],
            )

    def mark_attempt_failed(
        self, message_id: int, error: str, *, next_attempt_at: str | None, give_up: bool
    ) -> None:
        """Record a failed attempt: retry at `next_attempt_at`, or mark it failed."""
        with self._writing():
            self.db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                "next_attempt_at = ?, status = ? WHERE id = ?",
                [error[:500], next_attempt_at, "failed" if give_up else "pending", message_id],
            )

    def outbox_rows(
        self, status: str | None = None, *, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Messages, newest first, optionally of one status (without `raw`)."""
        rows = self._rows(
            f"SELECT {_LIST_COLUMNS} FROM outbox WHERE (:status IS NULL OR status = :status) "
            "ORDER BY id DESC LIMIT :limit",
            {"status": status, "limit": -1 if limit is None else limit},
        )
        for row in rows:
            row["recipients"] = json.loads(row["recipients"])
        return rows

    def outbox_message(self, message_id: int) -> dict[str, Any] | None:
        """One message with its `raw` bytes, or None."""
        return self._one(f"SELECT {_LIST_COLUMNS}, raw FROM outbox WHERE id = ?", [message_id])

    def retry_messages(self, ids: list[int] | None = None) -> int:
        """Make failed messages (all, or these ids, failed or pending) due now; returns count."""
        with self._writing():
            if ids:
                marks = ",".join("?" * len(ids))
                cur = self.db.execute(
                    "UPDATE outbox SET status = 'pending', next_attempt_at = NULL "
                    f"WHERE id IN ({marks}) AND status != 'sent'",
                    ids,
                )
            else:
                cur = self.db.execute(
                    "UPDATE outbox SET status = 'pending', next_attempt_at = NULL "
                    "WHERE status = 'failed'"
                )
        return cur.rowcount
