"""Shared fixtures: one tiny demo world per test session, built through the real pipeline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory) -> Path:
    """A tiny demo world and its database in a temporary data folder.

    Returns the data folder (holding demo/ and paii.duckdb). PAII_DATA_DIR points at it
    for the whole session, so pages and the CLI read it instead of the real data/.
    """
    from paii_core.demo import build_demo

    data = tmp_path_factory.mktemp("paii-data")
    os.environ["PAII_DATA_DIR"] = str(data)
    build_demo(data, size="tiny", seed=7)
    return data
