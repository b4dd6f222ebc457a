"""Demo emulator of a Telegram channel preview's ``?before=`` paging (static files cannot read a query).

``/telegram/s/<channel>?before=N`` answers ``demo/site/telegram/s/<channel>/before-N.html``, or an
empty message history (the start of the channel) when there is no such page. Without ``before``
the static index.html of the channel folder is served.
"""

from __future__ import annotations

import re
from pathlib import Path

PAGES = Path(__file__).resolve().parent.parent / "site" / "telegram" / "s"
_PATH = re.compile(r"^/telegram/s/([A-Za-z0-9_]{1,64})/?$")
EMPTY = (
    b'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><main class="tgme_main">'
    b'<section class="tgme_channel_history js-message_history"></section></main></body></html>'
)


def handle(path: str, query: dict[str, list[str]], base: str) -> tuple[int, dict[str, str], bytes] | None:
    """The older page of a demo channel for ``?before=N``; None for every other request."""
    m = _PATH.match(path)
    before = (query.get("before") or [""])[0]
    if not m or not before:
        return None
    headers = {"Content-Type": "text/html; charset=utf-8"}
    if not before.isdigit() or not (PAGES / m.group(1)).is_dir():
        return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found"
    page = PAGES / m.group(1) / f"before-{int(before)}.html"
    return 200, headers, page.read_bytes() if page.is_file() else EMPTY
