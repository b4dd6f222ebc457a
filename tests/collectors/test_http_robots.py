"""robots.txt as the HTTP client keeps it: only the group that decides for our User-Agent, which must
answer as the whole file does."""

from __future__ import annotations

import json
import urllib.robotparser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from collectors.http import DEFAULT_USER_AGENT, HttpClient
from collectors.http_robots import robots_rules
from errors import RobotsDisallowed

OURS = DEFAULT_USER_AGENT  # "public-control-monitor/0.1 (+...)"
PATHS = ["/", "/a", "/a/b", "/a/c", "/b", "/private/x", "/~x", "/%7Ex", "/search?q=1", "/late/page"]


def answers(body: str, agent: str = OURS) -> list[bool | int | None]:
    """What urllib's parser says of ``body`` for ``agent``: each of PATHS allowed or not, and its crawl delay."""
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(body.splitlines())
    return [parser.can_fetch(agent, f"https://portal.example{p}") for p in PATHS] + [
        parser.crawl_delay(agent)
    ]


def big_robots(ours: str) -> str:
    """A robots.txt of some 700 kB, as large sites have: a group for each of thousands of crawlers,
    comments, sitemaps, a ``*`` group, and (``ours``) a group for us in the middle."""
    others = [
        f"# crawler {n}\nUser-agent: bot{n:05d}\nDisallow: /a/\nAllow: /a/b{n}\nCrawl-delay: 3\n\n"
        for n in range(5000)
    ]
    sitemaps = "".join(f"Sitemap: https://portal.example/sitemap-{n}.xml\n" for n in range(3000))
    star = "User-agent: *\nDisallow: /private/\nDisallow: /search\n\n"
    return "".join(others[:2500]) + ours + star + "".join(others[2500:]) + sitemaps


@pytest.mark.parametrize(
    ("ours", "kept"),
    [
        ("", "user-agent: *\ndisallow: /private/\ndisallow: /search"),
        (
            "User-agent: public-control-monitor\nDisallow: /a/\nAllow: /a/b # ours\nCrawl-delay: 7\n\n",
            "user-agent: public-control-monitor\ndisallow: /a/\nallow: /a/b\ncrawl-delay: 7",
        ),
    ],
    ids=["star-group", "our-group"],
)
def test_a_huge_robots_txt_is_kept_as_the_group_that_decides_for_us(
    httpserver: HTTPServer, ours: str, kept: str
) -> None:
    body = big_robots(ours)[:511_000]  # within the cap of what is read
    assert len(body) > 500_000
    httpserver.expect_request("/robots.txt").respond_with_data(body)
    validators: dict = {}
    HttpClient(min_delay=0, validators=validators).allowed(httpserver.url_for("/"))
    (entry,) = [v for k, v in validators.items() if k.startswith("robots:")]
    assert entry["body"] == kept and entry["agent"] == "public-control-monitor"
    assert len(json.dumps(validators)) < 300
    assert answers(kept) == answers(body)
    # the next run reads the rules kept, and answers as the whole file did
    again = HttpClient(min_delay=0, validators=validators)
    for path in ("/private/x", "/a/b", "/a/c"):
        assert again.allowed(httpserver.url_for(path)) == answers(body)[PATHS.index(path)]
    blocked = "/private/x" if not ours else "/a/c"
    with pytest.raises(RobotsDisallowed):
        again.get(httpserver.url_for(blocked))
    assert [r.path for r, _ in httpserver.log].count("/robots.txt") == 1


def test_rules_kept_for_another_user_agent_are_read_again(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: otherbot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"
    )
    validators: dict = {}
    assert HttpClient(min_delay=0, validators=validators).allowed(httpserver.url_for("/news/"))
    # a source that names itself otherbot (its user_agent setting): the rules kept say nothing of it
    other = HttpClient(min_delay=0, validators=validators, user_agent="OtherBot/2.0")
    assert not other.allowed(httpserver.url_for("/news/"))
    assert [r.path for r, _ in httpserver.log].count("/robots.txt") == 2


def test_rules_saved_whole_by_an_older_version_are_still_read(httpserver: HTTPServer) -> None:
    import time

    root = httpserver.url_for("/").rstrip("/")
    whole = "User-agent: otherbot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"
    validators = {f"robots:{root}": {"body": whole, "fetched": str(time.time())}}
    client = HttpClient(min_delay=0, validators=validators)
    assert client.allowed(f"{root}/news/") and not client.allowed(f"{root}/private/x")
    assert httpserver.log == []


LINES = [
    "User-agent: *",
    "User-agent: public-control-monitor",
    "User-agent: Monitor",  # a part of our name: urllib's parser takes it as ours
    "User-agent: otherbot",
    "User-agent:",  # empty: urllib's parser takes it as everyone's
    "user-agent: %2A",
    "Disallow: /a",
    "Disallow: /a/ # a comment",
    "Allow: /a/b",
    "Disallow:",
    "Disallow: /%7Ex",
    "Disallow: /~x",
    "Disallow: /search?",
    "Allow: /",
    "Disallow: /",
    "Crawl-delay: 5",
    "Crawl-delay: soon",
    "Request-rate: 1/5",
    "Sitemap: /sitemap.xml",
    "# a comment",
    "   ",
    "",
    "",
    "Disallow /no-colon",
    "Noindex: /b",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=30), st.sampled_from([OURS, "OtherBot/1.0", "Googlebot"]))
def test_the_rules_kept_answer_as_the_whole_file_does(lines: list[str], agent: str) -> None:
    body = "\n".join(lines)
    assert answers(robots_rules(body, agent), agent) == answers(body, agent)
