"""Bodies that trickle: a robots.txt read no longer than a page's body may take (then taken as
unreachable: fetching as allowed), and a stop request that ends any body's read at its next bytes."""

from __future__ import annotations

import http.server
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from collectors.http import DEFAULT_USER_AGENT, HttpClient, robots_agent
from collectors.http_failures import FetchStopped

TRICKLE_SECONDS = 4.0  # how long the server trickles a body before it ends it (the test's upper bound)
LATE_TAIL = b"x" * 200_000


class Trickle(http.server.BaseHTTPRequestHandler):
    """robots.txt and /slow trickle a byte every 20 ms (for TRICKLE_SECONDS, then the connection ends
    short of the declared length); /page answers at once."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        if self.path == "/page":
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            return
        if self.path == "/late-tail":  # all but its last 10 bytes at once, those 0.8 s later
            self.send_response(200)
            self.send_header("Content-Length", str(len(LATE_TAIL)))
            self.end_headers()
            self.wfile.write(LATE_TAIL[:-10])
            self.wfile.flush()
            time.sleep(0.8)
            self.wfile.write(LATE_TAIL[-10:])
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        ends = time.monotonic() + TRICKLE_SECONDS
        try:
            while time.monotonic() < ends:
                self.wfile.write(b"#")
                self.wfile.flush()
                time.sleep(0.02)
        except OSError:  # the client gave up: what the fix does
            pass


@pytest.fixture
def trickling() -> Iterator[tuple[str, list[str]]]:
    """(the server's root URL, the paths asked of it)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    server.paths = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server.paths  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def ticking_clock(step: float) -> tuple[list[float], object]:
    """A clock that moves ``step`` seconds each time it is read: a slow body's limit comes after a few
    reads of it, not after a minute."""
    now = [100.0]

    def clock() -> float:
        now[0] += step
        return now[0]

    return now, clock


def test_a_trickling_robots_txt_is_given_up_at_the_body_limit_and_taken_as_unreachable(
    trickling: tuple[str, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    root, paths = trickling
    _, clock = ticking_clock(10.0)  # the 60 s limit (timeout 0.5 s: 6 x 0.5 is less) after 7 reads
    validators: dict = {}
    http = HttpClient(min_delay=0, timeout=0.5, clock=clock, validators=validators)  # type: ignore[arg-type]
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="collectors.http"):
        assert http.get(root + "/page").text == "ok"  # unreachable robots.txt: fetching as allowed
    assert time.monotonic() - started < TRICKLE_SECONDS / 2  # not until the server ends it (days, live)
    assert paths == ["/robots.txt", "/page"]
    said = [r.getMessage() for r in caplog.records if "robots.txt" in r.getMessage()]
    assert said == [
        f"robots.txt of {root} unreachable: the body took more than 60 s to arrive "
        "(the server sends it too slowly); fetching as allowed"
    ]
    assert not [k for k in validators if k.startswith("robots:")]  # not kept: asked again next run
    assert http.get(root + "/page").text == "ok"  # nor asked again in this run (it would wait again)
    assert paths == ["/robots.txt", "/page", "/page"]


def test_a_stop_during_a_slow_page_body_ends_the_read_at_once(trickling: tuple[str, list[str]]) -> None:
    root, _ = trickling
    stop = threading.Event()
    http = HttpClient(min_delay=0, timeout=0.5, retries=3, respect_robots=False, should_stop=stop.is_set)
    threading.Timer(0.3, stop.set).start()  # SIGTERM 0.3 s into the body (the limit is 60 s)
    started = time.monotonic()
    with pytest.raises(FetchStopped) as err:
        http.get(root + "/slow")
    assert time.monotonic() - started < 1.5  # not the 60 s limit, nor the server's 4 s
    assert err.value.message == "the body was not read to its end: stopped on request"
    assert err.value.run_status == "aborted" and http.stopped


def test_a_stop_during_a_slow_robots_txt_ends_the_read_and_the_run(trickling: tuple[str, list[str]]) -> None:
    root, paths = trickling
    stop = threading.Event()
    validators: dict = {}
    http = HttpClient(min_delay=0, timeout=0.5, should_stop=stop.is_set, validators=validators)
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    with pytest.raises(FetchStopped) as err:
        http.get(root + "/page")
    assert time.monotonic() - started < 1.5  # the first SIGTERM did nothing: the run held on for days
    assert paths == ["/robots.txt"]  # the page is not asked for
    assert err.value.run_status == "aborted" and str(err.value).endswith("stopped on request")
    assert validators == {}  # a robots.txt read in part is not kept


def test_a_slow_robots_txt_keeps_the_rules_read_before(
    trickling: tuple[str, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    """Review: a robots.txt too slow to read made every page allowed, those its last rules forbid too."""
    root, paths = trickling
    _, clock = ticking_clock(10.0)
    day_old = {
        "body": "User-agent: *\nDisallow: /private",
        "agent": robots_agent(DEFAULT_USER_AGENT),
        "fetched": str(time.time() - 25 * 3600),  # past its day: asked again
    }
    http = HttpClient(min_delay=0, timeout=0.5, clock=clock, validators={"robots:" + root: day_old})  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="collectors.http"):
        assert not http.allowed(root + "/private/report")
        assert http.allowed(root + "/news/1")
    assert paths == ["/robots.txt"]
    said = [r.getMessage() for r in caplog.records if "robots.txt" in r.getMessage()]
    assert said == [
        f"robots.txt of {root} unreachable: the body took more than 60 s to arrive "
        "(the server sends it too slowly); the rules read before kept"
    ]


def test_a_page_whose_every_byte_came_is_kept_at_a_stop(trickling: tuple[str, list[str]]) -> None:
    """Review: the stop came while the last bytes travelled; once they came, the page was dropped all the
    same ('not read to its end'), and the run lost a page it had whole."""
    root, _ = trickling
    stop = threading.Event()
    http = HttpClient(min_delay=0, timeout=5, respect_robots=False, should_stop=stop.is_set)
    threading.Timer(0.6, stop.set).start()
    assert http.get(root + "/late-tail").content == LATE_TAIL
