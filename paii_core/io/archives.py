"""Products read inside the archive they were downloaded as (.tar, .tar.gz, .zip).

A member is named by GDAL's virtual path (``/vsitar/{/data/LC08_...tar}/LC08_..._SR_B2.TIF``;
the braces hold the archive's own path, which may contain '.tar/'), so rasterio opens band
files in place, and :func:`member_bytes` reads small members (metadata) with the standard
library. Nothing is unpacked to disk.
"""

from __future__ import annotations

import os
import re
import tarfile
import zipfile
from functools import lru_cache
from pathlib import Path

from paii_core.errors import FormatError

__all__ = [
    "ARCHIVE_RE",
    "archive_members",
    "container",
    "is_member",
    "member_bytes",
    "member_path",
]

# GDAL would write an index of a .tar.gz it seeks in beside it (NAME.tar.gz.properties):
# a user's download folder is not PAII's to write in.
os.environ.setdefault("CPL_VSIL_GZIP_WRITE_PROPERTIES", "NO")

_UNREADABLE = (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, NotImplementedError)
"""What a damaged archive raises (zipfile raises NotImplementedError for a zip version or a
compression method it cannot read: a refusal of the file, not unfinished code)."""

ARCHIVE_RE = re.compile(r"\.(tar|tar\.gz|tgz|zip)$", re.IGNORECASE)
_MEMBER_RE = re.compile(r"^/vsi(tar|zip)/\{(?P<archive>[^}]+)\}/(?P<member>.+)$")


def _is_zip(archive: Path) -> bool:
    return archive.suffix.lower() == ".zip"


def _plain(name: str) -> str:
    """A member's name as GDAL finds it: ``./B2.TIF`` (``tar -C DIR .``) is ``B2.TIF``."""
    while name.startswith("./"):
        name = name[2:]
    return name


@lru_cache(maxsize=32)
def _members(archive: str, mtime: float) -> tuple[str, ...]:
    path = Path(archive)
    try:
        if _is_zip(path):
            with zipfile.ZipFile(path) as z:
                return tuple(_plain(n) for n in z.namelist() if not n.endswith("/"))
        with tarfile.open(path) as t:
            return tuple(_plain(m.name) for m in t.getmembers() if m.isfile())
    except _UNREADABLE as e:
        raise _unreadable(path, e) from e


def _unreadable(archive: Path, e: BaseException) -> FormatError:
    kind = "zip" if _is_zip(archive) else "archive"
    return FormatError(archive, f"is not a readable {kind} ({e})", "download it again")


def archive_members(archive: Path) -> tuple[str, ...]:
    """The files in ``archive`` (their paths inside it), listed once per archive version.

    Raises:
        FormatError: a damaged or truncated archive.
    """
    resolved = archive.resolve()
    return _members(str(resolved), resolved.stat().st_mtime)


def member_path(archive: Path, member: str) -> Path:
    """GDAL's path of ``member`` inside ``archive`` (rasterio opens it in place)."""
    kind = "zip" if _is_zip(archive) else "tar"
    return Path(f"/vsi{kind}/{{{archive.resolve()}}}/{member}")


def container(path: str | Path) -> Path:
    """The file that holds ``path`` on disk: its archive for a :func:`member_path`, else
    ``path`` itself."""
    m = _MEMBER_RE.match(str(path))
    return Path(m["archive"]) if m else Path(path)


def is_member(path: str | Path) -> bool:
    """Whether ``path`` (a :func:`member_path`) names a file that is in its archive."""
    m = _MEMBER_RE.match(str(path))
    return bool(m) and m["member"] in archive_members(Path(m["archive"]))


def member_bytes(path: str | Path, limit: int = -1) -> bytes:
    """The content of the member :func:`member_path` named (metadata files: small), or its
    first ``limit`` bytes."""
    m = _MEMBER_RE.match(str(path))
    if m is None:
        raise ValueError(f"{path} is not a member of an archive")
    archive, member = Path(m["archive"]), m["member"]
    try:
        if _is_zip(archive):
            with zipfile.ZipFile(archive) as z:
                name = next((n for n in z.namelist() if _plain(n) == member), None)
                if name is not None:
                    with z.open(name) as f:
                        return f.read(limit)
        else:
            with tarfile.open(archive) as t:
                info = next((i for i in t.getmembers() if _plain(i.name) == member), None)
                f = t.extractfile(info) if info is not None and info.isfile() else None
                if f is not None:
                    return f.read(limit)
    except _UNREADABLE as e:
        raise _unreadable(archive, e) from e
    raise FormatError(archive, f"holds no file {member}", "download it again")
