"""An alert e-mail gives every time in Almaty time, as its first line says."""

from __future__ import annotations

from datetime import UTC, datetime

from ops.alerts import Digest, SourceAlert
from ops.health import SourceHealth


def test_times_in_the_mail_are_almaty_times() -> None:
    failing = SourceHealth(
        "city-rss", "failed", 3, datetime(2026, 11, 26, 6, 0, tzinfo=UTC), None, "HTTP 500"
    )
    silent = SourceHealth(
        "tg-news", "ok", 0, datetime(2026, 11, 26, 5, 0, tzinfo=UTC), None, None,
        last_new_item=datetime(2026, 11, 18, 19, 30, tzinfo=UTC),
    )  # fmt: skip
    body = Digest(
        channel="email",
        batch="b1",
        sources=[SourceAlert(failing, "failures"), SourceAlert(silent, "silent")],
    ).text(max_items=10)
    assert "Asia/Almaty" in body.splitlines()[0]
    assert "- city-rss: failed 3 times in a row (last success 2026-11-26 11:00)" in body
    assert "- tg-news: no new item since 2026-11-19 00:30 although its runs succeed" in body
    assert " UTC" not in body
