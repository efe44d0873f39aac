"""Log-in, lockout, idle expiry and passwords, as a user meets them: the message they see and
whether they get in. Time is frozen with time_machine so the 15-minute lock is exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import Session, select

from core.auth import (
    AuthError,
    authenticate,
    change_password,
    create_user,
    password_problem,
    reset_password,
    session_expired,
)
from core.config import Settings, load_settings
from core.passwords import hash_password
from core.rbac import PermissionDenied
from models.accounts import User
from models.enums import Role, Scope
from models.system import AuditEntry
from tests.factories import PASSWORD, Users

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _login_error(session: Session, settings: Settings, username: str, password: str) -> AuthError:
    with pytest.raises(AuthError) as excinfo:
        authenticate(session, username, password, settings)
    return excinfo.value


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(User.username == username)).one()


def _actions_for(session: Session, user_id: int) -> list[str]:
    stmt = (
        select(AuditEntry.action)
        .where(AuditEntry.table_name == "user", AuditEntry.row_id == user_id)
        .order_by(AuditEntry.seq)
    )
    return list(session.exec(stmt).all())


class TestPasswordStorage:
    def test_password_is_stored_as_argon2id_hash(self, session: Session, users: Users) -> None:
        stored = _user(session, "inspector_a").password_hash

        assert stored.startswith("$argon2id$")
        assert PASSWORD not in stored

    def test_audit_snapshot_of_a_new_user_leaves_the_hash_out(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        user = create_user(
            session,
            users.admin,
            settings,
            username="dave",
            display_name="Dave",
            password="Welcome2026",
            roles=[Role.EMPLOYEE.value],
        )

        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.row_id == user.id, AuditEntry.table_name == "user")
            .order_by(AuditEntry.seq)
        ).all()
        assert sorted(e.action for e in entries) == ["create", "seal"]  # accounts are sealed
        (entry,) = [e for e in entries if e.action == "create"]
        assert entry.actor_name == "admin"
        assert "password_hash" not in entry.after
        assert "Welcome2026" not in str([e.after for e in entries] + [e.detail for e in entries])


class TestLogin:
    def test_right_password_logs_in_and_is_audited(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        with time_machine.travel(T0, tick=False):
            user = authenticate(session, " inspector_a ", PASSWORD, settings)

        assert user.id == users.inspector_a.user_id
        assert user.last_login_at == T0
        assert _actions_for(session, user.id)[-1] == "login"

    def test_unknown_user_and_wrong_password_read_the_same(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        """The message must not reveal whether the user name exists."""
        unknown = _login_error(session, settings, "nobody", PASSWORD)
        wrong = _login_error(session, settings, "inspector_a", "wrong-Passw0rd")

        assert unknown.key == wrong.key == "auth.bad_credentials"
        assert unknown.message("en") == wrong.message("en") == "Wrong user name or password"

    def test_disabled_account_is_refused_with_its_own_message(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        user = _user(session, "employee_a")
        user.active = False
        session.add(user)
        session.flush()

        assert _login_error(session, settings, "employee_a", PASSWORD).key == "auth.inactive"
        wrong = _login_error(session, settings, "employee_a", "nope-12345")
        assert wrong.key == "auth.bad_credentials"  # no hint that the account exists


class TestLockout:
    def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        with time_machine.travel(T0, tick=False):
            for _ in range(4):
                error = _login_error(session, settings, "inspector_a", "wrong-1234")
                assert error.key == "auth.bad_credentials"
            fifth = _login_error(session, settings, "inspector_a", "wrong-1234")
            session.commit()  # the lock must survive a round trip through the database

        assert fifth.key == "auth.locked"
        assert fifth.params == {"minutes": 15}
        assert "15 minutes" in fifth.message("en")
        assert "15" in fifth.message("zh-CN")

        with time_machine.travel(T0 + timedelta(minutes=14, seconds=30), tick=False):
            refused = _login_error(session, settings, "inspector_a", PASSWORD)
        assert refused.key == "auth.locked"
        assert refused.params == {"minutes": 1}

        with time_machine.travel(T0 + timedelta(minutes=15, seconds=1), tick=False):
            user = authenticate(session, "inspector_a", PASSWORD, settings)
        assert user.locked_until is None
        assert user.failed_logins == 0

        actions = _actions_for(session, user.id)
        assert actions[-7:] == [
            *["login_failed"] * 4,
            "account_locked",
            "login_refused_locked",
            "login",
        ]

    def test_a_successful_login_resets_the_count(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        with time_machine.travel(T0, tick=False):
            for _ in range(4):
                _login_error(session, settings, "inspector_b", "wrong-1234")
            authenticate(session, "inspector_b", PASSWORD, settings)
            for _ in range(4):
                error = _login_error(session, settings, "inspector_b", "wrong-1234")

        assert error.key == "auth.bad_credentials"

    def test_lock_threshold_and_length_follow_settings(
        self, session: Session, tmp_path, users: Users
    ) -> None:
        strict = load_settings(data_dir=tmp_path, max_failed_logins=2, lockout_minutes=60)
        with time_machine.travel(T0, tick=False):
            _login_error(session, strict, "safety_head", "wrong-1234")
            error = _login_error(session, strict, "safety_head", "wrong-1234")
        assert (error.key, error.params) == ("auth.locked", {"minutes": 60})

        with time_machine.travel(T0 + timedelta(minutes=59), tick=False):
            assert _login_error(session, strict, "safety_head", PASSWORD).key == "auth.locked"


class TestSessionExpiry:
    def test_idle_boundary(self, settings: Settings) -> None:
        idle = timedelta(minutes=settings.session_idle_minutes)

        assert not session_expired(T0 - idle, settings, now=T0)
        assert session_expired(T0 - idle - timedelta(seconds=1), settings, now=T0)

    def test_never_seen_is_expired(self, settings: Settings) -> None:
        assert session_expired(None, settings)

    def test_uses_the_clock_when_no_time_is_given(self, settings: Settings) -> None:
        with time_machine.travel(T0 + timedelta(minutes=29), tick=False):
            assert not session_expired(T0, settings)
        with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
            assert session_expired(T0, settings)


class TestPasswordPolicy:
    @pytest.mark.parametrize(
        ("password", "key", "params"),
        [
            ("ab12", "auth.password_too_short", {"length": 8}),
            ("abcdefghij", "auth.password_needs_mix", {}),
            ("1234567890", "auth.password_needs_mix", {}),
            ("abcd1234", None, None),
            ("安全生产abc123", None, None),
        ],
    )
    def test_default_policy(self, settings: Settings, password: str, key, params) -> None:
        problem = password_problem(password, settings)

        if key is None:
            assert problem is None
        else:
            assert (problem.key, problem.params) == (key, params)

    def test_minimum_length_is_configurable(self, tmp_path) -> None:
        strict = load_settings(data_dir=tmp_path, min_password_length=12)

        problem = password_problem("abcd12345", strict)

        assert problem is not None
        assert problem.message("en") == "A password needs at least 12 characters"


class TestChangePassword:
    def test_user_changes_their_password(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        uid = users.employee_a.user_id

        change_password(session, uid, PASSWORD, "NewSecret99", settings)

        assert authenticate(session, "employee_a", "NewSecret99", settings).id == uid
        assert _login_error(session, settings, "employee_a", PASSWORD).key == "auth.bad_credentials"
        assert "password_changed" in _actions_for(session, uid)

    @pytest.mark.parametrize(
        ("old", "new", "key"),
        [
            ("not-the-password1", "NewSecret99", "auth.old_password_wrong"),
            (PASSWORD, PASSWORD, "auth.password_unchanged"),
            (PASSWORD, "short1", "auth.password_too_short"),
            (PASSWORD, "onlyletters", "auth.password_needs_mix"),
        ],
    )
    def test_refused_changes_leave_the_password_alone(
        self, session: Session, settings: Settings, users: Users, old: str, new: str, key: str
    ) -> None:
        with pytest.raises(AuthError) as excinfo:
            change_password(session, users.employee_a.user_id, old, new, settings)

        assert excinfo.value.key == key
        assert authenticate(session, "employee_a", PASSWORD, settings)


class TestResetPassword:
    def test_admin_reset_forces_a_change_at_next_login(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        uid = users.inspector_b.user_id
        with time_machine.travel(T0, tick=False):
            for _ in range(5):
                _login_error(session, settings, "inspector_b", "wrong-1234")

            reset_password(session, users.admin, uid, "Temp2026pw", settings)
            user = authenticate(session, "inspector_b", "Temp2026pw", settings)  # lock cleared

        assert user.must_change_password
        change_password(session, uid, "Temp2026pw", "Mine2026pw", settings)
        assert not session.get(User, uid).must_change_password
        assert "password_reset" in _actions_for(session, uid)

    @pytest.mark.parametrize("who", ["inspector_a", "safety_head", "park_supervisor"])
    def test_only_user_editors_may_reset(
        self, session: Session, settings: Settings, users: Users, who: str
    ) -> None:
        with pytest.raises(PermissionDenied) as excinfo:
            reset_password(
                session, getattr(users, who), users.employee_a.user_id, "Temp2026pw", settings
            )

        assert excinfo.value.key == "error.permission_denied"
        assert excinfo.value.message("en") == "Not permitted: Users · edit"

    def test_reset_password_must_meet_the_policy(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        with pytest.raises(AuthError) as excinfo:
            reset_password(session, users.admin, users.employee_a.user_id, "1234", settings)

        assert excinfo.value.key == "auth.password_too_short"


class TestCreateUser:
    def test_new_account_gets_the_role_scope_and_must_change_password(
        self, session: Session, settings: Settings, users: Users, org
    ) -> None:
        user = create_user(
            session,
            users.admin,
            settings,
            username="erin",
            display_name="Erin",
            password="Welcome2026",
            roles=[Role.INSPECTOR.value],
            enterprise_id=org.ent1,
            department_id=org.dept_a,
        )

        assert user.scope == Scope.DEPARTMENT  # default scope of the inspector role
        assert user.must_change_password
        assert authenticate(session, "erin", "Welcome2026", settings).must_change_password

    @pytest.mark.parametrize(
        ("username", "roles", "password", "key"),
        [
            ("inspector_a", ["employee"], "Welcome2026", "auth.username_taken"),
            ("a b", ["employee"], "Welcome2026", "auth.bad_username"),
            ("zz", ["employee"], "Welcome2026", "auth.bad_username"),
            ("frank", [], "Welcome2026", "auth.bad_roles"),
            ("frank", ["king"], "Welcome2026", "auth.bad_roles"),
            ("frank", ["employee"], "weak", "auth.password_too_short"),
        ],
    )
    def test_bad_accounts_are_refused(
        self, session: Session, settings: Settings, users: Users, username, roles, password, key
    ) -> None:
        with pytest.raises(AuthError) as excinfo:
            create_user(
                session,
                users.admin,
                settings,
                username=username,
                display_name="x",
                password=password,
                roles=roles,
            )

        assert excinfo.value.key == key

    def test_a_hash_made_earlier_is_stored_and_logs_in(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        shared = hash_password("Welcome2026")
        made = [
            create_user(
                session,
                users.admin,
                settings,
                username=name,
                display_name=name,
                password="Welcome2026",
                roles=["employee"],
                password_hash=shared if name != "judy" else None,
            )
            for name in ("heidi", "ivan", "judy")
        ]

        assert [u.password_hash == shared for u in made] == [True, True, False]
        for user in made:  # judy's hash was made here, with its own salt
            assert authenticate(session, user.username, "Welcome2026", settings).id == user.id

    def test_only_user_creators_may_create(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        with pytest.raises(PermissionDenied):
            create_user(
                session,
                users.safety_head,
                settings,
                username="grace",
                display_name="G",
                password="Welcome2026",
                roles=["employee"],
            )
