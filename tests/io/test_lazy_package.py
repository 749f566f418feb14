"""paii_core.io loads its table and vector readers (pandas, geopandas) on first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import paii_core.io as io

REPO = Path(__file__).resolve().parents[2]


def test_importing_the_package_loads_no_pandas_or_geopandas():
    code = (
        "import sys, paii_core.io, paii_core.batch.jobs, paii_core.enhance.files; "
        "print(sorted(m for m in ('pandas', 'geopandas') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_every_public_name_resolves_and_an_unknown_one_is_refused():
    from paii_core.io.boundaries import read_boundaries
    from paii_core.io.oco2 import OCO2_COLUMNS

    assert {n for n in io.__all__ if getattr(io, n) is None} == set()
    assert io.read_boundaries is read_boundaries and io.OCO2_COLUMNS is OCO2_COLUMNS
    assert "read_nass_quickstats" in dir(io)
    with pytest.raises(AttributeError, match="has no attribute 'read_nothing'"):
        io.read_nothing  # noqa: B018
