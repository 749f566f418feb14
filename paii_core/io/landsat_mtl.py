"""Landsat MTL metadata files: parsing (ODL text of pre-collection, Collection 1 and 2
products, and Collection 2 JSON) into groups of keys, and finding a product's MTL from the
MTL itself, the product folder, one of its band files or the archive it came in."""

from __future__ import annotations

import json
import re
from os import PathLike
from pathlib import Path

from paii_core.errors import FormatError, InputNotFoundError
from paii_core.io.archives import ARCHIVE_RE, archive_members, is_member, member_bytes, member_path

__all__ = ["FIX_MTL", "Mtl", "find_mtl", "get", "is_landsat", "product_files", "read_mtl"]

_MAX_MTL_BYTES = 4 * 2**20
_MTL_GLOBS = ("*_MTL.txt", "*_MTL.json", "*_mtl.txt", "*_mtl.json")
FIX_MTL = (
    "keep the product's *_MTL.txt (or *_MTL.json) beside its band files, as USGS "
    "EarthExplorer delivers them"
)

Mtl = dict[str, dict[str, str]]
"""An MTL file: group name -> key -> value (innermost group; strings unquoted)."""


def read_mtl(path: str | PathLike[str]) -> Mtl:
    """Parse a Landsat MTL file (ODL text or Collection 2 JSON) into groups of keys.

    Raises InputNotFoundError for a missing file and FormatError for a file that is not
    an MTL (no ``KEY = value`` lines in groups, or JSON without objects)."""
    p = Path(path)
    inside = str(p).startswith("/vsi")  # a member of the product's archive
    if not (is_member(p) if inside else p.is_file()):
        raise InputNotFoundError(f"{p}: Landsat MTL file not found. Fix: {FIX_MTL}")
    raw = member_bytes(p) if inside else None
    size = len(raw) if raw is not None else p.stat().st_size
    if size > _MAX_MTL_BYTES:  # real MTLs are 5-70 kB (some NUL-padded)
        raise FormatError(
            p,
            f"is {size / 2**20:.0f} MiB, too big for a Landsat MTL file",
            "pass the product's *_MTL.txt (a few kB)",
        )
    raw = raw if raw is not None else p.read_bytes()
    text = raw.replace(b"\x00", b"").decode("utf-8", errors="replace")
    groups: Mtl = {}
    if text.lstrip().startswith("{"):
        try:
            _json_groups(json.loads(text), "", groups)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            raise FormatError(p, f"is not valid JSON ({type(exc).__name__})", FIX_MTL) from None
    else:
        stack = [""]
        for line in text.splitlines():
            key, eq, value = line.partition("=")
            key, value = key.strip(), value.strip().strip('"')
            if not eq:
                continue
            if key == "GROUP":
                stack.append(value)
            elif key == "END_GROUP":
                if len(stack) > 1:
                    stack.pop()
            else:
                groups.setdefault(stack[-1], {})[key] = value
    if not any(groups.values()):
        raise FormatError(p, "is not a Landsat MTL file (no KEY = value metadata found)", FIX_MTL)
    return groups


def _json_groups(node: object, name: str, out: Mtl) -> None:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if isinstance(value, dict):
            _json_groups(value, key, out)
        elif not isinstance(value, list):
            out.setdefault(name, {})[key] = "" if value is None else str(value)


def get(meta: Mtl, *keys: str, group: str | None = None) -> str | None:
    """The first of ``keys`` found: in ``group`` when given, else in any group."""
    scopes = [meta.get(group, {})] if group else list(meta.values())
    for key in keys:
        for scope in scopes:
            if key in scope and scope[key] != "":
                return scope[key]
    return None


def find_mtl(path: str | PathLike[str]) -> Path:
    """The MTL file of ``path``: the MTL itself, the product folder, or a band file with
    its MTL beside it. Raises InputNotFoundError when there is none and FormatError when a
    folder holds several products."""
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"{p}: Landsat product not found; check the path")
    if p.is_file() and ARCHIVE_RE.search(p.name):
        return _archive_mtl(p)
    if p.is_file() and re.search(r"_mtl\.(txt|json)$", p.name, re.IGNORECASE):
        return p
    folder = p if p.is_dir() else p.parent
    found = sorted({m for g in _MTL_GLOBS for m in folder.glob(g)})
    if p.is_file():  # a band file: the MTL that lists it by name
        found = [m for m in found if _lists(m, p.name)]
    if not found:
        where = "in this folder" if p.is_dir() else "beside this file"
        raise InputNotFoundError(
            f"{p}: no Landsat MTL metadata file (*_MTL.txt or *_MTL.json) {where}; "
            f"reflectance cannot be computed without it. Fix: {FIX_MTL}"
        )
    # Collection 2 delivers the same metadata as .txt and .json: one product, one MTL.
    ids = {_product_id(m).upper() for m in found}
    if len(ids) > 1:
        raise FormatError(
            p,
            f"holds {len(ids)} Landsat products' MTL files ({', '.join(m.name for m in found)})",
            "pass the MTL file of the product you mean instead of the folder",
        )
    return next((m for m in found if m.suffix.lower() == ".txt"), found[0])


def _archive_mtl(archive: Path) -> Path:
    """The MTL inside a product's archive as downloaded (EarthExplorer's ``.tar``), as the
    path GDAL reads members by: its bands are read in place, nothing unpacked."""
    found = [m for m in archive_members(archive) if re.search(r"_mtl\.(txt|json)$", m, re.I)]
    if not found:
        raise FormatError(
            archive,
            "holds no Landsat MTL metadata file (*_MTL.txt or *_MTL.json)",
            "pass the product's archive as USGS EarthExplorer delivers it (the .tar of its "
            "band files and MTL), or the extracted folder",
        )
    ids = {_product_id(Path(m)).upper() for m in found}
    if len(ids) > 1:
        raise FormatError(
            archive,
            f"holds {len(ids)} Landsat products' MTL files ({', '.join(sorted(found))})",
            "pass one product's archive",
        )
    mtl = next((m for m in found if m.lower().endswith(".txt")), found[0])
    return member_path(archive, mtl)


def _lists(mtl: Path, name: str) -> bool:
    """Whether ``mtl`` names the file ``name`` (a band or quality file of its product)."""
    try:
        meta = read_mtl(mtl)
    except (InputNotFoundError, FormatError):
        return False
    return any(name == v for keys in meta.values() for v in keys.values())


def _product_id(mtl: Path) -> str:
    return re.sub(r"_mtl\.(txt|json)$", "", mtl.name, flags=re.IGNORECASE)


def is_landsat(path: str | PathLike[str]) -> bool:
    """Whether ``path`` is a Landsat MTL file, a folder holding one, or a band file with
    its MTL beside it (nothing is read but file names and MTLs), or a Landsat product's
    archive (``L*.tar``: :func:`read_landsat` then says to extract it)."""
    if re.match(r"L[CTEOM]0?\d.*\.(tar|tar\.gz|tgz|zip)$", Path(path).name, re.IGNORECASE):
        return Path(path).is_file()
    try:
        find_mtl(path)
    except InputNotFoundError:
        return False
    except FormatError:  # MTLs of several products: Landsat, and read_landsat says which
        return True
    return True


def product_files(path: str | PathLike[str]) -> list[Path]:
    """The files of the Landsat product ``path`` belongs to (as :func:`find_mtl` finds
    it): its MTL and every file beside it that the MTL names; [] when it is no product.
    An output written over one of them would destroy the input."""
    if Path(path).is_file() and ARCHIVE_RE.search(Path(path).name):
        return [Path(path)]  # read in place: the archive is the product's one file
    try:
        mtl = find_mtl(path)
        meta = read_mtl(mtl)
    except (InputNotFoundError, FormatError):
        return []
    named = {v for keys in meta.values() for v in keys.values() if isinstance(v, str)}
    return [mtl, *(mtl.parent / n for n in sorted(named) if (mtl.parent / n).is_file())]
