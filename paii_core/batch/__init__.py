"""Tiled and many-scene jobs on dask.distributed: manifest, resume, COG mosaics, rollups."""

from paii_core.batch.runner import BatchResult, model_version, plan, run_batch
from paii_core.batch.spec import JOBS

__all__ = ["JOBS", "BatchResult", "model_version", "plan", "run_batch"]
