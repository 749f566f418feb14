"""The audit trail's hash chain: each event's SHA-256 covers its content and the previous
event's hash, so an edit, a deletion or a reordering by someone with the DuckDB file shows.

The idea is the linked hash chain of Haber & Stornetta ("How to time-stamp a digital
document", J. Cryptology 3(2), 1991) as used for secure audit logs by Schneier & Kelsey
("Secure audit logs to support computer forensics", ACM TISSEC 2(2), 1999): hash_n =
SHA-256(encoding(event_n) || hash_(n-1)), with a fixed first predecessor. Without a secret
key, someone who edits the file can recompute every hash after the edit; a head (event id
and hash) noted outside the file, checked with ``verify(con, anchor=...)``, catches that.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd

from paii_core.errors import ValidationError

__all__ = ["GENESIS", "ChainState", "link_hash", "parse_anchor", "seal_unchained", "verify"]

GENESIS = "0" * 64
"""The predecessor of the chain's first event."""

_BATCH = 10_000
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))
"""One encoder for every event: json.dumps with options builds a new one per call (a
third of the time of verifying 50,000 events)."""


def link_hash(
    event_id: int,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: str | None,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of one event and its predecessor's hash.

    The encoding is a JSON array (ASCII, no spaces) with a version tag first: JSON's
    quoting keeps field boundaries unambiguous ("ab" + "c" never reads as "a" + "bc"),
    and the tag lets a later encoding coexist with this one. Times are ISO 8601 to the
    microsecond, the precision of DuckDB's TIMESTAMP.
    """
    encoded = _ENCODER.encode(
        [
            "paii-audit-1",
            int(event_id),
            at.isoformat(timespec="microseconds"),
            actor,
            action,
            entity,
            entity_id,
            detail,
            prev_hash,
        ]
    )
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


_COLUMNS = 'event_id, "at", actor, action, entity, entity_id, detail'


def seal_unchained(con: duckdb.DuckDBPyConnection) -> int:
    """Chain the events that have no hash yet (a store from before migration 54, or a
    trail carried over from one), oldest first, onto the last chained event; returns how
    many were sealed. The first time, it records where the chain starts and up to which
    event it was built from the trail as found (those events were not hashed when they
    were written: the chain proves only that they have not changed since).

    Call inside a transaction (the migration's) so the chain and its record land together.
    """
    last = con.execute(
        "SELECT event_id, hash FROM audit WHERE hash IS NOT NULL ORDER BY event_id DESC LIMIT 1"
    ).fetchone()
    prev = GENESIS if last is None else last[1]
    after = 0 if last is None else int(last[0])
    cur = con.execute(
        f"SELECT {_COLUMNS} FROM audit WHERE hash IS NULL AND event_id > ? ORDER BY event_id",
        [after],
    )
    sealed: list[tuple[int, str, str]] = []
    while rows := cur.fetchmany(_BATCH):
        for row in rows:
            digest = link_hash(*row, prev)
            sealed.append((int(row[0]), prev, digest))
            prev = digest
    if sealed:
        frame = pd.DataFrame(sealed, columns=["event_id", "prev_hash", "hash"])
        con.register("_paii_sealed", frame)
        try:
            con.execute(
                "UPDATE audit SET prev_hash = s.prev_hash, hash = s.hash "
                "FROM _paii_sealed AS s WHERE audit.event_id = s.event_id"
            )
        finally:
            con.unregister("_paii_sealed")
    if con.execute("SELECT count(*) FROM audit_chain").fetchone()[0] == 0:
        first, through = con.execute(
            "SELECT coalesce(min(event_id), 1), coalesce(max(event_id), 0) FROM audit"
        ).fetchone()
        con.execute(
            "INSERT INTO audit_chain (started_at, first_event_id, sealed_through) VALUES (?, ?, ?)",
            [_now(), int(first), int(through)],
        )
    return len(sealed)


@dataclass(frozen=True)
class ChainState:
    """What :func:`verify` found.

    ``first_event_id``: where the chain starts; events up to ``sealed_through`` (0: none)
    were chained on ``started_at`` from the trail as it was then, later ones when they
    were written. ``broken_event_id``/``broken_at``/``problem``: the first broken link
    (None when intact). ``head_event_id``/``head_hash``: the last event checked, to note
    outside the store as an anchor.
    """

    started_at: datetime | None
    first_event_id: int | None
    sealed_through: int
    events: int
    head_event_id: int | None
    head_hash: str | None
    broken_event_id: int | None = None
    broken_at: datetime | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    @property
    def anchor(self) -> str | None:
        """``EVENT_ID:HASH`` of the head, the form :func:`parse_anchor` reads."""
        return None if self.head_event_id is None else f"{self.head_event_id}:{self.head_hash}"

    def summary(self) -> str:
        """One sentence on where the chain starts and whether it holds."""
        if self.started_at is None:
            start = "the audit trail has no chain record (audit_chain is empty)"
        else:
            start = f"the chain starts at event {self.first_event_id}"
            if self.sealed_through >= (self.first_event_id or 1):
                start += (
                    f"; events {self.first_event_id}-{self.sealed_through} were chained on "
                    f"{self.started_at:%Y-%m-%d %H:%M} UTC from the trail as it was then "
                    "(their earlier history is not proven)"
                )
        if not self.intact:
            where = (
                ""
                if self.broken_event_id is None
                else (f" at event {self.broken_event_id} ({self.broken_at:%Y-%m-%d %H:%M:%S} UTC)")
            )
            return f"broken{where}: {self.problem}; {start}"
        return f"intact: {self.events} event(s) checked; {start}"


def parse_anchor(text: str) -> tuple[int, str]:
    """``EVENT_ID:HASH`` (as printed by `paii audit verify`) as (event id, hash).

    Raises:
        ValidationError: not two fields, a non-numeric id or a hash that is not 64 hex
            characters.
    """
    event, _, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not event.strip().isdigit() or len(digest) != 64 or set(digest) - set("0123456789abcdef"):
        raise ValidationError(
            f"anchor {text!r} is not EVENT_ID:HASH; copy the 'head' line that "
            "`paii audit verify` printed (an event id, a colon, 64 hex characters)"
        )
    return int(event), digest


def verify(con: duckdb.DuckDBPyConnection, *, anchor: tuple[int, str] | None = None) -> ChainState:
    """Walk the whole trail oldest first and report the first broken link: an event
    whose hash does not match its content (edited), whose predecessor hash is not the
    previous event's (reordered or replaced), a gap in the ids (deleted events), a first
    event other than the recorded start (the oldest deleted), or, with ``anchor`` (an
    event id and hash noted earlier), that event missing or different (the tail cut off
    or the trail rewritten and rehashed)."""
    record = con.execute(
        "SELECT started_at, first_event_id, sealed_through FROM audit_chain LIMIT 1"
    ).fetchone()
    started, first, through = record if record else (None, None, 0)
    cur = con.execute(f"SELECT {_COLUMNS}, prev_hash, hash FROM audit ORDER BY event_id")
    expected_id, prev, count = first, GENESIS, 0
    head: tuple[int, str] | None = None
    anchor_seen = False

    def state(row: tuple | None = None, problem: str | None = None) -> ChainState:
        return ChainState(
            started, first, int(through or 0), count,
            None if head is None else head[0], None if head is None else head[1],
            None if row is None else int(row[0]), None if row is None else row[1], problem,
        )  # fmt: skip

    if record is None:
        return state(None, "no chain record: the audit_chain table was emptied")
    while rows := cur.fetchmany(_BATCH):
        for row in rows:
            event_id, stored_prev, stored = int(row[0]), row[7], row[8]
            if event_id != expected_id:
                missing = (
                    f"events {expected_id}-{event_id - 1} are missing (deleted)"
                    if event_id > expected_id
                    else f"event id {event_id} is out of order (expected {expected_id})"
                )
                return state(row, missing)
            if stored is None:
                return state(row, "the event has no hash (inserted outside PAII)")
            if stored_prev != prev:
                return state(row, "its link to the previous event does not match (replaced)")
            if link_hash(*row[:7], prev) != stored:
                return state(row, "its content does not match its hash (edited)")
            if anchor is not None and event_id == anchor[0]:
                if stored != anchor[1]:
                    return state(row, "the anchored event's hash differs (trail rewritten)")
                anchor_seen = True
            prev, expected_id, count = stored, event_id + 1, count + 1
            head = (event_id, stored)
    if anchor is not None and not anchor_seen:
        return state(
            None,
            f"the anchored event {anchor[0]} is not in the trail "
            f"(the trail ends at {head[0] if head else 'no event'}: newest events deleted)",
        )
    return state()
