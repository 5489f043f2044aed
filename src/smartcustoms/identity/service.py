"""Users, passwords, API tokens. Service functions take the session and never commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcustoms.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from smartcustoms.identity import audit
from smartcustoms.identity.roles import Principal, Role
from smartcustoms.identity.tables import ApiTokenRow, UserRow

TOKEN_PREFIX = "sct_"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_of(user: UserRow) -> Principal:
    return Principal(user.id, user.username, Role(user.role), user.company_id)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    company_id: str | None,
    display_name: str | None,
    actor: Principal,
    now: dt.datetime,
) -> UserRow:
    if not _USERNAME.match(username):
        raise InvalidInput(
            "username must be 2–64 characters: lower-case letters, digits, '.', '_', '@', '-'",
            field="username", value=username,
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters",
            field="password", value="(hidden)",
        )
    if role is Role.trader and not company_id:
        raise InvalidInput(
            "a trader must belong to a company (the declarant or importer id they act for)",
            field="company_id", value=company_id,
        )
    if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise Conflict(f"user '{username}' exists already", field="username", value=username)
    user = UserRow(
        username=username,
        display_name=display_name,
        role=role.value,
        company_id=company_id,
        password_hash=_hasher.hash(password),
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor=actor.username, action="user.create", entity_type="user",
        entity_id=str(user.id),
        detail={"username": username, "role": role.value, "company_id": company_id},
        now=now,
    )
    return user


def authenticate(session: Session, username: str, password: str) -> UserRow:
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    try:
        if user is None or not user.active:
            _hasher.verify(_DUMMY_HASH, password)
            raise AuthenticationFailed("unknown user or wrong password")
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationFailed("unknown user or wrong password") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def issue_token(
    session: Session, user: UserRow, *, name: str, now: dt.datetime, ttl: dt.timedelta
) -> str:
    """A new bearer token for ``user``; only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiTokenRow(
        user_id=user.id, token_sha256=hash_token(token), name=name[:64],
        created_at=now, expires_at=now + ttl,
    ))
    audit.record(
        session, actor=user.username, action="token.issue", entity_type="user",
        entity_id=str(user.id), detail={"name": name[:64], "expires_at": (now + ttl).isoformat()},
        now=now,
    )
    return token


def revoke_token(session: Session, token: str, *, now: dt.datetime) -> None:
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_sha256 == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = now
    user = session.get(UserRow, row.user_id)
    audit.record(
        session, actor=user.username if user else "unknown", action="token.revoke",
        entity_type="user", entity_id=str(row.user_id), detail={"token_id": row.id}, now=now,
    )


def principal_for_token(session: Session, token: str, *, now: dt.datetime) -> Principal:
    if not token.startswith(TOKEN_PREFIX):
        raise AuthenticationFailed("not a smartcustoms API token")
    row = session.execute(
        select(ApiTokenRow, UserRow)
        .join(UserRow, UserRow.id == ApiTokenRow.user_id)
        .where(ApiTokenRow.token_sha256 == hash_token(token))
    ).one_or_none()
    if row is None:
        raise AuthenticationFailed("unknown token")
    tok, user = row
    if tok.revoked_at is not None:
        raise AuthenticationFailed("the token was revoked")
    if tok.expires_at <= now:
        raise AuthenticationFailed("the token has expired; log in again")
    if not user.active:
        raise AuthenticationFailed("the user is deactivated")
    return principal_of(user)


def get_user(session: Session, username: str) -> UserRow:
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise NotFound(f"no user '{username}'", field="username", value=username)
    return user


def list_users(session: Session) -> list[UserRow]:
    return list(session.scalars(select(UserRow).order_by(UserRow.username)))
