"""Who may use PAII: accounts, Argon2 password hashes, roles, sign-in with lock-out."""

from paii_core.access.accounts import (
    FIRST_ADMIN,
    FirstAdmin,
    add_user,
    audit_trail,
    change_password,
    disable_user,
    enable_user,
    ensure_first_admin,
    list_users,
    require,
    reset_password,
    set_role,
)
from paii_core.access.roles import (
    PERMISSIONS,
    ROLES,
    Permission,
    Principal,
    Role,
    allowed,
    exposure_warning,
    local_operator,
)
from paii_core.access.signin import LOCKOUT, MAX_FAILURES, authenticate

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
    "enable_user",
    "ensure_first_admin",
    "exposure_warning",
    "list_users",
    "local_operator",
    "require",
    "reset_password",
    "set_role",
]
