"""Users, argon2 passwords, API tokens and the role table, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.db import unit_of_work
from smartcustoms.errors import AuthenticationFailed, Conflict, InvalidInput, PermissionDenied
from smartcustoms.identity import (
    SYSTEM,
    Permission,
    Principal,
    Role,
    UserRow,
    authenticate,
    create_user,
    get_user,
    issue_token,
    list_users,
    principal_for_token,
    revoke_token,
)
from smartcustoms.identity.roles import ROLE_PERMISSIONS
from smartcustoms.identity.service import TOKEN_PREFIX, hash_token
from smartcustoms.identity.tables import ApiTokenRow, AuditRow

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
TTL = dt.timedelta(hours=24)
PASSWORD = "correct horse battery"


def _add(
    sessions: sessionmaker[Session],
    username: str = "alice",
    *,
    role: Role = Role.officer,
    company: str | None = None,
    password: str = PASSWORD,
) -> int:
    with unit_of_work(sessions) as s:
        user = create_user(s, username=username, password=password, role=role,
                           company_id=company, display_name=f"{username} (test)",
                           actor=SYSTEM, now=NOW)
        return user.id


def _audit(sessions: sessionmaker[Session]) -> list[AuditRow]:
    with sessions() as s:
        return list(s.scalars(select(AuditRow).order_by(AuditRow.seq)))


# --- passwords ---------------------------------------------------------------------------

def test_password_is_stored_as_argon2id_and_verifies(sessions: sessionmaker[Session]) -> None:
    _add(sessions)
    with sessions() as s:
        user = get_user(s, "alice")
    assert user.password_hash.startswith("$argon2id$v=19$")
    assert PASSWORD not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, PASSWORD) is True
    with unit_of_work(sessions) as s:
        assert authenticate(s, "alice", PASSWORD).username == "alice"


def test_two_users_with_one_password_get_different_salts(
    sessions: sessionmaker[Session],
) -> None:
    _add(sessions, "alice")
    _add(sessions, "bob")
    with sessions() as s:
        hashes = {u.username: u.password_hash for u in list_users(s)}
    assert hashes["alice"] != hashes["bob"]


def test_wrong_password_and_unknown_user_fail_alike(sessions: sessionmaker[Session]) -> None:
    _add(sessions)
    with unit_of_work(sessions) as s, pytest.raises(AuthenticationFailed) as wrong:
        authenticate(s, "alice", PASSWORD + "!")
    with unit_of_work(sessions) as s, pytest.raises(AuthenticationFailed) as unknown:
        authenticate(s, "mallory", PASSWORD)
    # Same class, same words: the answer does not tell which usernames exist.
    assert str(wrong.value) == str(unknown.value) == "unknown user or wrong password"
    assert wrong.value.errors == unknown.value.errors == []
    assert wrong.value.http_status == unknown.value.http_status == 401


def test_deactivated_user_cannot_log_in_nor_use_a_token(
    sessions: sessionmaker[Session],
) -> None:
    _add(sessions)
    with unit_of_work(sessions) as s:
        token = issue_token(s, get_user(s, "alice"), name="t", now=NOW, ttl=TTL)
    with unit_of_work(sessions) as s:
        get_user(s, "alice").active = False
    with unit_of_work(sessions) as s, pytest.raises(AuthenticationFailed) as exc:
        authenticate(s, "alice", PASSWORD)
    assert exc.value.detail == "unknown user or wrong password"
    with sessions() as s, pytest.raises(AuthenticationFailed, match="deactivated"):
        principal_for_token(s, token, now=NOW)


def test_outdated_hash_parameters_are_upgraded_at_login(
    sessions: sessionmaker[Session],
) -> None:
    _add(sessions)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with unit_of_work(sessions) as s:
        get_user(s, "alice").password_hash = weak
    with unit_of_work(sessions) as s:
        authenticate(s, "alice", PASSWORD)
    with sessions() as s:
        upgraded = get_user(s, "alice").password_hash
    assert upgraded != weak
    assert upgraded.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(upgraded)


# --- creating users ----------------------------------------------------------------------

def test_trader_must_have_a_company(sessions: sessionmaker[Session]) -> None:
    for company in (None, ""):
        with unit_of_work(sessions) as s, pytest.raises(InvalidInput) as exc:
            create_user(s, username="trader", password=PASSWORD, role=Role.trader,
                        company_id=company, display_name=None, actor=SYSTEM, now=NOW)
        assert exc.value.field == "company_id"
        assert exc.value.value == company
        assert exc.value.errors[0].field == "company_id"
    with sessions() as s:
        assert s.scalar(select(func.count(UserRow.id))) == 0
    _add(sessions, "trader", role=Role.trader, company="DE9876543210987")
    with sessions() as s:
        assert get_user(s, "trader").company_id == "DE9876543210987"


def test_duplicate_username_is_a_conflict(sessions: sessionmaker[Session]) -> None:
    _add(sessions)
    with unit_of_work(sessions) as s, pytest.raises(Conflict) as exc:
        create_user(s, username="alice", password="another password", role=Role.admin,
                    company_id=None, display_name=None, actor=SYSTEM, now=NOW)
    assert exc.value.http_status == 409
    assert exc.value.field == "username"
    assert exc.value.detail == "user 'alice' exists already"
    with sessions() as s:
        assert [u.role for u in list_users(s)] == ["officer"]


@pytest.mark.parametrize(("username", "password", "field"), [
    ("A", PASSWORD, "username"),            # too short and upper case
    ("Alice", PASSWORD, "username"),
    ("al ice", PASSWORD, "username"),
    ("-alice", PASSWORD, "username"),
    ("a" * 65, PASSWORD, "username"),
    ("alice", "short", "password"),
])
def test_bad_username_or_password_is_rejected(
    sessions: sessionmaker[Session], username: str, password: str, field: str,
) -> None:
    with unit_of_work(sessions) as s, pytest.raises(InvalidInput) as exc:
        create_user(s, username=username, password=password, role=Role.officer,
                    company_id=None, display_name=None, actor=SYSTEM, now=NOW)
    assert exc.value.field == field
    # A rejected password is never echoed back.
    if field == "password":
        assert exc.value.value == "(hidden)"
        assert password not in str(exc.value)


# --- tokens ------------------------------------------------------------------------------

def test_token_is_shown_once_and_only_its_hash_is_stored(
    sessions: sessionmaker[Session],
) -> None:
    user_id = _add(sessions, "trader", role=Role.trader, company="C1")
    with unit_of_work(sessions) as s:
        token = issue_token(s, get_user(s, "trader"), name="cli", now=NOW, ttl=TTL)
    assert token.startswith(TOKEN_PREFIX)
    assert len(token) > len(TOKEN_PREFIX) + 40
    with sessions() as s:
        row = s.scalars(select(ApiTokenRow)).one()
        principal = principal_for_token(s, token, now=NOW)
    assert row.token_sha256 == hash_token(token) != token
    assert row.user_id == user_id
    assert (row.created_at, row.expires_at, row.revoked_at) == (NOW, NOW + TTL, None)
    assert principal == Principal(user_id, "trader", Role.trader, "C1")


def test_token_expires_at_its_ttl(sessions: sessionmaker[Session]) -> None:
    _add(sessions)
    with unit_of_work(sessions) as s:
        token = issue_token(s, get_user(s, "alice"), name="t", now=NOW, ttl=TTL)
    with sessions() as s:
        last_second = NOW + TTL - dt.timedelta(microseconds=1)
        assert principal_for_token(s, token, now=last_second).username == "alice"
        with pytest.raises(AuthenticationFailed, match="expired"):
            principal_for_token(s, token, now=NOW + TTL)
        with pytest.raises(AuthenticationFailed, match="expired"):
            principal_for_token(s, token, now=NOW + TTL * 10)


def test_revoked_token_is_refused_and_revoking_twice_is_harmless(
    sessions: sessionmaker[Session],
) -> None:
    _add(sessions)
    with unit_of_work(sessions) as s:
        token = issue_token(s, get_user(s, "alice"), name="t", now=NOW, ttl=TTL)
        other = issue_token(s, get_user(s, "alice"), name="u", now=NOW, ttl=TTL)
    later = NOW + dt.timedelta(minutes=5)
    with unit_of_work(sessions) as s:
        revoke_token(s, token, now=later)
    with unit_of_work(sessions) as s:
        revoke_token(s, token, now=later + dt.timedelta(minutes=1))  # no second entry
        revoke_token(s, "sct_never-issued", now=later)  # unknown: nothing happens
    with sessions() as s:
        with pytest.raises(AuthenticationFailed, match="revoked"):
            principal_for_token(s, token, now=later)
        assert principal_for_token(s, other, now=later).username == "alice"
        revoked = s.scalar(select(ApiTokenRow).where(
            ApiTokenRow.token_sha256 == hash_token(token)))
        assert revoked is not None and revoked.revoked_at == later
    assert [e.action for e in _audit(sessions)] == [
        "user.create", "token.issue", "token.issue", "token.revoke"]


@pytest.mark.parametrize(("token", "message"), [
    ("not-ours", "not a smartcustoms API token"),
    ("sct_unknown", "unknown token"),
    ("", "not a smartcustoms API token"),
])
def test_foreign_and_unknown_tokens_are_refused(
    sessions: sessionmaker[Session], token: str, message: str,
) -> None:
    with sessions() as s, pytest.raises(AuthenticationFailed) as exc:
        principal_for_token(s, token, now=NOW)
    assert exc.value.detail == message


# --- roles -------------------------------------------------------------------------------

EXPECTED_PERMISSIONS = {
    Role.trader: {"declarations:submit", "declarations:read-own", "reference:read",
                  "tariff:classify", "screening:search", "documents:attach",
                  "origin:verify"},
    Role.officer: {"declarations:read-all", "reference:read", "inspections:record",
                   "tariff:classify", "tariff:precedents", "screening:search",
                   "screening:decide", "documents:attach", "origin:verify", "transit:read",
                   "transit:alerts", "transit:seals"},
    Role.analyst: {"declarations:read-all", "reference:read", "imports:run", "imports:read",
                   "risk:train", "risk:promote", "lanes:decide", "rules:manage",
                   "tariff:classify", "tariff:precedents", "tariff:train", "screening:search",
                   "origin:verify", "transit:read"},
    Role.supervisor: {"declarations:read-all", "reference:read", "imports:run", "imports:read",
                      "audit:verify", "inspections:record", "lanes:decide", "rules:manage",
                      "lanes:configure", "tariff:classify", "tariff:precedents",
                      "screening:search", "screening:decide", "screening:update",
                      "documents:attach", "origin:verify", "origin:issue", "transit:read",
                      "transit:alerts", "transit:seals", "transit:manage"},
    Role.admin: {p.value for p in Permission},
}


def test_role_permission_table_is_exactly_as_documented() -> None:
    assert {r: {p.value for p in perms} for r, perms in ROLE_PERMISSIONS.items()} == \
        EXPECTED_PERMISSIONS
    assert set(ROLE_PERMISSIONS) == set(Role)
    # Only admins manage users; only traders submit (admins aside); nobody but staff reads all.
    assert [r for r in Role if Permission.manage_users in ROLE_PERMISSIONS[r]] == [Role.admin]
    assert [r for r in Role if Permission.submit_declaration in ROLE_PERMISSIONS[r]] == [
        Role.trader, Role.admin]


@pytest.mark.parametrize("role", list(Role))
def test_principal_can_and_require_follow_the_table(role: Role) -> None:
    who = Principal(1, "x", role, "C1" if role is Role.trader else None)
    for permission in Permission:
        allowed = permission.value in EXPECTED_PERMISSIONS[role]
        assert who.can(permission) is allowed
        if allowed:
            who.require(permission)
        else:
            with pytest.raises(PermissionDenied) as exc:
                who.require(permission)
            assert exc.value.http_status == 403
            assert f"role '{role.value}'" in exc.value.detail


def test_company_visibility() -> None:
    trader = Principal(1, "t", Role.trader, "C1")
    assert trader.may_read_company("C1", "C2")
    assert trader.may_read_company(None, "C1")
    assert not trader.may_read_company("C2", "C3")
    assert not trader.may_read_company(None, None)
    companyless = Principal(2, "t2", Role.trader, None)
    assert not companyless.may_read_company(None, None)
    for staff in (Role.officer, Role.analyst, Role.supervisor, Role.admin):
        assert Principal(3, "s", staff).may_read_company("C9", None)


# --- every write is audited --------------------------------------------------------------

def test_every_identity_write_makes_one_audit_entry(sessions: sessionmaker[Session]) -> None:
    admin = Principal(None, "root", Role.admin)
    with unit_of_work(sessions) as s:
        user = create_user(s, username="trader", password=PASSWORD, role=Role.trader,
                           company_id="C1", display_name=None, actor=admin, now=NOW)
        user_id = user.id
    later = NOW + dt.timedelta(hours=1)
    with unit_of_work(sessions) as s:
        token = issue_token(s, get_user(s, "trader"), name="x" * 80, now=later, ttl=TTL)
    with unit_of_work(sessions) as s:
        revoke_token(s, token, now=later)
    entries = _audit(sessions)
    assert [(e.seq, e.actor, e.action, e.entity_type, e.entity_id) for e in entries] == [
        (1, "root", "user.create", "user", str(user_id)),
        (2, "trader", "token.issue", "user", str(user_id)),
        (3, "trader", "token.revoke", "user", str(user_id)),
    ]
    assert entries[0].detail == {"username": "trader", "role": "trader", "company_id": "C1"}
    assert entries[1].detail == {"name": "x" * 64, "expires_at": (later + TTL).isoformat()}
    with sessions() as s:
        token_id = s.scalars(select(ApiTokenRow.id)).one()
    assert entries[2].detail == {"token_id": token_id}
    assert [e.at for e in entries] == [NOW, later, later]
    # The chain: each entry links to the previous one's hash.
    assert entries[0].prev_hash == "0" * 64
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert len({e.hash for e in entries}) == 3


def test_the_audit_entry_commits_and_rolls_back_with_its_change(
    sessions: sessionmaker[Session],
) -> None:
    _add(sessions)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), unit_of_work(sessions) as s:
        create_user(s, username="bob", password=PASSWORD, role=Role.admin, company_id=None,
                    display_name=None, actor=SYSTEM, now=NOW)
        assert s.scalar(text("SELECT count(*) FROM audit_log")) == 2  # flushed, not committed
        raise Boom
    with sessions() as s:
        assert [u.username for u in list_users(s)] == ["alice"]
        assert s.scalar(text("SELECT count(*) FROM audit_log")) == 1
        assert s.scalar(text("SELECT seq FROM audit_head WHERE id = 1")) == 1
    # The chain goes on from the committed head, without a gap.
    _add(sessions, "carol")
    assert [e.seq for e in _audit(sessions)] == [1, 2]
