"""What the scheduler needs: closing runs that were cut short, bad-run streaks, past notices."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kuzet.documents import now_iso

#: A stored ISO 8601 time, any offset, as UTC `YYYY-MM-DDTHH:MM:SSZ` (SQL).
_UTC = "strftime('%Y-%m-%dT%H:%M:%SZ', {col})"
#: A crawl run that did not fail and where something answered (see kuzet.health.is_bad).
_GOOD = "status NOT IN ('failed', 'running') AND (pages > 0 OR method IS NOT NULL)"


class OperationsMixin:
    """Run bookkeeping for the scheduler (mixed into Store)."""

    def unfinished_runs(
        self, job: str, *, after_id: int = 0, sources: Iterable[str] | None = None
    ) -> list[dict[str, Any]]:
        """Runs of `job` above `after_id` still marked `running` (optionally of these sources)."""
        rows = self._rows(
            "SELECT * FROM runs WHERE job = ? AND id > ? AND status = 'running' ORDER BY id",
            [job, after_id],
        )
        wanted = None if sources is None else set(sources)
        return [r for r in rows if wanted is None or r["source"] in wanted]

    def fail_runs(self, run_ids: Iterable[int], reason: str) -> None:
        """Mark these runs failed, `reason` first in their message (what they said stays)."""
        ids = list(run_ids)
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        with self._writing():
            self.db.execute(
                "UPDATE runs SET status = 'failed', finished_at = coalesce(finished_at, ?), "
                "message = ? || coalesce('; ' || message, '') "
                f"WHERE id IN ({marks})",
                [now_iso(), reason, *ids],
            )

    def record_failed_run(self, job: str, source: str | None, reason: str) -> int:
        """A run that never got to record itself (it hung before starting): failed at once."""
        run_id = self.start_run(job, source)
        self.finish_run(run_id, "failed", message=reason)
        return run_id

    def close_orphaned_runs(self, alive: Callable[[int], bool], reason: str) -> list[dict]:
        """Close every `running` row whose process is gone (`alive(pid)` is False) as failed.

        Rows without a pid (written before runs recorded one) are closed when more than a day
        old. Returns the rows closed.
        """
        rows = self._rows(
            "SELECT id, job, source, pid, started_at FROM runs WHERE status = 'running' "
            "AND (pid IS NOT NULL OR started_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 day'))"
            " ORDER BY id",
            [],
        )
        orphans = [r for r in rows if r["pid"] is None or not alive(int(r["pid"]))]
        for row in orphans:
            pid = f"process {row['pid']}" if row["pid"] else "its process"
            self.fail_runs([row["id"]], reason.format(pid=pid))
        return orphans

    def bad_streak_start(self, source: str, job: str = "crawl") -> dict[str, Any] | None:
        """The first run of the source's current streak of bad runs (see health.is_bad), if any.

        Its id names the incident: it stays the same however long the streak goes on.
        """
        return self._one(
            "SELECT * FROM runs WHERE job = ? AND source = ? AND status != 'running' "
            "AND id > coalesce((SELECT max(id) FROM runs WHERE job = ? AND source = ? "
            f"AND {_GOOD}), 0) ORDER BY id LIMIT 1",
            [job, source, job, source],
        )

    def count_runs_since(self, source: str, first_id: int, job: str = "crawl") -> int:
        """Finished runs of `source` from run `first_id` on (the length of a bad streak)."""
        row = self.db.execute(
            "SELECT count(*) FROM runs WHERE job = ? AND source = ? AND id >= ? "
            "AND status != 'running'",
            [job, source, first_id],
        ).fetchone()
        return int(row[0])

    def last_good_run(self, source: str, job: str = "crawl") -> dict[str, Any] | None:
        """The latest run of `source` that did not fail and where something answered."""
        return self._one(
            f"SELECT * FROM runs WHERE job = ? AND source = ? AND {_GOOD} ORDER BY id DESC LIMIT 1",
            [job, source],
        )

    def queued_keys(self, prefix: str) -> list[str]:
        """Dedupe keys of outbox messages starting with `prefix`, in key order."""
        rows = self.db.execute(
            "SELECT dedupe_key FROM outbox WHERE substr(dedupe_key, 1, ?) = ? ORDER BY dedupe_key",
            [len(prefix), prefix],
        )
        return [r[0] for r in rows]

    def queued_message(self, dedupe_key: str) -> dict[str, Any] | None:
        """The outbox row (without its bytes) queued under `dedupe_key`, if any."""
        return self._one(
            "SELECT id, dedupe_key, status, attempts, last_error, sent_at, delivered_via "
            "FROM outbox WHERE dedupe_key = ?",
            [dedupe_key],
        )

    def first_record_at(self) -> str | None:
        """When this database first recorded anything: its oldest run or stored document, as
        `YYYY-MM-DDTHH:MM:SSZ` (UTC), or None when it holds neither.

        The smallest stored string narrows the search (documents by their index); values
        within two days of it are compared in UTC, so any stored offset is read right.
        """
        row = self.db.execute(
            f"SELECT min({_UTC.format(col='t')}) FROM ("
            "SELECT started_at AS t FROM runs "
            "WHERE started_at < date((SELECT min(started_at) FROM runs), '+2 days') "
            "UNION ALL SELECT first_seen_at FROM documents "
            "WHERE first_seen_at < date((SELECT min(first_seen_at) FROM documents), '+2 days'))"
        ).fetchone()
        return row[0] if row else None

    def pending_message_count(self) -> int:
        """Messages waiting in the outbox (not sent, not given up)."""
        row = self.db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()
        return int(row[0])
