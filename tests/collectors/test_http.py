"""The polite HTTP client against a real local server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response as WResponse

from collectors import http as http_module
from collectors.http import HostPacer, HttpClient, decode_body, mask_secrets, utf8_with_strays
from errors import FetchError, ResponseTooLarge, RobotsDisallowed


def client(**kw) -> tuple[HttpClient, list[float]]:
    slept: list[float] = []
    kw.setdefault("min_delay", 0.0)
    return HttpClient(sleep=slept.append, **kw), slept


def clocked_client(**kw) -> tuple[HttpClient, list[float], list[float]]:
    """(client, its sleeps, [now]): each sleep advances the client's clock (from 100 s) instead of waiting."""
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    kw.setdefault("min_delay", 0.0)
    return HttpClient(sleep=sleep, clock=lambda: now[0], **kw), slept, now


def test_retries_503_honouring_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/feed").respond_with_data(
        "busy", status=503, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/feed").respond_with_data("busy", status=500)
    httpserver.expect_ordered_request("/feed").respond_with_data("ok")
    http, slept = client(backoff=2.0, respect_robots=False)  # ordered expectations: no robots.txt request
    resp = http.get(httpserver.url_for("/feed"))
    assert resp.status == 200 and resp.text == "ok"
    assert slept[0] == 7.0  # Retry-After wins over backoff
    assert 2.0 <= slept[1] <= 4.0  # second attempt: 2 * 2**1 with jitter between half and all
    assert http.stats.retries == 2


def test_gives_up_after_retries_with_status(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("down", status=500)
    http, slept = client(retries=2)
    with pytest.raises(FetchError) as err:
        http.get(httpserver.url_for("/feed"))
    assert err.value.status == 500 and len(slept) == 2
    assert "500" in str(err.value)


def test_too_long_retry_after_is_not_waited(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3600"}
    )
    http, slept = client(max_retry_after=60)
    with pytest.raises(FetchError, match="3600"):
        http.get(httpserver.url_for("/feed"))
    assert slept == []


def test_connection_error_is_retried_then_fetch_error() -> None:
    http, slept = client(retries=1, respect_robots=False)
    with pytest.raises(FetchError, match="connection failed after 2 attempts") as caught:
        http.get("http://127.0.0.1:9/nothing-listens-here")
    assert len(slept) == 1
    assert str(caught.value).endswith(": connection refused (nothing listens on that port)")


def test_requests_count_what_was_sent_answered_or_not() -> None:
    # review: a run whose requests all failed said "0 requests" (and runs.requests 0)
    http, _ = client(retries=1, respect_robots=False)
    with pytest.raises(FetchError):
        http.get("http://127.0.0.1:9/nothing-listens-here")
    assert http.stats.requests == 2


def test_a_server_that_never_answers_is_said_to_time_out(silent_host: str) -> None:
    http, _ = client(timeout=0.3, retries=0, respect_robots=False)
    with pytest.raises(FetchError) as caught:
        http.get(silent_host + "/slow?token=EAAGsecret")
    assert str(caught.value).endswith("connection failed after 1 attempt: timed out waiting for the answer")
    assert "EAAGsecret" not in str(caught.value)


def test_a_deadline_stops_retries_whose_back_off_would_pass_it(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("busy", status=503, headers={"Retry-After": "2"})
    http, slept, _ = clocked_client(retries=3, respect_robots=False)
    # Waits of 2 s: one fits before the deadline 5 s away, a second would end at 4 s, a third at 6 s.
    resp = http.get(httpserver.url_for("/feed"), raise_for_status=False, deadline=105.0)
    assert resp.status == 503  # the last answer stands
    assert slept == [2.0, 2.0] and http.stats.retries == 2 and http.stats.requests == 3
    # Without a deadline the same call makes every retry.
    http, slept = client(retries=3, respect_robots=False)
    assert http.get(httpserver.url_for("/feed"), raise_for_status=False).status == 503
    assert slept == [2.0, 2.0, 2.0] and http.stats.requests == 4


def test_a_deadline_is_not_slept_past_waiting_for_the_hosts_turn(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("ok")
    http, slept, now = clocked_client(min_delay=10.0, respect_robots=False, pacer=HostPacer())
    assert http.get(httpserver.url_for("/feed")).status == 200
    # The host's next turn is 10 s away: a call that must end within 3 s gives up at once.
    with pytest.raises(FetchError, match="out of time after 0 attempts"):
        http.get(httpserver.url_for("/feed"), deadline=now[0] + 3.0)
    assert slept == [] and http.stats.requests == 1
    # Without a deadline the call waits for the turn, which the call given up did not book.
    assert http.get(httpserver.url_for("/feed")).status == 200
    assert len(slept) == 1 and 5.0 < slept[0] <= 10.0


def test_a_hanging_server_is_given_up_at_the_deadline(silent_host: str) -> None:
    import time

    http, slept = client(timeout=30.0, retries=3, backoff=0.01, respect_robots=False)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"connection failed|out of time"):
        http.get(silent_host + "/slow", timeout=0.3, deadline=started + 1.0)
    took = time.monotonic() - started
    assert 0.3 <= took < 2.0  # not 4 attempts of 30 s
    assert len(slept) <= 3
    assert http.timeout == 30.0  # the call's own timeout did not change the client's


def test_robots_txt_of_a_hanging_host_waits_the_given_timeout(silent_host: str) -> None:
    import time

    http, _ = client(timeout=30.0)
    started = time.monotonic()
    assert http.allowed(silent_host + "/page", timeout=0.3)  # unreachable robots.txt: fetching as allowed
    assert time.monotonic() - started < 2.0
    assert http.timeout == 30.0  # the call's own timeout did not change the client's


def test_conditional_get_304_and_hash_fallback(httpserver: HTTPServer) -> None:
    def etag_handler(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return WResponse(status=304)
        return WResponse("<rss/>", headers={"ETag": '"v1"'})

    httpserver.expect_request("/etag").respond_with_handler(etag_handler)
    # A server with no validators at all: the content hash decides.
    httpserver.expect_request("/plain").respond_with_data("same body")
    http, _ = client()
    first = http.get(httpserver.url_for("/etag"), conditional=True)
    assert first.status == 200 and not first.not_modified
    second = http.get(httpserver.url_for("/etag"), conditional=True)
    assert second.status == 304 and second.not_modified and second.content == b""
    assert not http.get(httpserver.url_for("/plain"), conditional=True).not_modified
    again = http.get(httpserver.url_for("/plain"), conditional=True)
    assert again.status == 200 and again.not_modified
    assert http.stats.not_modified == 2


def test_validators_are_kept_without_the_urls_secrets(httpserver: HTTPServer) -> None:
    def etag_handler(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return WResponse(status=304)
        return WResponse("<rss/>", headers={"ETag": '"v1"'})

    httpserver.expect_request("/feed").respond_with_handler(etag_handler)
    url = httpserver.url_for("/feed") + "?access_token=EAAGsecret&page=1"
    saved = {url.replace("/feed", "/old"): {"etag": '"v0"'}}  # as an older version saved them
    http, _ = client(validators=saved)
    assert http.get(url, conditional=True).status == 200
    assert http.get(url, conditional=True).not_modified
    assert "EAAGsecret" not in json.dumps(saved)  # what the runner stores in source_state
    assert {k.split("/")[-1] for k in saved} == {
        "feed?access_token=***&page=1",
        "old?access_token=***&page=1",
    }


def test_stale_validator_with_new_content_is_modified(httpserver: HTTPServer) -> None:
    bodies = iter(["first version", "second version"])
    httpserver.expect_request("/stale").respond_with_handler(
        lambda r: WResponse(next(bodies), headers={"Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"})
    )
    http, _ = client()
    http.get(httpserver.url_for("/stale"), conditional=True)
    resp = http.get(httpserver.url_for("/stale"), conditional=True)
    assert not resp.not_modified and resp.text == "second version"


def test_robots_disallow_is_honoured_and_cached(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/public/a").respond_with_data("ok")
    http, _ = client()
    assert http.get(httpserver.url_for("/public/a")).text == "ok"
    with pytest.raises(RobotsDisallowed):
        http.get(httpserver.url_for("/private/feed.xml"))
    robots_hits = [r for r, _ in httpserver.log if r.path == "/robots.txt"]
    assert len(robots_hits) == 1


def test_size_cap_declared_and_streamed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)

    def chunked(_request):
        return WResponse((b"y" * 1000 for _ in range(10)), direct_passthrough=True)

    httpserver.expect_request("/chunked").respond_with_handler(chunked)
    http, _ = client(max_bytes=4096)
    with pytest.raises(ResponseTooLarge, match="4,096"):
        http.get(httpserver.url_for("/big"))
    with pytest.raises(ResponseTooLarge):
        http.get(httpserver.url_for("/chunked"))


def test_cp1251_page_decoded(httpserver: HTTPServer) -> None:
    html = '<html><head><meta charset="windows-1251"></head><body>Жалоба на яму</body></html>'
    httpserver.expect_request("/page").respond_with_data(html.encode("cp1251"), content_type="text/html")
    httpserver.expect_request("/bare").respond_with_data(
        "Ремонт дороги".encode("cp1251"), content_type="text/html"
    )
    http, _ = client()
    assert "Жалоба на яму" in http.get(httpserver.url_for("/page")).text
    bare = http.get(httpserver.url_for("/bare"))  # no declaration anywhere: not UTF-8, so cp1251
    assert bare.text == "Ремонт дороги" and bare.encoding == "cp1251"


def test_user_agent_sent(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ua", headers={"User-Agent": "test-agent/1"}).respond_with_data("ok")
    http, _ = client(user_agent="test-agent/1")
    assert http.get(httpserver.url_for("/ua")).text == "ok"


def test_per_host_delay_shared_between_clients() -> None:
    pacer = HostPacer()
    one, slept_one = client(min_delay=5.0, respect_robots=False, pacer=pacer)
    two, slept_two = client(min_delay=5.0, respect_robots=False, pacer=pacer)
    one._wait_turn("a.example")
    two._wait_turn("a.example")  # another source on the same host waits its turn too
    one._wait_turn("b.example")
    assert slept_one == [] and len(slept_two) == 1 and 4.0 < slept_two[0] <= 5.0


def test_secrets_masked_in_errors(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/graph").respond_with_data("no", status=403)
    http, _ = client()
    with pytest.raises(FetchError) as err:
        http.get(httpserver.url_for("/graph"), params={"access_token": "SECRET123", "limit": 5})
    assert "SECRET123" not in str(err.value) and "access_token=***" in str(err.value)
    assert mask_secrets("https://x/y?a=1&token=abc") == "https://x/y?a=1&token=***"


@pytest.mark.parametrize(
    ("body", "ctype", "expected"),
    [
        ("Қазақ тілі".encode(), "text/html; charset=utf-8", "utf-8"),
        ("Қазақ тілі".encode(), None, "utf-8"),
        ('<?xml version="1.0" encoding="windows-1251"?><a>Ы</a>'.encode("cp1251"), None, "cp1251"),
    ],
)
def test_decode_body(body: bytes, ctype: str | None, expected: str) -> None:
    text, encoding = decode_body(body, ctype)
    assert encoding == expected and ("Қазақ" in text or "Ы" in text)


PAGE = '<html><head><meta charset="{}"></head><body><p>Жители жалуются на ямы у подъездов.</p></body></html>'


@pytest.mark.parametrize(
    ("body", "ctype", "expected"),
    [
        # a stray NUL in a UTF-8 page: still UTF-8, whatever is declared
        (PAGE.format("windows-1251").replace("<p>", "\x00<p>").encode(), "text/html", "utf-8"),
        (PAGE.format("utf-8").replace("<p>", "\x00<p>").encode(), "text/html; charset=cp1251", "utf-8"),
        # UTF-16, whose ASCII and Cyrillic are valid UTF-8 bytes: by the header, or by its mark
        (PAGE.format("utf-16le").encode("utf-16-le"), "text/html; charset=utf-16le", "utf-16le"),
        (PAGE.format("utf-16").encode("utf-16-be"), "text/html; charset=UTF-16BE", "utf-16be"),
        (PAGE.format("utf-16").encode("utf-16"), "text/html", "utf-16"),
        (PAGE.format("utf-16").encode("utf-16"), "text/html; charset=windows-1251", "utf-16"),
    ],
    ids=[
        "nul-meta-cp1251",
        "nul-header-cp1251",
        "utf16le-header",
        "utf16be-header",
        "utf16-bom",
        "utf16-bom-lie",
    ],
)
def test_a_stray_nul_keeps_utf8_and_utf16_keeps_its_reading(body: bytes, ctype: str, expected: str) -> None:
    text, encoding = decode_body(body, ctype)
    assert encoding == expected
    assert "Жители жалуются на ямы у подъездов." in text and not text.startswith("\ufeff")


def test_robots_kept_with_validators_for_a_day(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/a").respond_with_data("ok")
    validators: dict = {}
    first, _ = client(validators=validators)
    first.get(httpserver.url_for("/a"))
    second, _ = client(validators=validators)  # the next run, with the validators its state kept
    second.get(httpserver.url_for("/a"))
    with pytest.raises(RobotsDisallowed):
        second.get(httpserver.url_for("/private/x"))
    assert len([r for r, _ in httpserver.log if r.path == "/robots.txt"]) == 1
    root = httpserver.url_for("/").rstrip("/")
    validators["robots:" + root]["fetched"] = "0"  # a day later
    third, _ = client(validators=validators)
    third.get(httpserver.url_for("/a"))
    assert len([r for r, _ in httpserver.log if r.path == "/robots.txt"]) == 2


# -- redirects: each hop is a request of ours ----------------------------------------------------


def test_redirects_are_followed_hop_by_hop_paced_and_counted(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/moved"})
    httpserver.expect_request("/moved").respond_with_data("", status=302, headers={"Location": "/new?x=1"})
    httpserver.expect_request("/new").respond_with_data("here")
    http, slept = client(min_delay=5.0, pacer=HostPacer())
    resp = http.get(httpserver.url_for("/old"))
    assert resp.status == 200 and resp.text == "here"
    assert resp.url == httpserver.url_for("/new") + "?x=1"
    assert http.stats.requests == 4  # robots.txt and three hops
    assert len(slept) == 3 and all(s > 4.0 for s in slept)  # min_delay before each request after the first
    paths = [request.path for request, _ in httpserver.log]
    assert paths == ["/robots.txt", "/old", "/moved", "/new"]


def test_a_redirect_to_a_url_robots_txt_disallows_is_not_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/open").respond_with_data("", status=302, headers={"Location": "/private/x"})
    httpserver.expect_request("/private/x").respond_with_data("secret")
    http, _ = client()
    with pytest.raises(RobotsDisallowed, match="redirect target") as err:
        http.get(httpserver.url_for("/open"))
    assert "/private/x" in str(err.value)
    assert [request.path for request, _ in httpserver.log] == ["/robots.txt", "/open"]


def test_a_redirect_loop_ends_with_one_clear_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=307, headers={"Location": "/a"})
    http, slept = client(respect_robots=False)
    with pytest.raises(FetchError, match="more than 10 redirects"):
        http.get(httpserver.url_for("/a"))
    assert len(httpserver.log) == 11 and slept == []  # no retry: a loop does not heal


def test_a_redirect_keeps_secrets_masked(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api").respond_with_data(
        "", status=302, headers={"Location": "ftp://files.example/x?access_token=SECRET1"}
    )
    http, _ = client(respect_robots=False)
    with pytest.raises(FetchError, match="non-HTTP address") as err:
        http.get(httpserver.url_for("/api") + "?access_token=SECRET2")
    assert "SECRET1" not in str(err.value) and "SECRET2" not in str(err.value)


def test_a_post_is_made_once_and_answered_as_it_came(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/ajax", method="POST", data=b"action=load&id=7").respond_with_data(
        "busy", status=503
    )
    httpserver.expect_request("/moved", method="POST").respond_with_data(
        "", status=302, headers={"Location": "/elsewhere"}
    )
    http, slept = client(retries=3)
    resp = http.post(
        httpserver.url_for("/ajax"),
        b"action=load&id=7",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (resp.status, resp.content) == (503, b"busy")  # not retried: a POST may change something
    assert http.stats.retries == 0 and slept == []
    moved = http.post(httpserver.url_for("/moved"), b"")
    assert moved.status == 302 and moved.headers["Location"] == "/elsewhere"  # not followed
    with pytest.raises(RobotsDisallowed):
        http.post(httpserver.url_for("/private/form"), b"x=1")
    seen = [(request.method, request.path) for request, _ in httpserver.log]
    assert seen == [("GET", "/robots.txt"), ("POST", "/ajax"), ("POST", "/moved")]
    assert http.stats.requests == 3


def test_a_utf8_page_with_a_line_in_cp1251_is_read_as_utf8_and_that_line_as_cp1251() -> None:
    page = "<p>Дорога разбита, яма на яме у дома 5.</p>\n" * 30
    pasted = "<p>Жалоба из старой системы</p>\n".encode("cp1251")
    body = page.encode() + pasted + page.encode()
    for ctype in ("text/html; charset=utf-8", None):
        text, encoding = decode_body(body, ctype)
        assert encoding == "utf-8"
        assert text.count("Дорога разбита") == 60 and "Жалоба из старой системы" in text  # was all mojibake
    # A page in cp1251 throughout is not taken for UTF-8 with strays.
    assert decode_body(page.encode("cp1251"), None) == (page, "cp1251")
    assert utf8_with_strays(page.encode("cp1251")) is None


def test_credentials_do_not_follow_a_redirect_to_another_host(httpserver: HTTPServer) -> None:
    other = httpserver.url_for("/landing").replace("localhost", "127.0.0.1")
    assert other != httpserver.url_for("/landing")  # the same server under another host name
    httpserver.expect_request("/graph/feed").respond_with_data("", status=302, headers={"Location": other})
    httpserver.expect_request("/graph/page").respond_with_data(
        "", status=302, headers={"Location": "/graph/here"}
    )
    httpserver.expect_request("/landing").respond_with_data("elsewhere")
    httpserver.expect_request("/graph/here").respond_with_data("same host")
    http, _ = client()
    token = {"Authorization": "Bearer SECRET-TOKEN-1", "Cookie": "sid=2"}
    assert http.get(httpserver.url_for("/graph/feed"), headers=token).text == "elsewhere"
    assert http.get(httpserver.url_for("/graph/page"), headers=token).text == "same host"
    sent = {req.path: req.headers for req, _ in httpserver.log}
    assert "Authorization" not in sent["/landing"] and "Cookie" not in sent["/landing"]
    assert sent["/graph/here"]["Authorization"] == "Bearer SECRET-TOKEN-1"  # a hop on the same host keeps it


def test_a_body_sent_too_slowly_ends_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    import http.server
    import threading
    import time

    from collectors import http as http_module

    class Trickle(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "400")
            self.end_headers()
            for _ in range(400):  # a byte every 10 ms: no single read waits long, the whole takes 4 s
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.01)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(http_module, "BODY_SECONDS", 0.5)
    try:
        http, _ = client(timeout=0.1, retries=0, respect_robots=False)
        started = time.monotonic()
        with pytest.raises(
            FetchError, match=r"the body took more than 1 s to arrive \(the server sends it too slowly\)"
        ):
            http.get(f"http://127.0.0.1:{server.server_port}/feed")
        assert time.monotonic() - started < 2.5
    finally:
        server.shutdown()
        server.server_close()


def test_robots_txt_is_read_no_further_than_its_cap(httpserver: HTTPServer) -> None:
    rules = "User-agent: *\nDisallow: /private/\n"
    httpserver.expect_request("/robots.txt").respond_with_data(
        rules + "#" * 2_000_000 + "\nDisallow: /late/\n"
    )
    httpserver.expect_request("/late/page").respond_with_data("ok")
    validators: dict = {}
    http, _ = client(validators=validators)
    with pytest.raises(RobotsDisallowed):
        http.get(httpserver.url_for("/private/x"))
    assert http.get(httpserver.url_for("/late/page")).text == "ok"  # the rule past the cap is not read
    (kept,) = [v for k, v in validators.items() if k.startswith("robots:")]
    assert kept["body"] == "user-agent: *\ndisallow: /private/"  # what decides for us, not 512 kB


def test_a_304_to_a_request_that_was_not_conditional_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("", status=304)
    http, _ = client()
    with pytest.raises(
        FetchError, match="answered 304 Not Modified to a request that named no earlier version"
    ):
        http.get(httpserver.url_for("/feed"), conditional=True)  # nothing known of it yet


def test_the_validators_kept_are_those_used_last(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A listing whose "next" link carries a cache buster (?_=<time>) added validators every run, for ever.
    def etag_handler(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return WResponse(status=304)
        return WResponse("<html/>", headers={"ETag": '"v1"'})

    httpserver.expect_request("/news").respond_with_handler(etag_handler)
    monkeypatch.setattr(http_module, "MAX_VALIDATORS", 3)
    validators: dict[str, Any] = {}
    listing = httpserver.url_for("/news")
    for run in range(6):
        http, _ = client(validators=validators)
        assert http.get(listing, conditional=True).not_modified == (run > 0)  # answered 304 after the first
        http.get(f"{listing}?page=2&_={1732700000 + run}", conditional=True)
        validators = http_module.newest_validators(http.validators)  # as the runner saves them
    assert [k.split("/")[-1] for k in validators] == [
        "news?page=2&_=1732700004",
        "news",
        "news?page=2&_=1732700005",
    ]
