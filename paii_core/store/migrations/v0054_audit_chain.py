"""Migration 54: the audit trail becomes a hash chain (tamper-evident).

Each event gets ``prev_hash`` and ``hash`` (SHA-256, see paii_core.store.audit_chain);
``audit_chain`` records where the chain starts and up to which event it was built from
the trail as this migration found it. Existing events are chained here, oldest first.
"""

from __future__ import annotations

import duckdb

VERSION = 54
NAME = "audit hash chain"


def _chain_existing(con: duckdb.DuckDBPyConnection) -> None:
    # Imported here: the store package loads the migrations while it is being imported.
    from paii_core.store.audit_chain import seal_unchained

    seal_unchained(con)


STATEMENTS = (
    "ALTER TABLE audit ADD COLUMN prev_hash TEXT",
    "ALTER TABLE audit ADD COLUMN hash TEXT",
    """CREATE TABLE audit_chain (
        started_at TIMESTAMP NOT NULL,
        first_event_id BIGINT NOT NULL,
        sealed_through BIGINT NOT NULL)""",
    _chain_existing,
)
