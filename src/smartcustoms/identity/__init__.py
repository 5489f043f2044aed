"""Identity: users and roles, API tokens, the hash-chained audit log."""

from smartcustoms.identity import audit
from smartcustoms.identity.audit import AuditReport
from smartcustoms.identity.roles import SYSTEM, Permission, Principal, Role
from smartcustoms.identity.service import (
    authenticate,
    create_user,
    get_user,
    issue_token,
    list_users,
    principal_for_token,
    principal_of,
    revoke_token,
)
from smartcustoms.identity.tables import UserRow

__all__ = [
    "SYSTEM",
    "AuditReport",
    "Permission",
    "Principal",
    "Role",
    "UserRow",
    "audit",
    "authenticate",
    "create_user",
    "get_user",
    "issue_token",
    "list_users",
    "principal_for_token",
    "principal_of",
    "revoke_token",
]
