"""Fixtures of the collector tests."""

from __future__ import annotations

import re
import socket
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from portalkit import RawSite, Site
from pytest_httpserver import HTTPServer


@pytest.fixture
def silent_host() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a server that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def damage_member(archive: Path, member: str) -> None:
    """Flip 16 bytes in the middle of one member's packed data; the archive's directory stays whole,
    so zipfile opens it and fails only when it unpacks that member (bad CRC or broken deflate stream)."""
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(member)
    data = bytearray(archive.read_bytes())
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    middle = start + info.compress_size // 2
    for i in range(middle, min(middle + 16, start + info.compress_size)):
        data[i] ^= 0xFF
    archive.write_bytes(bytes(data))


@pytest.fixture
def damage() -> Callable[[Path, str], None]:
    """:func:`damage_member`, for tests of importers that read .zip exports."""
    return damage_member


@pytest.fixture
def chromium() -> str:
    """The browser the portal collector renders with; a failure, not a skip, when there is none."""
    from collectors.render import BrowserMissing, find_browser

    try:
        return find_browser()
    except BrowserMissing as exc:
        pytest.fail(f"these tests need Chromium (CI installs it: apt install chromium): {exc}")


@pytest.fixture
def site(httpserver: HTTPServer) -> Site:
    """Our small portal (tests/collectors/portalkit.py), served at ``httpserver``."""
    handler = Site()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)
    return handler


@pytest.fixture
def raw_site() -> Iterator[RawSite]:
    """A server that can send a page cut on the way (tests/portalkit.py: RawSite)."""
    served = RawSite()
    yield served
    served.close()
