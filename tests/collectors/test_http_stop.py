"""The HTTP client once a stop is asked (``should_stop``): no request nor retry starts, a back-off ends
at once, and what it raises ends the run 'aborted' (FetchStopped)."""

from __future__ import annotations

import socket
import threading

import pytest
from pytest_httpserver import HTTPServer

from collectors.http import STOP_POLL, HttpClient
from collectors.http_failures import FetchStopped
from errors import FetchError


def test_a_stop_during_the_back_off_ends_it_and_starts_no_retry(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data("busy", status=503)
    stop = threading.Event()
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # SIGTERM comes during the back-off's first moments
        slept.append(seconds)
        stop.set()

    http = HttpClient(
        min_delay=0, retries=3, backoff=30.0, respect_robots=False, sleep=sleep, should_stop=stop.is_set
    )
    with pytest.raises(FetchError) as err:
        http.get(httpserver.url_for("/feed"))
    assert len(httpserver.log) == 1  # the 503 was not asked again
    assert sum(slept) <= STOP_POLL  # not 15-30 s of back-off
    assert err.value.status == 503 and http.stopped  # the last answer stands; the runner sees the stop


def test_a_failed_connection_is_not_retried_once_a_stop_is_asked() -> None:
    with socket.socket() as probe:  # a port nothing listens on: each attempt is refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stop = threading.Event()
    attempts: list[float] = []

    def sleep(seconds: float) -> None:
        attempts.append(seconds)
        stop.set()

    http = HttpClient(min_delay=0, retries=5, respect_robots=False, sleep=sleep, should_stop=stop.is_set)
    with pytest.raises(FetchStopped) as err:
        http.get(f"http://127.0.0.1:{port}/feed")
    assert len(attempts) == 1  # one back-off begun, cut short: no second attempt
    assert err.value.run_status == "aborted"
    assert "connection failed after 1 attempt: connection refused" in str(err.value)
    assert str(err.value).endswith("; not retried: stopped on request")


def test_no_request_starts_once_a_stop_is_asked(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    httpserver.expect_request("/feed").respond_with_data("ok")
    http = HttpClient(min_delay=0, should_stop=lambda: True)
    with pytest.raises(FetchStopped) as err:
        http.get(httpserver.url_for("/feed"))
    assert httpserver.log == []  # neither robots.txt nor the page
    assert http.stopped and http.stats.requests == 0
    assert "not requested: stopped on request" in str(err.value)


def test_without_a_stop_asked_the_retries_are_made() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    slept: list[float] = []
    http = HttpClient(
        min_delay=0,
        retries=2,
        backoff=4.0,
        respect_robots=False,
        sleep=slept.append,
        should_stop=lambda: False,
    )
    with pytest.raises(FetchError) as err:
        http.get(f"http://127.0.0.1:{port}/feed")
    assert not isinstance(err.value, FetchStopped) and err.value.run_status == "failed"
    assert "connection failed after 3 attempts" in str(err.value)
    assert 2.0 <= sum(slept) <= 12.0 and not http.stopped  # both back-offs waited whole (in slices)


def test_a_stop_during_a_graph_throttle_wait_ends_it(httpserver: HTTPServer) -> None:
    # review: the Graph client waited with the raw sleep, so a SIGTERM in a Retry-After of 60 s waited it
    import json

    from collectors.facebook_graph import GraphClient

    body = json.dumps({"error": {"code": 4, "message": "throttled"}})
    httpserver.expect_request("/v1/123/feed").respond_with_data(
        body, status=429, headers={"Retry-After": "60"}
    )
    stop = threading.Event()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        stop.set()  # the stop comes during the wait

    http = HttpClient(min_delay=0, retries=0, respect_robots=False, sleep=sleep, should_stop=stop.is_set)
    graph = GraphClient(
        http=http, graph_url=httpserver.url_for("/v1"), token="t", token_env="T", source="fb", max_wait=120
    )
    with pytest.raises(FetchStopped):
        graph.get(graph.url("123/feed"))
    assert slept and max(slept) <= 0.2
