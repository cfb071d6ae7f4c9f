"""The "下一步" list: every state says what comes next, and marks what is already done."""

from __future__ import annotations

import pytest

from ballot.domain.next_steps import Progress, next_steps


@pytest.mark.parametrize("state", ["draft", "locked", "checkin", "voting", "closed", "published"])
def test_every_state_has_a_next_step(state):
    assert next_steps(Progress(state=state))


def test_after_locking_cards_and_kiosks_come_before_check_in():
    keys = [s.key for s in next_steps(Progress(state="locked"))]
    assert keys.index("cards") < keys.index("checkin_kiosks") < keys.index("open_checkin")
    assert "voting_kiosks" in keys


def test_done_steps_are_marked():
    done = {s.key: s.done for s in next_steps(Progress(
        state="locked", roster_size=60, carded=60, checkin_kiosks=1, voting_kiosks=0))}
    assert done["cards"] and done["checkin_kiosks"] and not done["voting_kiosks"]
    assert not {s.key: s.done for s in next_steps(Progress(
        state="locked", roster_size=60, carded=59))}["cards"]


def test_after_close_the_way_to_publication_and_the_files():
    keys = [s.key for s in next_steps(Progress(state="closed"))]
    assert keys == ["scrutiny", "publish", "records"]
    assert next_steps(Progress(state="closed", pending_tie=True))[0].key == "tie"
    # A closed round whose box is still sealed: the scrutineers open it first.
    assert [s.key for s in next_steps(Progress(state="closed", awaiting_opening=True))] == \
        ["open_box", "scrutiny", "publish", "records"]
    assert [s.key for s in next_steps(Progress(state="published"))] == \
        ["records", "announcement", "public", "verify"]


def test_the_box_is_sealed_before_voting_opens():
    steps = next_steps(Progress(state="checkin", box_sealed=False))
    keys = [s.key for s in steps]
    assert keys.index("seal") < keys.index("open_voting")
    assert not {s.key: s.done for s in steps}["seal"]
    assert {s.key: s.done for s in next_steps(Progress(state="checkin", box_sealed=True))}["seal"]


def test_a_rating_draft_checks_its_projects_instead_of_an_excess_ratio():
    steps = next_steps(Progress(state="draft", roster_size=50, rating=True, projects=10))
    assert [s.label for s in steps] == ["导入或录入代表名册", "核对测评项目（可删去不测评的项目）",
                                        "锁定测评项目名单（生成会议密钥）"]
    assert [s.done for s in steps] == [True, True, False]
    assert not any("差额" in s.label for s in steps)
