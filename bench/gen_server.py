"""A local server of generated sources for the batch benchmark (run in its own process).

    python bench/gen_server.py --items 100000 --port-file /tmp/port

Serves RSS feeds (/rss/N.xml), news portals with comment threads (/portalN/news/...), a Graph API page
(/graph/v25.0/...) and Telegram channel previews (/tg/s/chanN), all generated from a seed, texts mixing
Russian and Kazakh. Every page has an ETag and answers 304 to a matching If-None-Match. It counts
requests and bytes per kind (GET /_stats).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.graph_emulator import GraphEmulator  # noqa: E402

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
STREETS = ["Абая", "Толе би", "Сейфуллина", "Жарокова", "Протозанова", "Әуезов", "Байтұрсынұлы", "Кирова"]
RU = [
    "На улице {s} третий день нет горячей воды, батареи холодные, КСК не отвечает.",
    "Вокруг люков на {s} остались ямы после ремонта. Кто принял эту работу и за сколько?",
    "Аким обещал отремонтировать двор на {s}, деньги выделены, а работ нет.",
    "Сегодня на {s} прошёл городской праздник, было много семей с детьми.",
    "Подрядчик положил асфальт на {s} прямо в лужи, через неделю всё развалилось.",
    "Автобус номер {n} не ходит по {s} уже неделю, людям приходится идти пешком.",
    "В школе на {s} опять собирают деньги на шторы, хотя бюджет выделен.",
    "Спасибо коммунальщикам, на {s} быстро убрали снег.",
]
KK = [
    "{s} көшесінде жол шұңқырға толы, жөндеу сапасыз жүргізілді.",
    "{s} көшесіндегі аялдамада жарық жоқ, кешке қауіпті.",
    "Әкімдік шенеунігі пара алды деп естідік, {s} бойынша тендер жабық өтті.",
    "Жаңа саябақ {s} көшесінде ашылды, балалар қуанышты.",
    "{s} көшесіндегі үйде үш күннен бері ыстық су жоқ.",
    "Мектепке жөндеуге бөлінген қаражат қайда кетті? {s} көшесі.",
]


def text(rng: random.Random, sentences: int) -> str:
    """A generated complaint or news text, Russian, Kazakh or both."""
    parts = []
    for _ in range(sentences):
        pool = RU if rng.random() < 0.6 else KK
        parts.append(rng.choice(pool).format(s=rng.choice(STREETS), n=rng.randint(1, 99)))
    return " ".join(parts) + f" ({rng.randint(1, 10**9)})"


class Plan:
    """How many of each kind for a total of about ``items``."""

    def __init__(self, items: int) -> None:
        self.feeds = 40
        self.entries = max(1, int(items * 0.40) // self.feeds)
        self.portals = 4
        self.comments_per_article = 24  # portals are where reader comment threads are
        self.articles = max(1, int(items * 0.25) // (self.portals * (1 + self.comments_per_article)))
        self.posts = max(1, int(items * 0.30) // 31)
        self.channels = 5
        self.messages = max(20, int(items * 0.05) // self.channels)


class IndexedGraph(GraphEmulator):
    """The emulator with comments indexed by post: the generated page never changes, and scanning
    every comment per request would make the server, not the pipeline, the thing measured."""

    def freeze(self) -> None:
        by_post: dict[str, dict[str, dict]] = {}
        for cid, comment in self.comments.items():
            by_post.setdefault(comment["post_id"], {})[cid] = comment
        self._by_post = by_post

    def _comments(self, post_id, parent, query, prefix, path):  # type: ignore[no-untyped-def]
        everything = self.comments
        self.comments = self._by_post.get(post_id, {})
        try:
            return super()._comments(post_id, parent, query, prefix, path)
        finally:
            self.comments = everything


class Site:
    """The generated content, built lazily per page and cached."""

    def __init__(self, plan: Plan, seed: int = 7) -> None:
        self.plan = plan
        self.seed = seed
        self.cache: dict[str, tuple[str, bytes]] = {}
        self.graph = IndexedGraph(token=None)
        self.graph.add_page("900100", "Департамент (бенч)")
        rng = random.Random(seed)
        for p in range(plan.posts):
            created = NOW - timedelta(hours=p)
            post = self.graph.add_post("900100", text(rng, 3), created)
            first = None
            for c in range(30):
                parent = first if c % 6 == 5 and first else None
                cid = self.graph.add_comment(
                    post,
                    text(rng, 1),
                    created + timedelta(minutes=c + 1),
                    parent=parent,
                    author=f"Житель {c}",
                )
                first = first or cid
        self.graph.freeze()
        self.lock = threading.Lock()

    def page(self, path: str, query: dict[str, list[str]]) -> tuple[str, bytes] | None:
        key = path + "?" + json.dumps(query, sort_keys=True)
        with self.lock:
            if key not in self.cache:
                made = self._make(path, query)
                if made is None:
                    return None
                self.cache[key] = made
            return self.cache[key]

    def _make(self, path: str, query: dict[str, list[str]]) -> tuple[str, bytes] | None:
        parts = [p for p in path.split("/") if p]
        if path == "/robots.txt":
            return "text/plain", b"User-agent: *\nAllow: /\n"
        if len(parts) == 2 and parts[0] == "rss":
            return "application/rss+xml; charset=utf-8", self._feed(int(parts[1].split(".")[0]))
        if parts and parts[0].startswith("portal"):
            return self._portal(int(parts[0][6:]), parts[1:], query)
        if len(parts) == 3 and parts[:2] == ["tg", "s"]:
            before = int((query.get("before") or ["0"])[0] or 0)
            return "text/html; charset=utf-8", self._channel(parts[2], before)
        return None

    def _feed(self, k: int) -> bytes:
        rng = random.Random(self.seed * 1000 + k)
        out = [
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Лента</title>'
            "<link>http://bench.invalid/</link><description>bench</description>"
        ]
        for e in range(self.plan.entries):
            when = (NOW - timedelta(minutes=e * 7)).strftime("%a, %d %b %Y %H:%M:%S +0000")
            out.append(
                f"<item><guid>f{k}-{e}</guid><title>{escape(text(rng, 1)[:80])}</title>"
                f"<link>http://bench.invalid/{k}/{e}</link><pubDate>{when}</pubDate>"
                f"<description>{escape(text(rng, rng.randint(1, 6)))}</description></item>"
            )
        out.append("</channel></rss>")
        return "".join(out).encode()

    def _portal(self, k: int, parts: list[str], query: dict[str, list[str]]) -> tuple[str, bytes] | None:
        per_page = 20
        if parts == ["news"] or parts == ["news", ""]:
            page = int((query.get("page") or ["1"])[0])
            first = (page - 1) * per_page
            links = "".join(
                f'<li><a href="/portal{k}/news/{a}.html">Новость {a}</a></li>'
                for a in range(first, min(first + per_page, self.plan.articles))
            )
            nxt = (
                f'<a class="next" href="/portal{k}/news/?page={page + 1}">Следующая</a>'
                if first + per_page < self.plan.articles
                else ""
            )
            body = f"<html><head><meta charset='utf-8'><title>Новости</title></head><body><nav><a href='/portal{k}/news/'>Новости</a></nav><ul>{links}</ul>{nxt}</body></html>"
            return "text/html; charset=utf-8", body.encode()
        if len(parts) == 2 and parts[0] == "news" and parts[1].endswith(".html"):
            a = int(parts[1][:-5])
            if a >= self.plan.articles:
                return None
            rng = random.Random(self.seed * 7919 + k * 100003 + a)
            title = escape(text(rng, 1)[:90])
            when = NOW - timedelta(hours=a)
            paras = "".join(f"<p>{escape(text(rng, 3))}</p>" for _ in range(rng.randint(3, 8)))
            comments = "".join(
                f'<li id="comment-{a * 100 + c}" class="comment"><article class="comment-body"><footer class="comment-meta">'
                f'<div class="comment-author"><b class="fn">Читатель {c}</b></div><div class="comment-metadata">'
                f'<time datetime="{(when + timedelta(minutes=c + 5)).isoformat()}">{c} мин</time></div></footer>'
                f'<div class="comment-content"><p>{escape(text(rng, 1))}</p></div></article></li>'
                for c in range(self.plan.comments_per_article)
            )
            body = (
                f"<html><head><meta charset='utf-8'><title>{title}</title><meta property='og:title' content='{title}'>"
                f"<meta property='article:published_time' content='{when.isoformat()}'><meta name='author' content='Редакция {k}'></head>"
                f"<body><nav><a href='/portal{k}/news/'>Новости</a></nav><article><h1>{title}</h1>"
                f"<time datetime='{when.isoformat()}'>{when:%d.%m.%Y %H:%M}</time><div class='post-body'>{paras}</div></article>"
                f"<section id='comments'><ol class='comment-list'>{comments}</ol></section>"
                "<footer>© Портал, перепечатка с активной ссылкой</footer></body></html>"
            )
            return "text/html; charset=utf-8", body.encode()
        return None

    def _channel(self, name: str, before: int) -> bytes:
        total = self.plan.messages
        newest = total if before <= 0 else min(before - 1, total)
        first = max(1, newest - 19)
        rng = random.Random(hash((self.seed, name, before)) & 0xFFFFFFFF)
        msgs = []
        for n in range(first, newest + 1):
            when = (NOW - timedelta(minutes=(total - n) * 13)).isoformat()
            msgs.append(
                f'<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="{name}/{n}">'
                f'<div class="tgme_widget_message_bubble"><div class="tgme_widget_message_text js-message_text" dir="auto">{escape(text(random.Random(n * 31 + len(name)), 2))}</div>'
                f'<div class="tgme_widget_message_footer"><div class="tgme_widget_message_info"><span class="tgme_widget_message_views">1.{rng.randint(0, 9)}K</span>'
                f'<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{name}/{n}"><time datetime="{when}" class="time"></time></a></span></div></div></div></div></div>'
            )
        more = (
            f'<a href="/tg/s/{name}?before={first}" data-before="{first}" class="tme_messages_more js-messages_more"></a>'
            if first > 1
            else ""
        )
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Канал – Telegram</title></head><body class='tgme_webpage'>"
            "<main class='tgme_main'><section class='tgme_right_column'><div class='tgme_channel_info'><div class='tgme_channel_info_header'>"
            f"<div class='tgme_channel_info_header_title'><span dir='auto'>Канал {name}</span></div></div></div></section>"
            f"<section class='tgme_channel_history js-message_history'>{more}{''.join(msgs)}</section></main></body></html>"
        ).encode()


def serve(site: Site, port_file: Path) -> None:
    stats: Counter[str] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            kind = [*parts.path.split("/"), "", ""][1] or "root"
            kind = "portal" if kind.startswith("portal") else kind
            if parts.path == "/_stats":
                return self._send(200, "application/json", json.dumps(stats).encode())
            if parts.path.startswith("/graph"):
                status, headers, body = site.graph.handle(
                    parts.path[len("/graph") :],
                    query,
                    dict(self.headers),
                    f"http://{self.headers['Host']}/graph",
                )
                self._count(kind, body, status)
                return self._send(status, headers.get("Content-Type", "application/json"), body)
            made = site.page(parts.path, query)
            if made is None:
                self._count(kind, b"", 404)
                return self._send(404, "text/plain", b"not found")
            ctype, body = made
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self._count(kind, b"", 304)
                return self._send(304, ctype, b"", etag)
            self._count(kind, body, 200)
            self._send(200, ctype, body, etag)

        def _count(self, kind: str, body: bytes, status: int) -> None:
            with lock:
                stats[f"{kind}:requests"] += 1
                stats[f"{kind}:bytes"] += len(body)
                stats[f"{kind}:{status}"] += 1

        def _send(self, status: int, ctype: str, body: bytes, etag: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_file.write_text(str(httpd.server_address[1]))
    httpd.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args()
    serve(Site(Plan(args.items)), args.port_file)


if __name__ == "__main__":
    main()
