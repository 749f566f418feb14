"""The manifest of a batch run: one JSON line per tile outcome, appended by the client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from os import PathLike
from pathlib import Path

__all__ = ["MANIFEST_NAME", "Manifest"]

MANIFEST_NAME = "manifest.jsonl"


class Manifest:
    """Append-only JSON-lines record of tile outcomes in an output folder.

    Each line is ``{"tile", "input_hash", "model_version", "status", "output", ...}``;
    a dehaze or SR tile also has ``method`` and ``model_version`` as run (``path`` for a
    TOA input dehazed by its haze path) and ``planned_version``, the run's.
    Only the client writes it (workers return their record), one ``write`` + ``fsync``
    per line, so a killed run leaves at most a torn last line, which reading skips.
    The latest line for a tile wins.
    """

    def __init__(self, out_dir: str | PathLike[str]) -> None:
        self.path = Path(out_dir) / MANIFEST_NAME

    def records(self) -> Iterator[dict]:
        """Every complete, parseable line in order (a torn last line is skipped)."""
        if not self.path.is_file():
            return
        with self.path.open("rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    return  # torn by a kill mid-write: the tile is simply redone
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue

    def latest(self) -> dict[str, dict]:
        """The last record of every tile, by tile key."""
        return {r["tile"]: r for r in self.records() if "tile" in r}

    def finished(self, out_dir: Path) -> dict[str, dict]:
        """Tiles recorded ``done`` whose output file still exists."""
        return {
            k: r
            for k, r in self.latest().items()
            if r.get("status") == "done" and (out_dir / r.get("output", "\0")).is_file()
        }

    def append(self, record: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(record, sort_keys=True) + "\n").encode()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # end a line torn by a kill so this one stays whole
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
