"""Keyword-rule conjunctions used as features."""

from __future__ import annotations

from classify.rules import fire


def test_topic_and_problem_in_both_languages() -> None:
    assert "topic_problem" in fire("Көшеде жарық жоқ")
    assert "topic_problem" in fire("Во дворе нет горячей воды")
    assert "topic_problem" not in fire("Жаңа жол ашылды")


def test_bribery_apart_from_anti_corruption_talk() -> None:
    assert fire("Инспектор требовал взятку") == ["bribe", "bribe_not_anti", "official_bribe"]
    assert "bribe_not_anti" not in fire("Сыбайлас жемқорлыққа қарсы семинар өтті")
    assert fire("В парке прошел концерт") == []
