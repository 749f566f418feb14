"""Checks of a cluster `paii batch` did not start (``--scheduler``): before any tile is
submitted, every worker is asked whether it runs the client's PAII code, can read every
input and sees the output folder, as the client does. A worker on another machine, or in a
container, sees its own file system: without this check each tile failed with "file
not found" for a file the client had just read, and tiles written to a folder the
client cannot see were lost.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Sequence
from pathlib import Path

from paii_core.errors import InputNotFoundError, ValidationError

__all__ = ["PROBE_PREFIX", "check_workers_see", "code_version", "worker_view"]

PROBE_PREFIX = ".paii-probe-"
"""A probe file the client writes in --out (ends in ``.tmp``: a killed run's is cleaned)."""
SHARED_FIX = (
    "the workers read the inputs and write --out themselves, so put both on storage "
    "every worker mounts at the same path as the client (NFS, a shared disk, the same "
    "container volume), or leave --scheduler out to run on this machine"
)


_CODE: tuple[str, str] | None = None


def code_version() -> tuple[str, str]:
    """``(hash, folder)`` of the PAII source this process runs: the hash of every
    ``paii_core/**/*.py`` (15 ms), taken the first time it is asked and kept, since a
    worker keeps the modules it imported even after its files change (a `git pull`
    while workers run)."""
    global _CODE
    if _CODE is None:
        import paii_core

        root = Path(paii_core.__file__).parent
        h = hashlib.sha256()
        for f in sorted(root.rglob("*.py")):
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
        _CODE = (h.hexdigest()[:12], str(root))
    return _CODE


def worker_view(paths: Sequence[str], probe: str) -> dict:
    """What one worker sees (runs there): the inputs it cannot read, whether the
    client's probe file in the output folder is visible, and the PAII code it runs."""
    return {
        "code": code_version(),
        "host": socket.gethostname(),
        "missing": [p for p in paths if not os.access(p, os.R_OK)],
        "out": os.path.isfile(probe),
    }


def check_workers_see(client, scheduler: str, files: Sequence[str | Path], out_dir: Path) -> None:
    """Raise unless every worker of ``client`` runs PAII and sees ``files`` and ``out_dir``.

    Raises:
        ValidationError: a worker cannot import PAII, runs other PAII code than this
            process (:func:`code_version`), or cannot see ``out_dir``.
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
    mine = code_version()
    for addr, seen in sorted(answers.items()):
        where = f"worker {addr} (host {seen['host']})"
        theirs = tuple(seen.get("code", ("older than this check", "its own install")))
        if theirs[0] != mine[0]:
            raise ValidationError(
                f"--scheduler {scheduler}: {where} runs other PAII code (version "
                f"{theirs[0]} from {theirs[1]}) than this client ({mine[0]} from {mine[1]}), "
                "so its tiles could differ from what this version computes; restart the "
                "workers from the same PAII (install or PYTHONPATH): a worker keeps the "
                "code it imported when it started"
            )
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
