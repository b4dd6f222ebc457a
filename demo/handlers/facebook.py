"""Demo handler: a Graph API emulator under ``/graph/`` serving an emulated department page."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from demo.graph_emulator import GraphEmulator

PREFIX = "/graph"
PAGE_FILE = Path(__file__).resolve().parent.parent / "facebook" / "page.json"

_emulator: GraphEmulator | None = None
_lock = threading.Lock()


def emulator() -> GraphEmulator:
    """The demo page, built on first use (dates are counted back from that moment)."""
    global _emulator
    with _lock:
        if _emulator is None:
            # The demo server passes no headers to handlers, so this emulator accepts any token.
            emu = GraphEmulator(token=None)
            emu.load(json.loads(PAGE_FILE.read_text(encoding="utf-8")))
            _emulator = emu
        return _emulator


def handle(path: str, query: dict[str, list[str]], base: str) -> tuple[int, dict[str, str], bytes] | None:
    """Answer Graph API paths under /graph/ (e.g. /graph/v25.0/{page}/feed); None for other paths."""
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return None
    return emulator().handle(path[len(PREFIX) :] or "/", query, {}, base + PREFIX)
