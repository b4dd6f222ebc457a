"""robots.txt as the HTTP client reads it: the parser, and what of a file is kept between runs (only
the group that decides for our User-Agent; a whole file, for every host, would bloat each source's state).
"""

from __future__ import annotations

import urllib.parse
import urllib.robotparser


def robots_agent(user_agent: str) -> str:
    """The name a robots.txt group must name for us, as urllib's parser compares it: the User-Agent's
    first word, lower case."""
    return user_agent.split("/")[0].lower()


def robots_rules(body: str, user_agent: str) -> str:
    """What of a robots.txt decides for ``user_agent``: the lines of the one group urllib's parser
    consults for it (the first group that names it, else the first ``*`` group), as that parser reads
    them. Parsed, they give the same answers as the whole file; the rest (other crawlers' groups,
    Sitemap lines, comments) can run to hundreds of kilobytes."""
    # The parser's own reading, step by step (urllib.robotparser.RobotFileParser.parse): an empty
    # line ends a group, a User-agent line after rules starts one, a rule before any User-agent is
    # ignored, and a group without rules is dropped.
    groups: list[tuple[list[str], list[str]]] = []  # (its agents as the parser reads them, its lines)
    agents: list[str] = []
    lines: list[str] = []
    state = 0  # 0: no group open, 1: User-agent lines read, 2: rules read
    for raw in body.splitlines():
        if not raw and state:
            if state == 2:
                groups.append((agents, lines))
            agents, lines, state = [], [], 0
        line = raw.split("#", 1)[0].strip()
        key, colon, value = line.partition(":")
        if not colon:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            if state == 2:
                groups.append((agents, lines))
                agents, lines = [], []
            agents.append(urllib.parse.unquote(value))
            state = 1
        elif key in ("allow", "disallow", "crawl-delay", "request-rate") and state:
            state = 2
        else:
            continue
        lines.append(f"{key}: {value}")  # read again, the value is unquoted as the first time
    if state == 2:
        groups.append((agents, lines))
    probe = urllib.robotparser.Entry()
    default: list[str] = []
    for agents, lines in groups:
        if "*" in agents:  # the parser keeps the first such group as the default, and only that one
            default = default or lines
            continue
        probe.useragents = agents
        if probe.applies_to(user_agent):
            return "\n".join(lines)
    return "\n".join(default)


def robots_parser(url: str, body: str | None) -> urllib.robotparser.RobotFileParser | None:
    if body is None:
        return None  # no robots.txt: everything allowed
    parser = urllib.robotparser.RobotFileParser(url)
    parser.parse(body.splitlines())
    return parser
