"""Accounts: argon2id passwords, sign-in with rate limits, sessions that expire, change, reset, disable."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from records import audit
from records.errors import AuthenticationError, PermissionDeniedError, RateLimitedError, ValidationError
from records.models import AuthSession, Role, SignInAttempt, utcnow
from records.permissions import Actor
from records.services import accounts
from tests.factories import TEST_PASSWORD, make_school, make_user


@pytest.fixture
def people(session):
    school = make_school(session)
    admin = make_user(session, school, [Role.ADMINISTRATOR], username="quantri")
    teacher = make_user(session, school, [Role.SUBJECT_TEACHER], username="giaovien")
    return school, admin, teacher


def test_passwords_are_argon2id_and_verified():
    stored = accounts.hash_password("mot-mat-khau-dai")
    assert stored.startswith("$argon2id$")
    assert accounts.password_matches(stored, "mot-mat-khau-dai")
    assert not accounts.password_matches(stored, "mot-mat-khau-khac")
    assert not accounts.password_matches(None, "bat-ki")
    assert not accounts.password_matches("not a hash", "bat-ki")


def test_sign_in_opens_a_session_and_resume_finds_it(session, people):
    _, _, teacher = people
    signed = accounts.sign_in(session, " GiaoVien ", TEST_PASSWORD, address="10.0.0.1")
    assert signed.actor.user_id == teacher.id and signed.actor.session_id is not None
    row = session.get(AuthSession, signed.actor.session_id)
    assert row.token_hash != signed.token and len(row.token_hash) == 64  # only the digest is stored
    assert accounts.resume(session, signed.token).user_id == teacher.id
    assert accounts.resume(session, "forged-token") is None
    accounts.sign_out(session, signed.token)
    assert accounts.resume(session, signed.token) is None


def test_sessions_expire_when_idle_and_after_a_working_day(session, people):
    signed = accounts.sign_in(session, "giaovien", TEST_PASSWORD, address="a")
    start = utcnow()
    assert accounts.resume(session, signed.token, now=start + dt.timedelta(minutes=59)) is not None
    # activity slides the idle limit, but never past the absolute age
    for step in range(2, 14):  # every 50 minutes up to 11 h 40
        assert accounts.resume(session, signed.token, now=start + dt.timedelta(minutes=50 * step)) is not None
    assert accounts.resume(session, signed.token, now=start + dt.timedelta(hours=12, minutes=1)) is None
    other = accounts.sign_in(session, "giaovien", TEST_PASSWORD, address="a")
    assert accounts.resume(session, other.token, now=utcnow() + dt.timedelta(minutes=61)) is None


def test_wrong_password_and_unknown_user_get_the_same_answer(session, people):
    with pytest.raises(AuthenticationError) as wrong:
        accounts.sign_in(session, "giaovien", "sai-mat-khau", address="a")
    with pytest.raises(AuthenticationError) as unknown:
        accounts.sign_in(session, "khong-co-ai", TEST_PASSWORD, address="a")
    assert wrong.value.message_vi == unknown.value.message_vi
    attempts = session.scalars(select(SignInAttempt).order_by(SignInAttempt.id)).all()
    assert [a.succeeded for a in attempts[-2:]] == [False, False]


def test_sign_in_is_rate_limited_per_account_even_with_the_right_password(session, people):
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(AuthenticationError):
            accounts.sign_in(session, "giaovien", "doan-mo-123", address=f"addr-{_}")
    with pytest.raises(RateLimitedError):
        accounts.sign_in(session, "giaovien", TEST_PASSWORD, address="another")
    later = utcnow() + accounts.ATTEMPT_WINDOW + dt.timedelta(seconds=1)
    assert accounts.sign_in(session, "giaovien", TEST_PASSWORD, address="another", now=later).actor.username == "giaovien"


def test_sign_in_is_rate_limited_per_address(session, people):
    for n in range(accounts.MAX_FAILURES_PER_ADDRESS):
        with pytest.raises(AuthenticationError):
            accounts.sign_in(session, f"doan-{n}", "doan-mo-123", address="10.9.9.9")
    with pytest.raises(RateLimitedError):
        accounts.sign_in(session, "quantri", TEST_PASSWORD, address="10.9.9.9")
    assert accounts.sign_in(session, "quantri", TEST_PASSWORD, address="10.9.9.8").actor.username == "quantri"


def test_disabled_accounts_keep_their_history_and_cannot_sign_in(session, people):
    school, admin, teacher = people
    admin_actor = Actor.load(session, admin.id)
    signed = accounts.sign_in(session, "giaovien", TEST_PASSWORD, address="a")
    accounts.set_active(session, admin_actor, teacher, False, reason="nghỉ hưu")
    assert accounts.resume(session, signed.token) is None  # the open session ends
    with pytest.raises(AuthenticationError):
        accounts.sign_in(session, "giaovien", TEST_PASSWORD, address="a")
    assert session.get(type(teacher), teacher.id) is not None
    with pytest.raises(ValidationError):
        accounts.set_active(session, admin_actor, admin, False)
    with pytest.raises(PermissionDeniedError):
        accounts.set_active(session, _teacher_actor(session, teacher), admin, False)
    accounts.set_active(session, admin_actor, teacher, True)
    assert accounts.sign_in(session, "giaovien", TEST_PASSWORD, address="a").actor.user_id == teacher.id
    actions = [e.action for e in audit.entries(session, school_id=school.id, entity="user", entity_id=teacher.id)]
    assert actions[-2:] == ["disable", "enable"]


def _teacher_actor(session, teacher):
    return Actor(teacher.id, teacher.username, teacher.full_name, ())


def test_change_and_reset_password(session, people):
    school, admin, teacher = people
    me = accounts.sign_in(session, "giaovien", TEST_PASSWORD, address="a").actor
    with pytest.raises(AuthenticationError):
        accounts.change_password(session, me, "khong-dung-1", "mat-khau-moi-1")
    with pytest.raises(ValidationError):
        accounts.change_password(session, me, TEST_PASSWORD, "ngan")
    accounts.change_password(session, me, TEST_PASSWORD, "mat-khau-moi-1")
    assert accounts.sign_in(session, "giaovien", "mat-khau-moi-1", address="a").must_change_password is False
    with pytest.raises(PermissionDeniedError):
        accounts.reset_password(session, me, admin, "chiem-quyen-99")
    accounts.reset_password(session, Actor.load(session, admin.id), teacher, "tam-thoi-2026")
    signed = accounts.sign_in(session, "giaovien", "tam-thoi-2026", address="a")
    assert signed.must_change_password is True
    entry = audit.entries(session, school_id=school.id, entity="user", entity_id=teacher.id)[-1]
    assert "tam-thoi" not in (entry.after or "") and "argon2" not in (entry.after or "")


def test_changes_made_in_a_session_name_it_in_the_trail(session, people):
    school, _admin, teacher = people
    signed = accounts.sign_in(session, "quantri", TEST_PASSWORD, address="a")
    accounts.reset_password(session, signed.actor, teacher, "tam-thoi-2026")
    entry = audit.entries(session, school_id=school.id, entity="user", entity_id=teacher.id)[-1]
    assert audit.state(entry.after)["auth_session"] == signed.actor.session_id
    assert audit.verify(session, school.id).ok
