"""Story clusters: the MinHash band index and each document's cluster (see kuzet.clusters)."""

from __future__ import annotations

import contextlib
from typing import Any

_CLUSTER_COLUMNS = "id, kind, dated_utc, title, text, sha256, cluster_id, cluster_sha"
#: SQLite's default limit on bound parameters is 32766; stay well below it.
_CHUNK = 900


class ClustersMixin:
    """Cluster bookkeeping (mixed into Store)."""

    def transaction(self) -> Any:
        """`with store.transaction():` several store calls committed together (or not at all)."""
        return self._writing()

    def _within(self) -> Any:
        """The caller's transaction if there is one (no savepoint per call), else a new one."""
        return contextlib.nullcontext() if self.db.conn.in_transaction else self._writing()

    def unclustered_ids(self, limit: int, *, after_id: int = 0) -> list[int]:
        """Ids (above `after_id`) of documents not clustered in their current text, in order."""
        rows = self.db.execute(
            "SELECT id FROM documents WHERE id > ? AND cluster_sha IS NOT sha256 "
            "ORDER BY id LIMIT ?",
            [after_id, limit],
        )
        return [r[0] for r in rows]

    def documents_for_clustering(self, ids: list[int]) -> list[dict[str, Any]]:
        """The rows clustering reads (text included), in id order."""
        out = self._rows_in(
            f"SELECT {_CLUSTER_COLUMNS} FROM documents WHERE id IN ({{ids}})", ids, _CHUNK
        )
        return sorted(out, key=lambda r: r["id"])

    def band_holders(self, keys: list[int]) -> dict[int, list[int]]:
        """For each of `keys` stored in `minhash_bands`, the documents holding it."""
        out: dict[int, list[int]] = {}
        for row in self._rows_in(
            "SELECT band_key, document_id FROM minhash_bands WHERE band_key IN ({ids})",
            keys,
            _CHUNK,
        ):
            out.setdefault(row["band_key"], []).append(row["document_id"])
        return out

    def release_cluster(self, doc_id: int) -> None:
        """Take a document out of its cluster before it is clustered again (its text changed).

        Its band keys go; if the cluster was named after it, the rest take the next id.
        """
        with self._within():
            self.db.execute("DELETE FROM minhash_bands WHERE document_id = ?", [doc_id])
            self.db.execute(
                "UPDATE documents SET cluster_id = (SELECT min(id) FROM documents "
                "WHERE cluster_id = :id AND id != :id) WHERE cluster_id = :id AND id != :id",
                {"id": doc_id},
            )
            self.db.execute(
                "UPDATE documents SET cluster_id = NULL, cluster_sha = NULL WHERE id = ?", [doc_id]
            )

    def save_cluster(
        self, doc_id: int, sha256: str, cluster_id: int, keys: list[int], *, merge: list[int]
    ) -> None:
        """Record a document's cluster and band keys; clusters in `merge` join `cluster_id`."""
        with self._within():
            others = [c for c in merge if c != cluster_id]
            if others:
                marks = ",".join("?" * len(others))
                self.db.execute(
                    f"UPDATE documents SET cluster_id = ? WHERE cluster_id IN ({marks})",
                    [cluster_id, *others],
                )
            self.db.execute(
                "UPDATE documents SET cluster_id = ?, cluster_sha = ? WHERE id = ?",
                [cluster_id, sha256, doc_id],
            )
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO minhash_bands (band_key, document_id) VALUES (?, ?)",
                [(k, doc_id) for k in keys],
            )

    def cluster_members(self, cluster_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """Every document of these clusters (id, url, source and its name, dates), by cluster."""
        out: dict[int, list[dict[str, Any]]] = {}
        for row in self._rows_in(
            "SELECT d.id, d.cluster_id, d.url, d.source, coalesce(s.name, d.source) AS "
            "source_name, d.lang, d.published_at, d.first_seen_at, d.dated_utc "
            "FROM documents d LEFT JOIN sources s ON s.id = d.source "
            "WHERE d.cluster_id IN ({ids}) ORDER BY d.dated_utc, d.id",
            cluster_ids,
            _CHUNK,
        ):
            out.setdefault(row["cluster_id"], []).append(row)
        return out
