"""Accounts and signing in: argon2id passwords, sessions that expire, sign-in rate limits, password
change, administrator reset, disabling an account without deleting its history.

A browser or a command-line invocation becomes an ``Actor`` only through ``sign_in`` (user name and
password) or ``resume`` (a live session token); the actor carries the session id, and the audit trail
stamps it on every change (``records.audit``), so an approval names the session that made it.

Rate limits (per account and per address, over ``ATTEMPT_WINDOW``): after ``MAX_FAILURES_PER_ACCOUNT``
failed attempts on one account, or ``MAX_FAILURES_PER_ADDRESS`` from one address, further attempts are
refused — even with the right password — until the window has passed. Every attempt is recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, replace
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from records import audit
from records.errors import AuthenticationError, PermissionDeniedError, RateLimitedError, ValidationError
from records.models import AuthSession, SignInAttempt, User, utcnow
from records.permissions import Action, Actor, require

#: A browser session ends after this long without activity …
IDLE_TIMEOUT = dt.timedelta(minutes=60)
#: … and in any case this long after signing in (a working day).
MAX_SESSION_AGE = dt.timedelta(hours=12)
#: A command-line session lasts one command.
CLI_SESSION_AGE = dt.timedelta(minutes=30)
ATTEMPT_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 8
#: Last-seen times are written at most this often (a write per page would serialise SQLite readers).
TOUCH_EVERY = dt.timedelta(minutes=1)

# argon2id with argon2-cffi's defaults (RFC 9106 "second recommended" profile: t=3, m=64 MiB, p=4).
_HASHER = PasswordHasher()
# A hash to verify against when the user does not exist, so both answers take the same time.
_DUMMY_HASH = _HASHER.hash("sodientu: no such user")


@dataclass(frozen=True)
class SignedIn:
    """The result of signing in: the actor (with its session) and the token the client keeps."""

    actor: Actor
    token: str
    must_change_password: bool


def hash_password(password: str) -> str:
    """The argon2id hash of a password (PHC string)."""
    return _HASHER.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """True when the password matches the stored hash (False for accounts without a password)."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password(password: str, username: str) -> None:
    """Refuse a password that is too short or is the user name itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} kí tự.", "password too short")
    if password.strip().lower() == username.strip().lower():
        raise ValidationError("Mật khẩu không được trùng tên đăng nhập.", "password equals the username")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- signing in -------------------------------------------------------------------------------


def _recent_failures(session: Session, since: dt.datetime, **where: str) -> int:
    (column, value), = where.items()
    return int(session.scalar(select(func.count(SignInAttempt.id)).where(
        getattr(SignInAttempt, column) == value, SignInAttempt.at >= since,
        SignInAttempt.succeeded.is_(False))) or 0)


def sign_in(session: Session, username: str, password: str, *, address: str, channel: str = "web",
            user_agent: str | None = None, now: dt.datetime | None = None) -> SignedIn:
    """Check a user name and password and open a session; refuse (and record) a wrong one.

    The caller commits: the attempt is recorded whether or not it succeeds.
    """
    now = now or utcnow()
    username = username.strip().lower()[:80]
    address = (address or "?")[:64]
    since = now - ATTEMPT_WINDOW
    if (_recent_failures(session, since, username=username) >= MAX_FAILURES_PER_ACCOUNT
            or _recent_failures(session, since, address=address) >= MAX_FAILURES_PER_ADDRESS):
        session.add(SignInAttempt(at=now, username=username, address=address, succeeded=False))
        minutes = int(ATTEMPT_WINDOW.total_seconds() // 60)
        raise RateLimitedError(f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút.",
                               f"sign-in rate limit reached for {username!r} from {address}")
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    ok = password_matches(user.password_hash if user else None, password)
    session.add(SignInAttempt(at=now, username=username, address=address, succeeded=ok and bool(user)))
    if user is None or not ok:
        raise AuthenticationError("Tên đăng nhập hoặc mật khẩu không đúng.", f"bad credentials for {username!r}")
    if not user.active:
        raise AuthenticationError("Tài khoản này đã bị khóa. Hãy liên hệ quản trị hệ thống.",
                                  f"account {username!r} is disabled")
    actor = Actor.load(session, user.id)
    token = secrets.token_urlsafe(32)
    age = CLI_SESSION_AGE if channel == "cli" else IDLE_TIMEOUT
    row = AuthSession(user_id=user.id, token_hash=_token_hash(token), channel=channel, address=address,
                      user_agent=(user_agent or "")[:200] or None, created_at=now, last_seen_at=now,
                      expires_at=now + age)
    session.add(row)
    session.flush()
    return SignedIn(replace(actor, session_id=row.id), token, user.must_change_password)


def resume(session: Session, token: str | None, *, now: dt.datetime | None = None) -> Actor | None:
    """The actor of a live session token, or None (unknown, ended, expired, or the account disabled)."""
    if not token:
        return None
    now = now or utcnow()
    row = session.scalars(select(AuthSession).where(AuthSession.token_hash == _token_hash(token))).one_or_none()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY and row.channel == "web":
        row.last_seen_at = now
        row.expires_at = min(now + IDLE_TIMEOUT, row.created_at + MAX_SESSION_AGE)
        session.flush()
    return replace(Actor.load(session, user.id), session_id=row.id)


def sign_out(session: Session, token: str | None = None, *, session_id: int | None = None) -> None:
    """End a session (by its token or id); ending an ended session does nothing."""
    query = update(AuthSession).where(AuthSession.ended_at.is_(None))
    if token:
        query = query.where(AuthSession.token_hash == _token_hash(token))
    elif session_id is not None:
        query = query.where(AuthSession.id == session_id)
    else:
        return
    session.execute(query.values(ended_at=utcnow()))


def _end_sessions_of(session: Session, user_id: int) -> None:
    session.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))


# --- passwords and accounts -------------------------------------------------------------------


def _user(session: Session, user: User | int) -> User:
    found = session.get(User, user) if isinstance(user, int) else user
    if found is None:
        raise ValidationError("Không tìm thấy tài khoản.", f"user {user} not found")
    return found


def set_password(session: Session, actor: Actor, user: User | int, password: str, *,
                 password_hash: str | None = None, must_change: bool = False) -> User:
    """Set a user's password (administrator, or the installation while setting up; traced, never logged).

    ``password_hash``: an already computed hash of ``password`` (the demo hashes its one password once).
    """
    user = _user(session, user)
    require(session, actor, Action.ACCOUNTS_MANAGE, user)
    check_password(password, user.username)
    return _store_password(session, actor, user, password_hash or hash_password(password), must_change,
                           "set_password")


def _store_password(session: Session, actor: Actor, user: User, password_hash: str, must_change: bool,
                    action: str) -> User:
    """Store a new hash and trace the change (the trail never holds the password nor its hash)."""
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    user.must_change_password = must_change
    session.flush()
    audit.append(session, actor, action, "user", user.id, None, {"must_change_password": must_change},
                 school_id=user.school_id)
    return user


def reset_password(session: Session, actor: Actor, user: User | int, new_password: str) -> User:
    """An administrator sets a new password; the user must change it at next sign-in; their sessions end."""
    user = set_password(session, actor, user, new_password, must_change=True)
    _end_sessions_of(session, user.id)
    return user


def change_password(session: Session, actor: Actor, old_password: str, new_password: str) -> User:
    """A signed-in user changes their own password (the old one is asked again)."""
    if actor.user_id is None:
        raise PermissionDeniedError("Chỉ người dùng đã đăng nhập mới đổi được mật khẩu.", "system has no password")
    user = _user(session, actor.user_id)
    if not password_matches(user.password_hash, old_password):
        raise AuthenticationError("Mật khẩu hiện tại không đúng.", f"wrong current password for {user.username}")
    check_password(new_password, user.username)
    if password_matches(user.password_hash, new_password):
        raise ValidationError("Mật khẩu mới phải khác mật khẩu cũ.", "new password equals the old one")
    return _store_password(session, actor, user, hash_password(new_password), False, "change_password")


def set_active(session: Session, actor: Actor, user: User | int, active: bool, reason: str | None = None) -> User:
    """Disable (or enable again) an account; a disabled account keeps its history and cannot sign in."""
    user = _user(session, user)
    require(session, actor, Action.ACCOUNTS_MANAGE, user)
    if not active and user.id == actor.user_id:
        raise ValidationError("Không thể tự khóa tài khoản của chính mình.", "cannot disable oneself")
    if user.active == active:
        return user
    before = {"active": user.active}
    user.active = active
    user.disabled_at = None if active else utcnow()
    if not active:
        _end_sessions_of(session, user.id)
    session.flush()
    audit.append(session, actor, "enable" if active else "disable", "user", user.id, before, {"active": active},
                 school_id=user.school_id, reason=reason)
    return user


@lru_cache(maxsize=4)
def shared_hash(password: str) -> str:
    """One hash of a password reused for many accounts (the demo: argon2id costs ~50 ms a hash)."""
    return hash_password(password)
