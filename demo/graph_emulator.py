"""A Graph API emulator of our own: a page's posts, comments and replies in memory, with faults.

It answers what the ``facebook`` collector asks (``/{page}/feed``, ``/{page}/published_posts``,
``/{post}/comments``, ``/{comment}/comments``, ``/{id}``), with or without a ``/vNN.N`` prefix:
``fields`` selection, ``limit``, ``after`` cursors with ``paging.next`` URLs (carrying the
``access_token`` back when the request had one, as the real API does), ``since``/``until``,
``filter=stream`` and ``order``. Faults are queued with :meth:`GraphEmulator.fail`: throttling
(codes 4/17/32/613 with X-App-Usage and X-Business-Use-Case-Usage headers), transient codes 1/2,
code 190 with a subcode, permission codes 10/200, a bare HTTP 500.

Tests serve it with :func:`serve` (``http.server`` in a thread); the demo through
``demo/handlers/facebook.py``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

Answer = tuple[int, dict[str, str], bytes]

_VERSION = re.compile(r"^/v\d+(?:\.\d+)?(?=/|$)")
_JSON = {"Content-Type": "application/json; charset=UTF-8"}


def graph_time(when: datetime) -> str:
    """A datetime the way Graph writes it: ``2026-11-25T09:30:00+0000``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _parse_when(value: str) -> datetime | None:
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _person_id(name: str) -> str:
    """A stable numeric id for a person's name (Graph ids are digits)."""
    return str(zlib.crc32(name.encode("utf-8")) + 10**14)


def _top_fields(spec: str) -> list[str]:
    """Top-level names of a fields parameter: ``a,b{c,d},e.limit(1)`` -> a, b, e."""
    names, depth, current = [], 0, ""
    for char in spec:
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        elif char == "," and depth == 0:
            names.append(current)
            current = ""
            continue
        if depth == 0 and char not in "})":
            current += char
    names.append(current)
    return [n.split(".")[0].strip() for n in names if n.strip()]


@dataclass
class Fault:
    """One queued failure: the matching requests after ``after`` passing ones fail ``times`` times."""

    kind: str  # throttle | transient | token | permission | http500
    path: str = ""  # substring of the request path ("" = any)
    after: int = 0
    times: int = 1  # -1: for ever
    code: int | None = None
    subcode: int | None = None
    retry_after: int | None = None
    regain_minutes: int = 0
    status: int | None = None
    seen: int = 0

    def answer(self, page_id: str) -> Answer:
        """The HTTP answer this fault gives."""
        if self.kind == "http500":
            return self.status or 500, {"Content-Type": "text/plain"}, b"Internal Server Error"
        headers = dict(_JSON)
        if self.kind == "throttle":
            code, status, message = self.code or 17, self.status or 400, "(#17) User request limit reached"
            if code == 4:
                message = "(#4) Application request limit reached"
            elif code == 32:
                message = "(#32) Page request limit reached"
            elif code == 613:
                message = "(#613) Calls to this api have exceeded the rate limit."
            usage = {"call_count": 100, "total_cputime": 40, "total_time": 100}
            headers["X-App-Usage"] = json.dumps(usage)
            buc = {**usage, "type": "pages", "estimated_time_to_regain_access": self.regain_minutes}
            headers["X-Business-Use-Case-Usage"] = json.dumps({page_id: [buc]})
            if self.retry_after is not None:
                headers["Retry-After"] = str(self.retry_after)
            error = {"message": message, "type": "OAuthException", "code": code, "is_transient": True}
        elif self.kind == "transient":
            code, status = self.code or 2, self.status or 500
            text = "An unknown error occurred" if code == 1 else "Service temporarily unavailable"
            error = {"message": text, "type": "OAuthException", "code": code, "is_transient": True}
        elif self.kind == "token":
            code, status = self.code or 190, self.status or 400
            error = {
                "message": "Error validating access token: Session has expired on Tuesday, 24-Nov-26 10:00:00 PST.",
                "type": "OAuthException",
                "code": code,
                "error_subcode": self.subcode if self.subcode is not None else 463,
                "is_transient": False,
            }
        elif self.kind == "permission":
            code, status = self.code or 200, self.status or 403
            error = {
                "message": f"(#{code}) This endpoint requires the 'pages_read_engagement' permission",
                "type": "OAuthException",
                "code": code,
                "is_transient": False,
            }
        else:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        error["fbtrace_id"] = "AemulatorTrace"
        return status, headers, json.dumps({"error": error}).encode()


@dataclass
class GraphEmulator:
    """An in-memory Graph API for one or more pages."""

    token: str | None = None  # the token every request must carry; None accepts any (or none)
    page_size_cap: int = 100
    stream_replies: bool = True  # False: filter=stream serves only top-level comments (old API versions)
    pages: dict[str, str] = field(default_factory=dict)  # page id -> name
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # path, query without token
    _serial: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- building the page ----------------------------------------------------------------

    def _next_id(self) -> int:
        self._serial += 1
        return self._serial

    def add_page(self, page_id: str, name: str) -> str:
        """Add a page."""
        self.pages[page_id] = name
        return page_id

    def add_post(
        self,
        page_id: str,
        message: str | None,
        created: datetime,
        *,
        story: str | None = None,
        attachments: list[dict[str, str]] | None = None,
        author: str | None = None,
        hidden: bool = False,
        post_id: str | None = None,
    ) -> str:
        """Add a post (``hidden`` ones take a place in paging but are not served: short pages)."""
        post_id = post_id or f"{page_id}_{self._next_id()}"
        self.posts[post_id] = {
            "id": post_id,
            "page_id": page_id,
            "message": message,
            "story": story,
            "attachments": attachments,
            "author": author or self.pages.get(page_id, "Page"),
            "author_id": page_id if author is None else _person_id(author),
            "created": created,
            "updated": created,
            "hidden": hidden,
        }
        return post_id

    def add_comment(
        self,
        post_id: str,
        message: str,
        created: datetime,
        *,
        parent: str | None = None,
        author: str | None = None,
    ) -> str:
        """Add a comment to a post, or a reply to comment ``parent``; bumps the post's updated_time."""
        comment_id = f"{post_id.split('_')[-1]}_{self._next_id()}"
        self.comments[comment_id] = {
            "id": comment_id,
            "post_id": post_id,
            "parent": parent,
            "message": message,
            "created": created,
            "author": author,
            "like_count": 0,
        }
        post = self.posts[post_id]
        post["updated"] = max(post["updated"], created)
        return comment_id

    def edit_post(self, post_id: str, message: str, when: datetime) -> None:
        """Change a post's message, as its author's edit does."""
        self.posts[post_id]["message"] = message
        self.posts[post_id]["updated"] = when

    def edit_comment(self, comment_id: str, message: str) -> None:
        """Change a comment's message."""
        self.comments[comment_id]["message"] = message

    def delete_post(self, post_id: str) -> None:
        """Remove a post and its comments."""
        self.posts.pop(post_id)
        for cid in [c for c, v in self.comments.items() if v["post_id"] == post_id]:
            self.comments.pop(cid)

    def fail(self, kind: str, **options: Any) -> Fault:
        """Queue a fault (see :class:`Fault`)."""
        fault = Fault(kind=kind, **options)
        self.faults.append(fault)
        return fault

    def load(self, data: Mapping[str, Any], *, now: datetime | None = None) -> None:
        """Fill the page from a JSON-like dict (``created`` ISO or ``hours_ago``; comments nest ``replies``)."""
        now = now or datetime.now(UTC)

        def when(obj: Mapping[str, Any]) -> datetime:
            if "created" in obj:
                return datetime.fromisoformat(obj["created"])
            return now - timedelta(hours=float(obj.get("hours_ago", 0)))

        page = data["page"]
        self.add_page(str(page["id"]), page["name"])
        for post in data.get("posts", []):
            post_id = self.add_post(
                str(page["id"]),
                post.get("message"),
                when(post),
                story=post.get("story"),
                attachments=post.get("attachments"),
                author=post.get("author"),
                hidden=bool(post.get("hidden")),
            )
            for comment in post.get("comments", []):
                cid = self.add_comment(
                    post_id, comment["message"], when(comment), author=comment.get("author")
                )
                for reply in comment.get("replies", []):
                    self.add_comment(
                        post_id, reply["message"], when(reply), parent=cid, author=reply.get("author")
                    )

    # -- answering ------------------------------------------------------------------------

    def handle(
        self, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str], base: str
    ) -> Answer:
        """Answer one GET: ``base`` is the emulator's public root (paging URLs start with it)."""
        flat = {k: v[-1] for k, v in query.items()}
        with self._lock:
            self.requests.append((path, {k: v for k, v in flat.items() if k != "access_token"}))
            for fault in self.faults:
                if fault.path in path and fault.times != 0:
                    fault.seen += 1
                    if fault.seen > fault.after:
                        fault.times -= 1 if fault.times > 0 else 0
                        page_id = next(iter(self.pages), "0")
                        return fault.answer(page_id)
            denied = self._check_token(flat, headers)
            if denied:
                return denied
            version = _VERSION.match(path)
            prefix = base.rstrip("/") + (version.group(0) if version else "")
            parts = [p for p in _VERSION.sub("", path).split("/") if p]
            if (
                len(parts) == 2
                and parts[0] in self.pages
                and parts[1] in ("feed", "published_posts", "posts")
            ):
                return self._feed(parts[0], parts[1], flat, prefix)
            if len(parts) == 2 and parts[1] == "comments":
                if parts[0] in self.posts:
                    return self._comments(parts[0], None, flat, prefix, path)
                if parts[0] in self.comments:
                    return self._comments(self.comments[parts[0]]["post_id"], parts[0], flat, prefix, path)
            if len(parts) == 1 and parts[0] in self.posts:
                return self._ok(self._post_json(self.posts[parts[0]], flat.get("fields")))
            if len(parts) == 1 and parts[0] in self.comments:
                return self._ok(self._comment_json(self.comments[parts[0]], flat.get("fields")))
            missing = parts[0] if parts else ""
            return self._error(
                400, 100, f"Unsupported get request. Object with ID '{missing}' does not exist", subcode=33
            )

    def _check_token(self, query: Mapping[str, str], headers: Mapping[str, str]) -> Answer | None:
        if self.token is None:
            return None
        given = query.get("access_token")
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not given and auth.split(" ", 1)[0] in ("Bearer", "OAuth"):
            given = auth.split(" ", 1)[-1].strip()
        if not given:
            return self._error(400, 104, "An access token is required to request this resource.")
        if given != self.token:
            return self._error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        return None

    @staticmethod
    def _ok(body: Any, headers: Mapping[str, str] | None = None) -> Answer:
        usage = json.dumps({"call_count": 1, "total_cputime": 1, "total_time": 1})
        return (
            200,
            {**_JSON, "X-App-Usage": usage, **(headers or {})},
            json.dumps(body, ensure_ascii=False).encode(),
        )

    @staticmethod
    def _error(status: int, code: int, message: str, *, subcode: int | None = None) -> Answer:
        error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        error["fbtrace_id"] = "AemulatorTrace"
        return status, dict(_JSON), json.dumps({"error": error}).encode()

    def _page(
        self, rows: list[dict[str, Any]], query: Mapping[str, str], url: str, render: Any
    ) -> dict[str, Any]:
        try:
            limit = max(1, min(int(query.get("limit", "25")), self.page_size_cap))
            start = int(base64.urlsafe_b64decode(query["after"]).decode()) if query.get("after") else 0
        except ValueError:
            return {"error": "bad cursor"}
        chunk = rows[start : start + limit]
        body: dict[str, Any] = {"data": [render(r) for r in chunk if not r.get("hidden")]}
        if chunk:
            cursors = {
                "before": base64.urlsafe_b64encode(str(start).encode()).decode(),
                "after": base64.urlsafe_b64encode(str(start + len(chunk)).encode()).decode(),
            }
            body["paging"] = {"cursors": cursors}
            if start + limit < len(rows):
                keep = {k: v for k, v in query.items() if k not in ("after", "before")}
                keep["after"] = cursors["after"]
                body["paging"]["next"] = url + "?" + urlencode(keep)
        return body

    def _feed(self, page_id: str, edge: str, query: Mapping[str, str], prefix: str) -> Answer:
        since = _parse_when(query["since"]) if query.get("since") else None
        until = _parse_when(query["until"]) if query.get("until") else None
        rows = [
            p
            for p in self.posts.values()
            if p["page_id"] == page_id
            and (since is None or p["created"] >= since)
            and (until is None or p["created"] <= until)
            and (edge == "feed" or p["author_id"] == page_id)
        ]
        rows.sort(key=lambda p: p["created"], reverse=True)
        fields = query.get("fields")
        body = self._page(rows, query, f"{prefix}/{page_id}/{edge}", lambda p: self._post_json(p, fields))
        if "error" in body:
            return self._error(400, 100, "Invalid cursor")
        return self._ok(body)

    def _comments(
        self, post_id: str, parent: str | None, query: Mapping[str, str], prefix: str, path: str
    ) -> Answer:
        stream = query.get("filter") == "stream" and parent is None and self.stream_replies
        of_post = [c for c in self.comments.values() if c["post_id"] == post_id]
        replies = Counter(c["parent"] for c in of_post if c["parent"])
        rows = [c for c in of_post if stream or c["parent"] == parent]
        rows.sort(
            key=lambda c: (c["created"], c["id"]), reverse=query.get("order") == "reverse_chronological"
        )
        fields = query.get("fields")
        owner = parent or post_id
        body = self._page(
            rows,
            query,
            f"{prefix}/{owner}/comments",
            lambda c: self._comment_json(c, fields, replies[c["id"]]),
        )
        if "error" in body:
            return self._error(400, 100, "Invalid cursor")
        return self._ok(body)

    def _post_json(self, post: Mapping[str, Any], fields: str | None) -> dict[str, Any]:
        wanted = _top_fields(fields) if fields else ["id", "message", "story", "created_time"]
        full: dict[str, Any] = {
            "id": post["id"],
            "message": post["message"],
            "story": post["story"],
            "created_time": graph_time(post["created"]),
            "updated_time": graph_time(post["updated"]),
            "permalink_url": f"https://www.facebook.com/{post['page_id']}/posts/{post['id'].split('_')[-1]}",
            "from": {"name": post["author"], "id": post["author_id"]},
            "attachments": {"data": post["attachments"]} if post["attachments"] else None,
        }
        return {k: full[k] for k in wanted if full.get(k) is not None}

    def _comment_json(
        self, comment: Mapping[str, Any], fields: str | None, replies: int | None = None
    ) -> dict[str, Any]:
        wanted = _top_fields(fields) if fields else ["id", "message", "created_time", "from"]
        post = self.posts[comment["post_id"]]
        link = f"https://www.facebook.com/{post['page_id']}/posts/{post['id'].split('_')[-1]}/?comment_id="
        if comment["parent"]:
            link += f"{comment['parent'].split('_')[-1]}&reply_comment_id={comment['id'].split('_')[-1]}"
        else:
            link += comment["id"].split("_")[-1]
        full: dict[str, Any] = {
            "id": comment["id"],
            "message": comment["message"],
            "created_time": graph_time(comment["created"]),
            "from": {"name": comment["author"], "id": _person_id(comment["author"])}
            if comment["author"]
            else None,
            "parent": {"id": comment["parent"]} if comment["parent"] else None,
            "like_count": comment["like_count"],
            "comment_count": replies
            if replies is not None
            else sum(1 for c in self.comments.values() if c["parent"] == comment["id"]),
            "permalink_url": link,
        }
        return {k: full[k] for k in wanted if full.get(k) is not None}


class _Handler(BaseHTTPRequestHandler):
    emulator: GraphEmulator

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        status, headers, body = self.emulator.handle(
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            dict(self.headers.items()),
            f"http://{host}",
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read the emulator's own log
        return


@contextmanager
def serve(emulator: GraphEmulator) -> Iterator[str]:
    """Serve the emulator on 127.0.0.1 in a thread; yields its root URL (``http://127.0.0.1:PORT``)."""
    handler = type("GraphHandler", (_Handler,), {"emulator": emulator})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
