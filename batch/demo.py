"""`demo`: serve the bundled sample sources on 127.0.0.1 and run every stage over them.

The server answers from ``demo/handlers/*.py`` (dynamic emulators: each ``handle(path, query, base)``
returns ``(status, headers, body)`` or None) and then from the static files of ``demo/site/``.
Each ``demo/sources/*.toml`` adds ``[[sources]]`` (``{base}`` is replaced by the server's URL),
``[[imports]]`` (export files run through `import`) and ``[env]`` (variables the demo sets).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import mimetypes
import os
import sys
import tempfile
import threading
import tomllib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from errors import MonitorError

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"

log = logging.getLogger(__name__)

# The demo serves on this port when it is free. Item ids of the portal sources are their pages' URLs,
# which name the port, so `demo --keep` must find the samples where the first run found them.
DEMO_PORT = 8731
DEMO_SALT_ENV = "MONITOR_DEMO_SALT"

Handler = Callable[[str, dict[str, list[str]], str], "tuple[int, dict[str, str], bytes] | None"]


def _load_handlers(folder: Path) -> list[Handler]:
    handlers = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"demo_handlers_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        handlers.append(module.handle)
    return handlers


class DemoServer:
    """A local HTTP server for the bundled sources (also used by tests)."""

    def __init__(self, site: Path = DEMO / "site", handlers: Path = DEMO / "handlers", port: int = 0) -> None:
        self.site = site.resolve()
        self.handlers = _load_handlers(handlers) if handlers.exists() else []
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers, body = server.respond(self.path)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("demo server: " + format, *args)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), RequestHandler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def respond(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        """The answer to one GET."""
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        for handle in self.handlers:
            answer = handle(path, query, self.base)
            if answer is not None:
                return answer
        target = (self.site / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.site):
            return 403, {"Content-Type": "text/plain"}, b"forbidden"
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found"
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith(("xml", "json")):
            ctype += "; charset=utf-8"
        return 200, {"Content-Type": ctype}, target.read_bytes()

    def __enter__(self) -> DemoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _fill(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return value.replace("{base}", base)
    if isinstance(value, list):
        return [_fill(v, base) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, base) for k, v in value.items()}
    return value


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def write_sources_toml(path: Path, settings: dict[str, Any], sources: list[dict[str, Any]]) -> None:
    """Write a sources.toml (the subset of TOML our configs use)."""
    lines = ["[settings]"] + [f"{k} = {_toml_value(v)}" for k, v in settings.items()]
    for source in sources:
        lines += ["", "[[sources]]"] + [f"{k} = {_toml_value(v)}" for k, v in source.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def demo_plan(base: str, folder: Path = DEMO / "sources") -> tuple[list[dict], list[dict], dict[str, str]]:
    """Sources, imports and environment of every fragment in ``folder``."""
    sources: list[dict] = []
    imports: list[dict] = []
    env: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        data = _fill(tomllib.loads(path.read_text(encoding="utf-8")), base)
        sources += data.get("sources", [])
        imports += data.get("imports", [])
        env.update({k: str(v) for k, v in data.get("env", {}).items()})
    return sources, imports, env


def run_demo(db: Path, *, keep: bool = False) -> int:
    """Serve, configure, run, import, classify, and print the flagged items."""
    from batch.cli import FAILED_STATUSES, print_run
    from batch.importing import import_file
    from batch.runner import run_batch
    from batch.stages import analyse_pending
    from config.sources import load_config
    from store.db import holding

    try:
        server = DemoServer(port=DEMO_PORT)
    except OSError as exc:
        if keep:
            print(
                f"error: demo: port {DEMO_PORT} of 127.0.0.1 is in use ({exc.strerror}); --keep adds to a database "
                "whose sample items are addressed on that port, so free it and try again",
                file=sys.stderr,
            )
            return 2
        server = DemoServer()  # a fresh database: any port will do
    if not keep:
        for suffix in ("", ".wal"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    with server, tempfile.TemporaryDirectory(prefix="monitor-demo-") as tmp, holding(db):
        sources, imports, env = demo_plan(server.base)
        os.environ.update(env)
        config_path = Path(tmp) / "sources.toml"
        # The demo's phone numbers are hashed with the salt its database keeps, whatever the shell's
        # MONITOR_SALT: its salt_env names a variable never set (review: `demo --keep` was refused under
        # another MONITOR_SALT, and a fixed salt stored an older demo database's messages again)
        os.environ.pop(DEMO_SALT_ENV, None)
        settings = {"min_delay": 0.0, "retries": 1, "db": str(db), "salt_env": DEMO_SALT_ENV}
        write_sources_toml(config_path, settings, sources)
        print(f"demo: serving bundled sources at {server.base}; database {db}")
        config = load_config(config_path)
        runs = run_batch(config, db)
        for item in imports:
            try:
                runs.append(
                    import_file(
                        item["kind"],
                        DEMO / item["path"],
                        item["source"],
                        config,
                        db,
                        report=lambda e: None,  # print_run shows each problem once
                    )
                )
            except (
                MonitorError
            ) as exc:  # a refused import (another salt in a kept database): the rest goes on
                print(
                    f"{item['source']}: not imported: {exc}; `demo` without --keep starts afresh",
                    file=sys.stderr,
                )
        for run in runs:
            print_run(run)
        clustered, result = analyse_pending(db)
    if result.skipped_reason:
        print(f"classification skipped: {result.skipped_reason}")
    elif result.model_version is None:  # demo --keep again: everything was scored before
        print(f"nothing new to classify; {clustered} near-duplicate signatures")
    else:
        print(
            f"classified {result.scored} items with model {result.model_version}; "
            f"{result.flagged} flagged; {clustered} near-duplicate signatures"
        )
    print_flagged(db)
    return 1 if any(r.status in FAILED_STATUSES for r in runs) else 0


def print_flagged(db: Path, limit: int = 15) -> None:
    """A short list of flagged items, highest score first."""
    from review.second_look import review_summary
    from store.db import reader

    with reader(db) as con:
        total = con.execute("SELECT count(*) FROM items").fetchone()[0]
        rows = con.execute(
            """
            SELECT source, kind, lang, labels, greatest(corruption, infrastructure) AS score, evidence,
                   coalesce(title || ': ', '') || text
            FROM flagged ORDER BY score DESC LIMIT ?
            """,
            [limit],
        ).fetchall()
        flagged = con.execute("SELECT count(*) FROM flagged").fetchone()[0]
        reviewing = review_summary(con)
    print(f"\n{total} items stored, {flagged} flagged. Top {min(limit, flagged)}:")
    for source, kind, lang, labels, score, evidence, text in rows:
        terms = json.loads(evidence) if evidence else {}
        shown = "; ".join(f"{k}: {', '.join(v[:4])}" for k, v in terms.items() if v)
        snippet = " ".join(text.split())[:110]
        print(f"  [{', '.join(labels)} {score:.2f}] {source}/{kind} ({lang}) {snippet}")
        if shown:
            print(f"      evidence: {shown}")
    print(f"\n{reviewing}")
    print(
        f"Review them: .venv/bin/python pipeline.py user add NAME --db {db}; .venv/bin/python pipeline.py "
        f"review --db {db} "
        "(the Second look page lists what the model did not flag but came close on)"
    )
