"""Roles and what each may do; the one table the engine and the pages both consult."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "Permission",
    "Principal",
    "Role",
    "allowed",
    "exposure_warning",
    "local_operator",
]

Role = Literal["underwriter", "esg_analyst", "admin"]
ROLES: tuple[Role, ...] = ("underwriter", "esg_analyst", "admin")

Permission = Literal["policy_data", "county_data", "analysis", "workspace", "areas", "admin"]

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    # Insured names, plots, declarations, indemnities, decisions and their exports.
    "policy_data": frozenset({"underwriter"}),
    # County statistics: yields, floods (without policies), XCO2, cropland shares.
    "county_data": frozenset({"underwriter", "esg_analyst", "admin"}),
    # The analysis pages: imagery, crop labels, floods, yields, carbon.
    "analysis": frozenset({"underwriter", "esg_analyst"}),
    # What data a region holds and importing more (policies need policy_data as well).
    "workspace": frozenset({"underwriter", "esg_analyst", "admin"}),
    # Adding an area of interest from uploaded Sentinel-2 / Sentinel-1 files (the Data
    # page's form; `paii area add` on the server needs no role): it writes imagery under
    # the data folder and can replace an area others use, so not every workspace role.
    # The underwriter reviews parcels on their own captures; the admin manages the data.
    "areas": frozenset({"underwriter", "admin"}),
    # User accounts and the audit trail.
    "admin": frozenset({"admin"}),
}
"""Which roles hold each permission. An admin manages accounts and reads the audit trail
but sees no policyholder data: separation of duties, as insurers' access policies ask."""


@dataclass(frozen=True)
class Principal:
    """Who is signed in. Only :func:`paii_core.access.authenticate` makes one for a page;
    the store re-reads the role from the users table on every check, so a forged or
    stale principal (a disabled user, a changed role) is refused."""

    user: str
    role: Role
    local: bool = False
    """True for a process on the server with file access to the store (the `paii`
    command): it could read the DuckDB file directly, so roles add nothing there; its
    reads are still audited under ``cli:<login>``. Pages never make one."""


def allowed(role: str, permission: Permission) -> bool:
    """Whether ``role`` holds ``permission`` (an unknown role holds nothing)."""
    return role in PERMISSIONS[permission]


def local_operator() -> Principal:
    """The principal of a `paii` command run on the server by the logged-in OS user."""
    import getpass

    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return Principal(user=f"cli:{login}", role="underwriter", local=True)


def exposure_warning(database: Path) -> str | None:
    """A warning when other users of this machine can read the store (its folder, the
    database or its write-ahead log is group- or world-readable): it holds policyholder
    data and password hashes, and reading the file bypasses every role. None when it is
    private or does not exist yet."""
    loose = []
    for path in (database.parent, database, database.with_name(database.name + ".wal")):
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            continue
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            loose.append(f"{path} (mode {stat.S_IMODE(mode):o})")
    if not loose or not database.exists():
        return None
    folder = database.parent
    return (
        f"other users of this machine can read {', '.join(loose)}: the store holds "
        "policyholder data and password hashes, and reading the file bypasses the roles. "
        f"Fix: chmod 700 {folder} && chmod 600 {folder}/*.duckdb* "
        "(and run the dashboard and `paii` as the owner)"
    )
