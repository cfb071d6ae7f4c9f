"""账号管理 in a real browser: the admin creates an account, the password is shown once, the new
user must change it at first login, and disabling asks first."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ballot.extensions import db
from ballot.services import accounts
from tests.conftest import make_session
from tests.e2e.conftest import screenshot
from tests.e2e.flows import PASSWORD, create_users, log_in


def test_admin_creates_scopes_and_disables_an_account(live_server, new_page):
    with live_server.context():
        make_session(slug="town-a", congress="示范镇人大", delegates=3)
        make_session(slug="county", congress="某县人民代表大会", delegates=3)
        db.session.commit()
    create_users(live_server, ("admin", "admin", "系统管理员 周强"),
                 ("chen", "scrutineer", "陈立"), ("zhao", "staff", "会务组 赵敏"))
    with live_server.context():
        accounts.set_scope(accounts.find_user("zhao"), "示范镇人大", None)
        accounts.set_scope(accounts.find_user("chen"), "某县人民代表大会", None)
        db.session.commit()
    page = new_page()
    log_in(page, live_server.url, "admin")
    page.get_by_role("link", name="账号管理").click()
    expect(page.get_by_role("heading", name="账号管理")).to_be_visible()

    form = page.locator("#new")
    form.get_by_label("用户名（登录用）").fill("wangjh")
    form.get_by_label("姓名（页面和记录中显示）").fill("王建华")
    form.get_by_label("角色").select_option("chair")
    form.get_by_label("可见范围：人大名称（留空为全部；管理员总是全部）").fill("某县人民代表大会")
    form.get_by_role("button", name="创建账号").click()
    expect(page.get_by_role("heading", name="账号已创建")).to_be_visible()
    password = page.locator(".one-time-password code").inner_text()
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)
    screenshot(page, "accounts-password-once")
    page.get_by_role("link", name="已记下，返回账号管理").click()
    expect(page.locator("body")).not_to_contain_text(password)

    row = page.get_by_role("row").filter(has_text="zhao")
    row.get_by_role("button", name="停用").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("将不能再登录；正在使用的登录立即退出")
    dialog.get_by_role("button", name="确认停用").click()
    expect(page.get_by_text("账号“zhao”已停用。")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="zhao")).to_contain_text("已停用")
    expect(page.get_by_role("row").filter(has_text="wangjh")).to_contain_text("待本人修改初始密码")
    screenshot(page, "accounts")

    disabled = new_page()
    disabled.goto(f"{live_server.url}/login")
    disabled.get_by_label("用户名").fill("zhao")
    disabled.get_by_label("密码").fill(PASSWORD)
    disabled.get_by_role("button", name="登录").click()
    expect(disabled.get_by_text("此账号已停用，请联系管理员。")).to_be_visible()

    chair = new_page()
    chair.goto(f"{live_server.url}/login")
    chair.get_by_label("用户名").fill("wangjh")
    chair.get_by_label("密码").fill(password)
    chair.get_by_role("button", name="登录").click()
    chair.wait_for_url(re.compile(r"/account/password$"))
    chair.get_by_label("当前密码").fill(password)
    chair.get_by_label("新密码（至少 8 位）").fill("wang-own-password")
    chair.get_by_label("再次输入新密码").fill("wang-own-password")
    chair.get_by_role("button", name="修改密码").click()
    expect(chair.get_by_text("密码已修改")).to_be_visible()
    # Scoped to the county: only its session is listed.
    expect(chair.locator('a[href="/admin/sessions/county"]')).to_have_count(1)
    expect(chair.locator('a[href="/admin/sessions/town-a"]')).to_have_count(0)
