"""Pages whose reader comments arrive by JavaScript: the DOM after headless Chromium ran the page's scripts.

One call is one Chromium process with a fresh profile (``--dump-dom``), given ``wait_ms`` of virtual
time for the page's scripts (virtual time stands still while a fetch is pending, so an XHR that
brings the comments is waited for) and ``timeout`` seconds of wall-clock time in all.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile

from collectors.http import mask_secrets
from errors import CollectError

ENV_VAR = "MONITOR_CHROMIUM"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
HOW_TO_GET_ONE = f"render = true needs Chromium: apt install chromium, or set {ENV_VAR} to its path"

_LOG_PREFIX = re.compile(r"^\[[^\]]*\]\s*")  # "[pid:tid:time:ERROR:file.cc:12] "


class RenderError(CollectError):
    """Chromium failed or timed out on a page."""


class BrowserMissing(RenderError):
    """No Chromium to render with: a person must install one or point MONITOR_CHROMIUM to it."""


def find_browser() -> str:
    """The Chromium binary: ``$MONITOR_CHROMIUM`` if set, else the first of BROWSERS on the PATH."""
    named = os.environ.get(ENV_VAR)
    if named:
        found = shutil.which(named)
        if not found:
            raise BrowserMissing(f"{ENV_VAR}={named} is not an executable file; {HOW_TO_GET_ONE}")
        return found
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissing(f"no browser found ({', '.join(BROWSERS)}); {HOW_TO_GET_ONE}")


def render_dom(url: str, *, wait_ms: int, timeout: float, user_agent: str | None = None) -> str:
    """The page's DOM as HTML after its scripts ran; RenderError if Chromium fails or times out."""
    try:
        browser = find_browser()
    except BrowserMissing as exc:
        exc.url = mask_secrets(url)
        raise
    with tempfile.TemporaryDirectory(prefix="monitor-chromium-", ignore_cleanup_errors=True) as profile:
        command = [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={wait_ms}",
            "--dump-dom",
        ]
        if user_agent:
            command.append(f"--user-agent={user_agent}")
        if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox on
            command.append("--no-sandbox")
        # A session of its own, so that a timeout kills the renderer and helper processes too: they
        # hold the output pipe open, and killing the launcher alone would leave them running.
        try:
            proc = subprocess.Popen(
                [*command, url],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:  # found, but not a program this machine can run
            raise BrowserMissing(f"{browser} cannot be started ({exc.strerror}); {HOW_TO_GET_ONE}") from None
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):  # the whole group ended meanwhile
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RenderError(
                f"Chromium did not finish within render_timeout = {timeout:g} s; "
                "raise render_timeout or lower render_wait_ms",
                url=mask_secrets(url),
            ) from None
    if proc.returncode != 0 or not out.strip():
        lines = [_LOG_PREFIX.sub("", line) for line in err.decode("utf-8", "replace").splitlines()]
        last = next((line for line in reversed(lines) if line.strip()), "no message")
        outcome = f"exit status {proc.returncode}" if proc.returncode else "an empty page"
        raise RenderError(f"Chromium gave {outcome}: {last[:150]}", url=mask_secrets(url))
    return out.decode("utf-8", "replace")
