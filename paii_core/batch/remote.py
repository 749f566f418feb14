"""Checks of a cluster `paii batch` did not start (``--scheduler``): before any tile is
submitted, every worker is asked whether it can run PAII's code, read every input and
see the output folder, as the client does. A worker on another machine, or in a
container, sees its own file system: without this check each tile failed with "file
not found" for a file the client had just read, and tiles written to a folder the
client cannot see were lost.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from pathlib import Path

from paii_core.errors import InputNotFoundError, ValidationError

__all__ = ["PROBE_PREFIX", "check_workers_see", "worker_view"]

PROBE_PREFIX = ".paii-probe-"
"""A probe file the client writes in --out (ends in ``.tmp``: a killed run's is cleaned)."""
SHARED_FIX = (
    "the workers read the inputs and write --out themselves, so put both on storage "
    "every worker mounts at the same path as the client (NFS, a shared disk, the same "
    "container volume), or leave --scheduler out to run on this machine"
)


def worker_view(paths: Sequence[str], probe: str) -> dict:
    """What one worker sees (runs there): the inputs it cannot read, and whether the
    client's probe file in the output folder is visible."""
    return {
        "host": socket.gethostname(),
        "missing": [p for p in paths if not os.access(p, os.R_OK)],
        "out": os.path.isfile(probe),
    }


def check_workers_see(client, scheduler: str, files: Sequence[str | Path], out_dir: Path) -> None:
    """Raise unless every worker of ``client`` runs PAII and sees ``files`` and ``out_dir``.

    Raises:
        ValidationError: a worker cannot import PAII, or cannot see ``out_dir``.
        InputNotFoundError: a worker cannot read an input the client reads.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    probe = out_dir / f"{PROBE_PREFIX}{uuid.uuid4().hex}.tmp"
    probe.write_bytes(b"")
    try:
        answers = client.run(worker_view, [str(f) for f in files], str(probe))
    except (ImportError, AttributeError) as e:  # the worker unpickles worker_view by name
        raise ValidationError(
            f"--scheduler {scheduler}: its workers cannot run PAII's code ({type(e).__name__}: "
            f"{e}); install PAII in the workers' environment, or put its folder on their "
            "PYTHONPATH, and restart them"
        ) from None
    finally:
        probe.unlink(missing_ok=True)
    for addr, seen in sorted(answers.items()):
        where = f"worker {addr} (host {seen['host']})"
        if seen["missing"]:
            first = seen["missing"][0]
            more = f" (and {len(seen['missing']) - 1} more)" if len(seen["missing"]) > 1 else ""
            raise InputNotFoundError(
                f"--inputs {first}{more}: this machine reads it, but {where} of --scheduler "
                f"{scheduler} cannot; {SHARED_FIX}"
            )
        if not seen["out"]:
            raise ValidationError(
                f"--out {out_dir}: {where} of --scheduler {scheduler} does not see this "
                f"folder (a file written here is not there); {SHARED_FIX}"
            )
