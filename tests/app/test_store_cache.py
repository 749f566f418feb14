"""ui.common.stored(): store reads cached per data generation; bookkeeping writes (sign-ins,
the audit trail) keep the generation, data writes move it on."""

from __future__ import annotations

import pytest

from paii_core import store
from ui import common


def _counter():
    calls = []

    def read(con, region_id: str) -> int:
        calls.append(region_id)
        return con.execute("SELECT count(*) FROM audit").fetchone()[0]

    return read, calls


def test_cached_until_the_data_changes_not_on_audit_writes(tiny_world):
    read, calls = _counter()
    first = common.stored(read, "hubei")
    assert common.stored(read, "hubei") == first and calls == ["hubei"]
    common.stored(read, "henan")
    assert calls == ["hubei", "henan"]  # the arguments are part of the key
    with common.bookkeeping_write():
        store.log_event(common.connection(), actor="t", action="view", entity="e", entity_id="1")
    assert common.stored(read, "hubei") == first and len(calls) == 2  # audit only: kept
    store.log_event(common.connection(), actor="t", action="data", entity="e", entity_id="2")
    assert common.stored(read, "hubei") == first + 2 and len(calls) == 3  # any other write


def test_policy_reads_are_never_cached(tiny_world):
    read, _ = _counter()
    with pytest.raises(TypeError, match="reads of policy data are never cached"):
        common.stored(read, "hubei", principal=None)
