"""The store: the only place that talks to SQLite (through sqlite-utils).

`Store` is assembled from one module per concern: `base` (opening, migrations, documents, runs),
`queries` (search and look-up), `annotations` (the NLP stage's records), `crawl` (crawler
bookkeeping), `outbox` (e-mail waiting to be sent), `bills` (bills and their timelines),
`operations` (the scheduler's run bookkeeping), `clusters` (story clusters) and `digest` (what
the daily digest reads).
"""

from kuzet.store.annotations import AnnotationsMixin
from kuzet.store.base import BUSY_TIMEOUT_S, SQLITE_HEADER, BaseStore, UpsertCounts
from kuzet.store.bills import BillsMixin
from kuzet.store.clusters import ClustersMixin
from kuzet.store.crawl import CrawlMixin
from kuzet.store.digest import DigestMixin
from kuzet.store.operations import OperationsMixin
from kuzet.store.outbox import OutboxMixin
from kuzet.store.queries import HL_END, HL_START, QueriesMixin, SearchFilters


class Store(
    QueriesMixin,
    AnnotationsMixin,
    CrawlMixin,
    OutboxMixin,
    BillsMixin,
    OperationsMixin,
    ClustersMixin,
    DigestMixin,
    BaseStore,
):
    """A Kuzet database: one SQLite file in WAL mode, migrated on open."""


__all__ = [
    "BUSY_TIMEOUT_S",
    "HL_END",
    "HL_START",
    "SQLITE_HEADER",
    "SearchFilters",
    "Store",
    "UpsertCounts",
]
