"""Roles and what each may do. One table, checked by every door (API, console, CLI)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from smartcustoms.errors import PermissionDenied


class Role(enum.StrEnum):
    trader = "trader"
    officer = "officer"
    analyst = "analyst"
    supervisor = "supervisor"
    admin = "admin"


class Permission(enum.StrEnum):
    submit_declaration = "declarations:submit"
    read_own_declarations = "declarations:read-own"
    read_all_declarations = "declarations:read-all"
    run_imports = "imports:run"
    read_imports = "imports:read"
    manage_users = "users:manage"
    verify_audit = "audit:verify"
    read_reference = "reference:read"
    record_inspections = "inspections:record"
    train_risk_models = "risk:train"
    promote_risk_models = "risk:promote"
    decide_lanes = "lanes:decide"
    manage_rules = "rules:manage"
    configure_lanes = "lanes:configure"
    classify_goods = "tariff:classify"
    add_precedents = "tariff:precedents"
    train_tariff_models = "tariff:train"
    screen_parties = "screening:search"
    decide_screening_hits = "screening:decide"
    update_screening_lists = "screening:update"
    attach_documents = "documents:attach"
    verify_origin = "origin:verify"
    issue_origin = "origin:issue"
    manage_issuers = "origin:issuers"
    read_transit = "transit:read"
    handle_transit_alerts = "transit:alerts"
    command_seals = "transit:seals"
    manage_transit = "transit:manage"


# Anyone may verify a certificate-of-origin bundle (it carries its own proof).
_STAFF_READ = {Permission.read_all_declarations, Permission.read_reference,
               Permission.verify_origin}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # A trader (or the broker filing for one) asks for classification suggestions and
    # screens counterparties; the hits on filed declarations are for staff only. They
    # check their trade documents against a declaration and attach them to their own.
    Role.trader: frozenset({
        Permission.submit_declaration, Permission.read_own_declarations,
        Permission.read_reference, Permission.classify_goods, Permission.screen_parties,
        Permission.attach_documents, Permission.verify_origin,
    }),
    # An officer who accepts a suggestion on a declaration makes it a precedent, and
    # judges the screening hits of the declarations they handle. On transit they work
    # the alert queue and give seal commands (arm, authorise an opening, disarm).
    Role.officer: frozenset(_STAFF_READ | {Permission.record_inspections,
                                           Permission.classify_goods,
                                           Permission.add_precedents,
                                           Permission.screen_parties,
                                           Permission.decide_screening_hits,
                                           Permission.attach_documents,
                                           Permission.read_transit,
                                           Permission.handle_transit_alerts,
                                           Permission.command_seals}),
    # An analyst trains and promotes models; officers' results are the labels they learn from.
    Role.analyst: frozenset(_STAFF_READ | {
        Permission.run_imports, Permission.read_imports, Permission.train_risk_models,
        Permission.promote_risk_models, Permission.decide_lanes, Permission.manage_rules,
        Permission.classify_goods, Permission.add_precedents, Permission.train_tariff_models,
        Permission.screen_parties, Permission.read_transit,
    }),
    # A supervisor also sets what the office can inspect (the lanes' capacity), loads
    # new versions of the sanctions lists, and issues, revokes and draws on certificates
    # of origin (the issuer registry itself is the admin's: ``origin:issuers``), and
    # registers transit trips, tracking devices and corridors.
    Role.supervisor: frozenset(_STAFF_READ | {
        Permission.run_imports, Permission.read_imports, Permission.verify_audit,
        Permission.record_inspections, Permission.decide_lanes, Permission.manage_rules,
        Permission.configure_lanes, Permission.classify_goods, Permission.add_precedents,
        Permission.screen_parties, Permission.decide_screening_hits,
        Permission.update_screening_lists, Permission.attach_documents,
        Permission.issue_origin, Permission.read_transit, Permission.handle_transit_alerts,
        Permission.command_seals, Permission.manage_transit,
    }),
    Role.admin: frozenset(Permission),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: resolved from a token or a console session."""

    user_id: int | None
    username: str
    role: Role
    company_id: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(
                f"role '{self.role.value}' lacks the permission '{permission.value}'"
            )

    def may_read_company(self, *company_ids: str | None) -> bool:
        """Staff read everything; a trader reads what their company declared or imports."""
        if self.can(Permission.read_all_declarations):
            return True
        if self.can(Permission.read_own_declarations) and self.company_id:
            return self.company_id in company_ids
        return False


SYSTEM = Principal(user_id=None, username="system", role=Role.admin)
