"""Flood store queries fail with a StoreError that names what could not be read."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from paii_core.access import local_operator
from paii_core.errors import StoreError
from paii_core.store import flood as flood_store


def test_queries_on_a_store_without_flood_tables_raise_store_error():
    con = duckdb.connect()
    try:
        with pytest.raises(StoreError, match="county flood impacts of e1"):
            flood_store.county_impacts(con, "e1", "hubei", date(2020, 7, 20))
        with pytest.raises(StoreError, match="flooded policies of e1"):
            flood_store.policy_hits(con, "e1", principal=local_operator())
        with pytest.raises(StoreError, match="could not read flood events"):
            flood_store.events(con)
    finally:
        con.close()
