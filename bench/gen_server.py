"""A local server of generated sources for the batch benchmark (run in its own process).

    python bench/gen_server.py --items 100000 --port-file /tmp/port

Serves RSS feeds (/rss/N.xml), news portals with comment threads (/portalN/news/...), a Graph API page
(/graph/v25.0/...) and Telegram channel previews (/tg/s/chanN), all generated from a seed, texts mixing
Russian and Kazakh. Every page has an ETag and answers 304 to a matching If-None-Match. It counts
requests and bytes per kind (GET /_stats), and takes alert digests at POST /_alerts (counted, answered 200).

With ``--grow N`` the sources live like real ones: each GET /_advance (or, with ``--grow-every S``,
every S seconds) publishes about N new items, in the mix of the generated set (feed entries, portal
articles with their comment threads and new comments under recent ones, Graph API posts and comments,
Telegram messages), and edits about N/10 existing texts that collectors re-read (a feed entry, a recent
article, a recent comment, a message of a channel's newest page). Pages change, and with them their
ETags. /_advance answers what it added as JSON. Without ``--grow`` nothing changes and /_advance is 404.

    python bench/gen_server.py --items 3000 --grow 40 --feeds 6 --portals 2 --channels 2 --port-file /tmp/port
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import threading
import time
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
    """How many of each kind for a total of about ``items`` (40 feeds, 4 portals and 5 channels unless told)."""

    def __init__(self, items: int, *, feeds: int = 40, portals: int = 4, channels: int = 5) -> None:
        self.feeds = feeds
        self.entries = max(1, int(items * 0.40) // self.feeds)
        self.portals = portals
        self.comments_per_article = 24  # portals are where reader comment threads are
        self.articles = max(1, int(items * 0.25) // (self.portals * (1 + self.comments_per_article)))
        self.posts = max(1, int(items * 0.30) // 31)
        self.channels = channels
        self.messages = max(20, int(items * 0.05) // self.channels)


# What one /_advance publishes, as shares of --grow N: (what, share of N, items per unit). About the
# mix of Plan, with fewer Graph API items: portals get whole articles with their threads and new
# comments under recent ones.
GROWTH = (
    ("feed_entry", 0.55, 1),
    ("article", 0.10, 25),
    ("article_comment", 0.15, 1),
    # A page posts a few times a day. Every run re-reads the comments of the posts of the last 10
    # minutes at least (the collector's overlap), which the soak's compressed time makes dozens.
    ("post", 0.005, 1),
    ("post_comment", 0.145, 1),
    ("message", 0.05, 1),
)
NEW_ARTICLE = 100_000  # articles published by /_advance are numbered from here
MAX_COMMENTS = 99  # comment ids are article * 100 + position
RECENT = 3  # new comments and edits go to the few newest articles and posts


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
        # Growth (--grow): what /_advance published and edited; all empty without it.
        self.grow = 0
        self.generation = 0
        self.rng = random.Random(seed + 1)
        self.due: Counter[str] = Counter()  # fractions of a unit owed to each kind of growth
        self.turn: Counter[str] = Counter()  # round-robin over feeds, portals, channels, edit kinds
        self.new_entries: dict[int, list[dict]] = {}  # feed -> entries, oldest first
        self.new_articles: dict[int, list[datetime]] = {}  # portal -> publication times, oldest first
        self.more_comments: dict[tuple[int, int], list[tuple[datetime, str]]] = {}  # (portal, article)
        self.new_messages: dict[str, list[datetime]] = {}  # channel -> times of messages after the plan's
        self.recent_posts = sorted(self.graph.posts, key=lambda p: self.graph.posts[p]["created"])[-RECENT:]
        self.edits: Counter[tuple] = Counter()  # (kind, where, which) -> times edited

    def advance(self) -> dict[str, int]:
        """Publish about ``grow`` new items and edit about a tenth as many (see the module docstring)."""
        now = datetime.now(UTC).replace(microsecond=0)
        added: Counter[str] = Counter()
        with self.lock, self.graph._lock:
            self.generation += 1
            for kind, share, unit in GROWTH:
                self.due[kind] += self.grow * share / unit
                while self.due[kind] >= 1:
                    self.due[kind] -= 1
                    getattr(self, f"_add_{kind}")(now)
                    added[kind] += unit
            for _ in range(max(1, self.grow // 10)):
                kind = ("feed", "article", "comment", "message")[self.turn["edit"] % 4]
                self.turn["edit"] += 1
                getattr(self, f"_edit_{kind}")()
                added[f"edited_{kind}"] += 1
            self.graph.freeze()
            self.cache.clear()  # every page is made again from the new state; unchanged ones keep their ETag
        return {"generation": self.generation, **added}

    def _next(self, what: str, count: int) -> int:
        self.turn[what] += 1
        return (self.turn[what] - 1) % count

    def _add_feed_entry(self, now: datetime) -> None:
        k = self._next("feed", self.plan.feeds)
        entries = self.new_entries.setdefault(k, [])
        n = len(entries)
        title = text(self.rng, 1)[:80]
        entries.append(
            {
                "guid": f"f{k}-new{n}",
                "title": title,
                "link": f"http://bench.invalid/{k}/new{n}",
                "when": now,
                "text": text(self.rng, self.rng.randint(1, 6)),
            }
        )

    def _add_article(self, now: datetime) -> None:
        self.new_articles.setdefault(self._next("portal", self.plan.portals), []).append(now)

    def _article_ids(self, k: int) -> list[int]:
        """Article numbers of portal ``k``, newest first (as its listing shows them)."""
        grown = len(self.new_articles.get(k, []))
        return [NEW_ARTICLE + j for j in reversed(range(grown))] + list(range(self.plan.articles))

    def _add_article_comment(self, now: datetime) -> None:
        k = self._next("portal_comment", self.plan.portals)
        for a in self._article_ids(k)[:RECENT]:
            thread = self.more_comments.setdefault((k, a), [])
            if self.plan.comments_per_article + len(thread) < MAX_COMMENTS:
                thread.append((now, text(self.rng, 1)))
                return

    def _add_post(self, now: datetime) -> None:
        post = self.graph.add_post("900100", text(self.rng, 3), now)
        self.recent_posts = [*self.recent_posts[1:], post]

    def _add_post_comment(self, now: datetime) -> None:
        post = self.rng.choice(self.recent_posts)
        self.graph.add_comment(post, text(self.rng, 1), now, author=f"Житель {self.rng.randint(1, 500)}")

    def _add_message(self, now: datetime) -> None:
        self.new_messages.setdefault(f"chan{self._next('channel', self.plan.channels)}", []).append(now)

    def _edit_feed(self) -> None:
        k = self._next("feed_edit", self.plan.feeds)
        grown = self.new_entries.get(k, [])
        position = self.rng.randrange(self.plan.entries)  # an entry the feed still shows
        guid = grown[-1 - position]["guid"] if position < len(grown) else f"f{k}-{position - len(grown)}"
        self.edits["feed", k, guid] += 1

    def _edit_article(self) -> None:
        k = self._next("article_edit", self.plan.portals)
        self.edits["article", k, self.rng.choice(self._article_ids(k)[:RECENT])] += 1

    def _edit_comment(self) -> None:
        comments = list(self.graph._by_post.get(self.rng.choice(self.recent_posts), {}))
        if comments:
            cid = self.rng.choice(comments)
            self.graph.edit_comment(cid, self.graph.comments[cid]["message"] + " (отредактировано)")

    def _edit_message(self) -> None:
        name = f"chan{self._next('channel_edit', self.plan.channels)}"
        total = self.plan.messages + len(self.new_messages.get(name, []))
        self.edits["message", name, total - self.rng.randrange(min(20, total))] += 1

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
        entries = []
        for e in range(self.plan.entries):
            title = text(rng, 1)[:80]
            entries.append(
                {
                    "guid": f"f{k}-{e}",
                    "title": title,
                    "link": f"http://bench.invalid/{k}/{e}",
                    "when": NOW - timedelta(minutes=e * 7),
                    "text": text(rng, rng.randint(1, 6)),
                }
            )
        # Growing: the newest entries first, and the feed keeps its length (old entries drop off).
        entries = [*reversed(self.new_entries.get(k, [])), *entries][: self.plan.entries]
        out = [
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Лента</title>'
            "<link>http://bench.invalid/</link><description>bench</description>"
        ]
        for entry in entries:
            when = entry["when"].strftime("%a, %d %b %Y %H:%M:%S +0000")
            edited = self.edits.get(("feed", k, entry["guid"]))
            body = entry["text"] + (f" Дополнено {edited}." if edited else "")
            out.append(
                f"<item><guid>{entry['guid']}</guid><title>{escape(entry['title'])}</title>"
                f"<link>{entry['link']}</link><pubDate>{when}</pubDate>"
                f"<description>{escape(body)}</description></item>"
            )
        out.append("</channel></rss>")
        return "".join(out).encode()

    def _portal(self, k: int, parts: list[str], query: dict[str, list[str]]) -> tuple[str, bytes] | None:
        per_page = 20
        if parts == ["news"] or parts == ["news", ""]:
            page = int((query.get("page") or ["1"])[0])
            first = (page - 1) * per_page
            ids = self._article_ids(k)
            links = "".join(
                f'<li><a href="/portal{k}/news/{a}.html">Новость {a}</a></li>'
                for a in ids[first : first + per_page]
            )
            nxt = (
                f'<a class="next" href="/portal{k}/news/?page={page + 1}">Следующая</a>'
                if first + per_page < len(ids)
                else ""
            )
            body = f"<html><head><meta charset='utf-8'><title>Новости</title></head><body><nav><a href='/portal{k}/news/'>Новости</a></nav><ul>{links}</ul>{nxt}</body></html>"
            return "text/html; charset=utf-8", body.encode()
        if len(parts) == 2 and parts[0] == "news" and parts[1].endswith(".html"):
            a = int(parts[1][:-5])
            grown = self.new_articles.get(k, [])
            if NEW_ARTICLE <= a < NEW_ARTICLE + len(grown):
                when = grown[a - NEW_ARTICLE]
            elif a >= self.plan.articles:
                return None
            else:
                when = NOW - timedelta(hours=a)
            rng = random.Random(self.seed * 7919 + k * 100003 + a)
            title = escape(text(rng, 1)[:90])
            paras = [escape(text(rng, 3)) for _ in range(rng.randint(3, 8))]
            if self.edits.get(("article", k, a)):
                paras[-1] += f" Дополнено {self.edits['article', k, a]}."
            body_html = "".join(f"<p>{para}</p>" for para in paras)
            thread = [
                (when + timedelta(minutes=c + 5), text(rng, 1)) for c in range(self.plan.comments_per_article)
            ]
            thread += self.more_comments.get((k, a), [])
            comments = "".join(
                f'<li id="comment-{a * 100 + c}" class="comment"><article class="comment-body"><footer class="comment-meta">'
                f'<div class="comment-author"><b class="fn">Читатель {c}</b></div><div class="comment-metadata">'
                f'<time datetime="{posted.isoformat()}">{c} мин</time></div></footer>'
                f'<div class="comment-content"><p>{escape(said)}</p></div></article></li>'
                for c, (posted, said) in enumerate(thread)
            )
            body = (
                f"<html><head><meta charset='utf-8'><title>{title}</title><meta property='og:title' content='{title}'>"
                f"<meta property='article:published_time' content='{when.isoformat()}'><meta name='author' content='Редакция {k}'></head>"
                f"<body><nav><a href='/portal{k}/news/'>Новости</a></nav><article><h1>{title}</h1>"
                f"<time datetime='{when.isoformat()}'>{when:%d.%m.%Y %H:%M}</time><div class='post-body'>{body_html}</div></article>"
                f"<section id='comments'><ol class='comment-list'>{comments}</ol></section>"
                "<footer>© Портал, перепечатка с активной ссылкой</footer></body></html>"
            )
            return "text/html; charset=utf-8", body.encode()
        return None

    def _channel(self, name: str, before: int) -> bytes:
        grown = self.new_messages.get(name, [])
        planned = self.plan.messages
        total = planned + len(grown)
        newest = total if before <= 0 else min(before - 1, total)
        first = max(1, newest - 19)
        rng = random.Random(hash((self.seed, name, before)) & 0xFFFFFFFF)
        msgs = []
        for n in range(first, newest + 1):
            when = (
                grown[n - planned - 1] if n > planned else NOW - timedelta(minutes=(planned - n) * 13)
            ).isoformat()
            said = text(random.Random(n * 31 + len(name)), 2)
            if self.edits.get(("message", name, n)):
                said += f" Дополнено {self.edits['message', name, n]}."
            msgs.append(
                f'<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="{name}/{n}">'
                f'<div class="tgme_widget_message_bubble"><div class="tgme_widget_message_text js-message_text" dir="auto">{escape(said)}</div>'
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
            if parts.path == "/_advance" and site.grow:
                return self._send(200, "application/json", json.dumps(site.advance()).encode())
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

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if urlsplit(self.path).path != "/_alerts":
                self._count("post", body, 404)
                return self._send(404, "text/plain", b"not found")
            self._count("alerts", body, 200)  # an alert digest from the scheduler's webhook channel
            self._send(200, "application/json", b"{}")

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


def advance_every(site: Site, seconds: float) -> None:
    """Advance the sources every ``seconds`` (a daemon thread's loop)."""
    while True:
        time.sleep(seconds)
        site.advance()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--feeds", type=int, default=40, help="RSS feeds (default 40)")
    parser.add_argument("--portals", type=int, default=4, help="news portals (default 4)")
    parser.add_argument("--channels", type=int, default=5, help="Telegram channels (default 5)")
    parser.add_argument(
        "--grow",
        type=int,
        default=0,
        help="new items per GET /_advance (default 0: the sources never change)",
    )
    parser.add_argument("--grow-every", type=float, default=0.0, help="also advance every this many seconds")
    args = parser.parse_args()
    site = Site(Plan(args.items, feeds=args.feeds, portals=args.portals, channels=args.channels))
    site.grow = max(0, args.grow)
    if site.grow and args.grow_every > 0:
        threading.Thread(target=advance_every, args=(site, args.grow_every), daemon=True).start()
    serve(site, args.port_file)


if __name__ == "__main__":
    main()
