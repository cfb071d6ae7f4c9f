"""Account management services: create, scope, disable, enable, reset; audited, never a password."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ballot.domain.errors import AccountDisabled, InvalidInput, PermissionDenied, WrongState
from ballot.models import AuditEntry, LoginSession
from ballot.services import accounts
from tests.conftest import make_user


def _audit(action: str) -> list[AuditEntry]:
    return list(_rows(select(AuditEntry).where(AuditEntry.action == action)))


def _rows(stmt):
    from ballot.extensions import db

    return db.session.execute(stmt).scalars().all()


def _logins(user) -> int:
    from ballot.extensions import db

    return db.session.execute(select(func.count()).select_from(LoginSession)
                              .where(LoginSession.user_id == user.id)).scalar_one()


def test_generated_passwords_are_long_readable_and_different(db):
    made = {accounts.generate_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password), password
        assert not set(password) & set("01loi")
        assert len(password) >= accounts.MIN_PASSWORD


def test_an_admin_is_never_scoped_and_a_new_account_may_have_to_change_its_password(db):
    admin = accounts.create_user("root", "correct-horse", "admin", "cli", congress="示范镇人大")
    assert admin.congress is None and admin.must_change_password is False
    staff = accounts.create_user("li", "correct-horse", "staff", "root", congress=" 示范镇人大 ",
                                 must_change_password=True)
    assert staff.congress == "示范镇人大" and staff.must_change_password is True
    with pytest.raises(InvalidInput, match="120"):
        accounts.create_user("wang", "correct-horse", "staff", "root", congress="人" * 121)
    created = _audit("user.create")
    assert [(e.actor, e.detail["username"], e.detail["congress"]) for e in created] == [
        ("cli", "root", None), ("root", "li", "示范镇人大")]
    assert "correct-horse" not in str([e.detail for e in created])


def test_scope_is_set_cleared_and_audited_but_never_on_an_admin(db):
    admin = make_user("root", "admin", congress=None)
    staff = make_user("li", "staff", congress="示范镇人大")
    accounts.set_scope(staff, "另一镇人大", admin)
    assert staff.congress == "另一镇人大"
    accounts.set_scope(staff, "  ", admin)
    assert staff.congress is None
    accounts.set_scope(staff, None, admin)  # unchanged: no entry
    with pytest.raises(InvalidInput, match="管理员总能看到所有人大"):
        accounts.set_scope(admin, "示范镇人大", admin)
    assert [(e.actor, e.detail) for e in _audit("user.scope")] == [
        ("root", {"username": "li", "before": "示范镇人大", "congress": "另一镇人大"}),
        ("root", {"username": "li", "before": "另一镇人大", "congress": None})]


def test_disabling_ends_logins_and_login_says_so_only_to_the_password_holder(db):
    admin = make_user("root", "admin", congress=None)
    staff = make_user("li", "staff")
    token = accounts.start_login(staff)
    assert accounts.logged_in_user(token).id == staff.id
    accounts.disable_user(staff, admin)
    assert staff.active is False and _logins(staff) == 0
    assert accounts.logged_in_user(token) is None
    assert accounts.authenticate("li", "wrong-password") is None
    with pytest.raises(AccountDisabled, match="此账号已停用，请联系管理员"):
        accounts.authenticate("li", "correct-horse")
    accounts.disable_user(staff, admin)  # already disabled: no second entry
    accounts.enable_user(staff, admin)
    assert staff.active is True and accounts.authenticate("li", "correct-horse").id == staff.id
    assert [(e.actor, e.detail["username"]) for e in _audit("user.disable")] == [("root", "li")]
    assert [(e.actor, e.detail["username"]) for e in _audit("user.enable")] == [("root", "li")]


def test_no_admin_disables_themself_nor_the_last_active_admin(db):
    root = make_user("root", "admin", congress=None)
    with pytest.raises(PermissionDenied, match="不能停用自己的账号"):
        accounts.disable_user(root, root)
    with pytest.raises(WrongState, match="最后一个启用的管理员"):
        accounts.disable_user(root, None)  # from the command line
    second = make_user("second", "admin", congress=None)
    accounts.disable_user(second, root)
    with pytest.raises(WrongState, match="最后一个启用的管理员"):
        accounts.disable_user(root, None)
    assert root.active is True
    accounts.enable_user(second, root)
    accounts.disable_user(root, second)
    assert root.active is False


def test_a_reset_gives_a_temporary_password_that_must_be_changed_and_ends_logins(db):
    admin = make_user("root", "admin", congress=None)
    chair = make_user("chair", "chair")
    accounts.start_login(chair)
    accounts.start_login(chair)
    password = accounts.reset_password(chair, admin)
    assert _logins(chair) == 0
    assert not chair.check_password("correct-horse") and chair.check_password(password)
    assert chair.must_change_password is True
    entries = _audit("user.password_reset")
    assert [(e.actor, e.detail) for e in entries] == [("root", {"username": "chair"})]
    with pytest.raises(InvalidInput, match="不能重置自己的密码"):
        accounts.reset_password(admin, admin)
    accounts.change_password(chair, password, "battery-staple", "battery-staple")
    assert chair.must_change_password is False


def test_last_login_is_kept(db):
    staff = make_user("li", "staff")
    assert staff.last_login_at is None
    accounts.start_login(staff)
    first = staff.last_login_at
    assert first is not None
    accounts.start_login(staff)
    assert staff.last_login_at >= first
