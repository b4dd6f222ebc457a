"""Local stand-ins for the outside world of `schedule`: feeds, a webhook receiver, an SMTP server.

``FeedServer`` serves RSS feeds built from tests/fixtures/ops/posts.json. A growing feed reveals
``step`` more posts at each request (a source that keeps publishing); a stalling feed blocks until
released (a run caught in the middle); ``/broken/`` answers 500; ``/hook`` receives webhook POSTs.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ops"
POSTS: list[dict[str, Any]] = json.loads((FIXTURES / "posts.json").read_text(encoding="utf-8"))
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def rss(feed: str, posts: list[dict[str, Any]], base: str) -> bytes:
    """An RSS 2.0 document with one entry per post."""
    entries = []
    for n, post in enumerate(posts):
        when = format_datetime(T0 + timedelta(hours=n))
        entries.append(
            f"<item><guid>{feed}-{post['id']}</guid><title>{escape(post['text'][:40])}</title>"
            f"<link>{base}/news/{feed}/{post['id']}</link><pubDate>{when}</pubDate>"
            f"<description>{escape(post['text'])}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{feed}</title><link>{base}/</link><description>test</description>"
        + "".join(entries)
        + "</channel></rss>"
    ).encode()


def big_posts(count: int) -> list[dict[str, Any]]:
    """``count`` distinct posts made from the fixture texts."""
    return [
        {"id": f"b{n:06d}", "text": f"{POSTS[n % len(POSTS)]['text']} (сообщение {n})"} for n in range(count)
    ]


@dataclass
class FeedServer:
    """A threaded local HTTP server of feeds and a webhook receiver."""

    step: int = 2  # posts revealed per request of a growing feed
    hook_failures: int = 0  # answer 500 to this many webhook POSTs first
    requests: dict[str, int] = field(default_factory=dict)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    big: int = 3000
    flaky_failures: int = 2

    def __post_init__(self) -> None:
        server = self
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = server.answer(self.path)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client was killed while we stalled
                    pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with server.lock:
                    failing = server.hook_failures > 0
                    if failing:
                        server.hook_failures -= 1
                    else:
                        server.hooks.append(json.loads(body))
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, path: str) -> tuple[int, bytes]:
        """Status and body for one GET."""
        kind, _, name = path.strip("/").partition("/")
        name = name.removesuffix(".xml")
        with self.lock:
            count = self.requests[path] = self.requests.get(path, 0) + 1
        if kind == "feed":
            return 200, rss(name, POSTS[: min(len(POSTS), count * self.step)], self.base)
        if kind == "stall":
            if not self.release.is_set():
                self.stalled.set()
                self.release.wait(60)
            return 200, rss(name, POSTS, self.base)
        if kind == "big":
            return 200, rss(name, big_posts(self.big), self.base)
        if kind == "full":
            return 200, rss(name, POSTS, self.base)
        if kind == "flaky":  # fails its first ``flaky_failures`` requests, then recovers
            return (
                (500, b"server error") if count <= self.flaky_failures else (200, rss(name, POSTS, self.base))
            )
        if kind == "broken":
            return 500, b"server error"
        return 404, b"not found"

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class SmtpSink:
    """A local SMTP server (aiosmtpd) that keeps every message it receives.

    ``tls``: "none", "starttls" (then required) or "ssl" (implicit TLS), with ``cert`` the server's
    (certificate, key) PEM files. ``auth_require_tls``: refuse AUTH outside STARTTLS.
    """

    def __init__(
        self,
        *,
        user: str | None = None,
        password: str | None = None,
        tls: str = "none",
        cert: tuple[Path, Path] | None = None,
        auth_require_tls: bool = False,
    ) -> None:
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.messages: list[Any] = []
        self.logins: list[Any] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                from email import message_from_bytes, policy

                sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
            ok = (
                isinstance(data, LoginPassword)
                and data.login.decode() == user
                and data.password.decode() == password
            )
            if ok:
                sink.logins.append(sink.login_record(user or "", session))
            return AuthResult(success=ok)

        kwargs: dict[str, Any] = {}
        if user is not None:
            kwargs = {"authenticator": authenticator, "auth_require_tls": auth_require_tls}
        if cert is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*cert)
            if tls == "starttls":
                kwargs |= {"tls_context": context, "require_starttls": True}
            elif tls == "ssl":
                kwargs |= {"ssl_context": context}
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)

    def login_record(self, user: str, session: Any) -> Any:
        """What ``logins`` keeps of one successful login: the user name."""
        return user

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class SilentServer:
    """A TCP server that accepts every connection and never says a byte: an SMTP server stuck before its
    greeting, or an HTTP API that hangs after the request. ``connected`` is set at the first connection."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.connected = threading.Event()
        self.held: list[socket.socket] = []  # kept open, unread, until the server closes
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.held.append(conn)
            self.connected.set()

    def __enter__(self) -> SilentServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way (Linux)
        self.listener.close()
        for conn in self.held:
            conn.close()


def free_port() -> int:
    """A TCP port free at the time of asking."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


class KeywordModel:
    """A stand-in classifier: fixed keywords, so tests know exactly which posts get flagged."""

    version = "test-keywords-1"
    CORRUPTION = ("взятк", "откат", "пара ", "пара,", "парақор", "пара сұра")
    INFRASTRUCTURE = ("яма", "ямах", "люк", "асфальт", "отоплен", "су жоқ", "құбыр", "жарық шам", "шұңқыр")

    def classify(self, texts: list[str]) -> list[dict[str, Any]]:
        """Scores, labels and evidence per text."""
        out = []
        for text in texts:
            low = text.lower()
            corr = [k for k in self.CORRUPTION if k in low]
            infra = [k for k in self.INFRASTRUCTURE if k in low]
            scores = {"corruption": 0.9 if corr else 0.1, "infrastructure": 0.8 if infra else 0.1}
            labels = [label for label, p in scores.items() if p >= 0.5]
            out.append({"lang": "ru", "scores": scores, "labels": labels, "evidence": {"corruption": corr}})
        return out


def expected_flagged(posts: list[dict[str, Any]] = POSTS) -> set[str]:
    """Ids of the fixture posts the keyword model flags (checked against the fixture's labels)."""
    model = KeywordModel()
    return {
        p["id"] for p, r in zip(posts, model.classify([p["text"] for p in posts]), strict=True) if r["labels"]
    }
