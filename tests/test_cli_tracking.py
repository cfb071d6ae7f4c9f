"""``ballot track …``: the tracking steps from the command line, as the screens do them."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from ballot.models import AuditEntry, ProgressReport
from ballot.services import sessions, tracking
from tests.conftest import make_user
from tests.factories import image_bytes, published


def test_plan_report_rate_list_and_export(app, db, tmp_path):
    session = published()
    make_user("clerk", "staff")
    db.session.commit()
    runner = app.test_cli_runner()
    photo = tmp_path / "site.jpg"
    photo.write_bytes(image_bytes())

    def run(*args: str):
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    run("track", "plan", session.slug, "03", "--unit", "镇教育办", "--budget", "1850",
        "--supervisors", "王建国、李秀英", "--as", "clerk")
    run("track", "report", session.slug, "3", "--text", "主体完工", "--percent", "80",
        "--spent", "1500", "--photo", str(photo), "--as", "clerk")
    out = run("track", "rate", session.slug, "03", "--satisfied", "10", "--basically", "10",
              "--dissatisfied", "37", "--cast", "57", "--source", "纸质测评")
    assert "不满意" in out and "整改" in out
    run("track", "report", session.slug, "03", "--text", "整改完成", "--percent", "100",
        "--rectification")
    listing = run("track", "list", session.slug)
    assert "03  100%  1500/1850 万元" in listing and "整改中" in listing
    target = tmp_path / "t.xlsx"
    run("track", "export", session.slug, "-o", str(target))
    assert load_workbook(io.BytesIO(target.read_bytes())).active.cell(6, 4).value == "镇教育办"

    project = tracking.find_project(session, "03")
    db.session.refresh(project)
    assert project.supervisors == "王建国、李秀英" and len(project.reports[1].photos) == 1
    actors = db.session.execute(select(AuditEntry.actor).where(
        AuditEntry.action.like("tracking.%")).order_by(AuditEntry.id)).scalars().all()
    assert actors[-4:] == ["clerk", "clerk", "cli", "cli"]


def test_bad_input_is_refused_with_a_message_and_nothing_changes(app, db, tmp_path):
    session = published()
    runner = app.test_cli_runner()
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"MZ\x90\x00 not a photo")
    for args, expected in [
        (["--text", "x", "--percent", "120"], "0 到 100"),
        (["--text", "x", "--percent", "10", "--photo", str(fake)], "不是 JPEG 或 PNG"),
        (["--text", "x", "--percent", "10", "--photo", str(tmp_path / "missing.jpg")], "无法读取"),
        (["--text", "x", "--percent", "10", "--rectification"], "未被要求整改"),
    ]:
        result = runner.invoke(args=["track", "report", session.slug, "01", *args])
        assert result.exit_code == 1 and expected in result.output, result.output
    unknown = runner.invoke(args=["track", "report", session.slug, "12", "--text", "x",
                                  "--percent", "1"])
    assert unknown.exit_code == 1 and "没有票序" in unknown.output
    assert db.session.execute(select(ProgressReport)).first() is None


def test_a_rating_session_is_created_from_the_command_line(app, db):
    session = published()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["track", "rating-session", session.slug, "--codes", "2,4",
                                 "--slug", "rate-cli", "--date", "2027-12-20"])
    assert result.exit_code == 0, result.output
    assert "rate-cli (2 个项目" in result.output
    created = sessions.get_session("rate-cli")
    assert created.kind == "rating" and [c.title for c in created.candidates] == [
        "民生项目2", "民生项目4"]
    refused = runner.invoke(args=["track", "rating-session", "rate-cli"])
    assert refused.exit_code != 0 and "结果公布后" in refused.output
