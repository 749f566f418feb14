"""Who may use PAII: accounts, Argon2 password hashes, roles, sign-in with lock-out."""

from paii_core.access.accounts import (
    FIRST_ADMIN,
    LOCKOUT,
    MAX_FAILURES,
    FirstAdmin,
    add_user,
    audit_trail,
    authenticate,
    change_password,
    disable_user,
    ensure_first_admin,
    list_users,
    require,
)
from paii_core.access.roles import (
    PERMISSIONS,
    ROLES,
    Permission,
    Principal,
    Role,
    allowed,
    local_operator,
)

__all__ = [
    "FIRST_ADMIN",
    "LOCKOUT",
    "MAX_FAILURES",
    "PERMISSIONS",
    "ROLES",
    "FirstAdmin",
    "Permission",
    "Principal",
    "Role",
    "add_user",
    "allowed",
    "audit_trail",
    "authenticate",
    "change_password",
    "disable_user",
    "ensure_first_admin",
    "list_users",
    "local_operator",
    "require",
]
