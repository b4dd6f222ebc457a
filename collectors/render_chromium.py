"""The headless Chromium that :mod:`collectors.render` drives: finding the binary, starting it with a
fresh profile and no network of its own, and the DevTools protocol over a pipe (``--remote-debugging-pipe``).

What the page's requests become is collectors/render.py's business (``_PageSession``); this module only
sends commands, waits for their answers and hands events on, within the render's deadline.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from typing import Any

from errors import CollectError, MonitorError

log = logging.getLogger(__name__)

ENV_VAR = "MONITOR_CHROMIUM"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
HOW_TO_GET_ONE = f"render = true needs Chromium: apt install chromium, or set {ENV_VAR} to its path"
CLOSE_GRACE = 5.0  # seconds Chromium gets to exit after Browser.close before its group is killed

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


class Chromium:
    """One headless Chromium process and the DevTools pipe to it.

    Chromium reads commands on its fd 3 and writes answers and events on its fd 4, one JSON object
    per message, each ended by a NUL byte.
    """

    def __init__(self, browser: str, profile: str, shown: str, timeout: float, deadline: float) -> None:
        self.browser = browser
        self.profile = profile
        self.shown = shown
        self.timeout = timeout
        self.deadline = deadline
        self.next_id = 0
        self.buffer = bytearray()
        self.awaited: set[int] = set()  # ids of commands whose answer someone waits for
        self.answers: dict[int, dict[str, Any]] = {}
        self.on_event: Callable[[dict[str, Any]], None] = lambda _message: None

    def __enter__(self) -> Chromium:
        command = [
            self.browser,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}",
            # Chromium's own network is a closed port: whatever escaped the interception fails
            # instead of reaching a site around the HttpClient; <-loopback> includes local addresses.
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
        ]
        if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox on
            command.append("--no-sandbox")
        to_browser, self.commands = os.pipe()  # Chromium reads fd 3, we write
        self.events, from_browser = os.pipe()  # Chromium writes fd 4, we read
        self.stderr = tempfile.TemporaryFile()  # a file, not a pipe: nobody has to drain it meanwhile
        self.poller = select.poll()  # not select(): a busy process may hold fds past FD_SETSIZE
        self.poller.register(self.events, select.POLLIN)
        # The pipes go in as the shell's stdin and stdout, which it moves to 3 and 4 before it becomes
        # Chromium (exec). Not pass_fds: those keep their own numbers, often above 9, which dash cannot
        # redirect; not preexec_fn: it is unsafe in a threaded program, and the runner uses threads.
        remap = 'exec "$@" 3<&0 4>&1 0</dev/null 1>&2'
        try:
            # A session of its own, so that a timeout kills the renderer and helper processes too.
            self.proc = subprocess.Popen(
                ["/bin/sh", "-c", remap, "sh", *command],
                stdin=to_browser,
                stdout=from_browser,
                stderr=self.stderr,
                start_new_session=True,
            )
        except OSError as exc:
            self._close_fds()
            raise BrowserMissing(f"/bin/sh cannot be started ({exc.strerror}); {HOW_TO_GET_ONE}") from None
        finally:
            os.close(to_browser)
            os.close(from_browser)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        if exc_type is None:  # done: let Chromium close its profile in order
            with contextlib.suppress(MonitorError, OSError):
                self.send("Browser.close")
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=CLOSE_GRACE)
        with contextlib.suppress(ProcessLookupError, PermissionError):  # helpers left, or Chromium
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._close_fds()

    def _close_fds(self) -> None:
        for fd in (self.commands, self.events):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.stderr.close()

    # -- the protocol -----------------------------------------------------------------------

    def send(self, method: str, params: Mapping[str, Any] | None = None, session: str | None = None) -> int:
        """Send a command without waiting for its answer; returns its id."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": dict(params or {})}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            try:
                written = os.write(self.commands, data)
            except BrokenPipeError:
                raise self._ended() from None
            data = data[written:]
        return self.next_id

    def call(self, method: str, params: Mapping[str, Any] | None = None, session: str | None = None) -> Any:
        """Send a command and return its result; events that arrive meanwhile are handled."""
        sent = self.send(method, params, session)
        self.awaited.add(sent)
        self.pump(lambda: sent in self.answers)
        self.awaited.discard(sent)
        answer = self.answers.pop(sent)
        if "error" in answer:
            raise RenderError(f"Chromium refused {method}: {answer['error'].get('message')}", url=self.shown)
        return answer.get("result", {})

    def pump(self, done: Callable[[], bool]) -> None:
        """Read and handle messages until ``done()``; RenderError when Chromium ends or time is up."""
        while not done():
            message = self._next_message()
            if message.get("id") in self.awaited:
                self.answers[message["id"]] = message
            elif "error" in message:  # a reply we sent without waiting (a request already gone)
                log.debug("Chromium answered command %s with %s", message["id"], message["error"])
            elif "method" in message:
                self.on_event(message)

    def _next_message(self) -> dict[str, Any]:
        # A bytearray grows in place, and only the new bytes are searched for the end: a DOM of
        # megabytes arrives in hundreds of reads, and copying and searching it all after each took seconds.
        searched = 0
        while (end := self.buffer.find(b"\0", searched)) < 0:
            searched = len(self.buffer)
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise self.timed_out()
            if not self.poller.poll(left * 1000):
                continue
            chunk = os.read(self.events, 1 << 16)
            if not chunk:
                raise self._ended()
            self.buffer += chunk
        message: dict[str, Any] = json.loads(self.buffer[:end])
        del self.buffer[: end + 1]
        return message

    def timed_out(self) -> RenderError:
        return RenderError(
            f"Chromium did not finish within render_timeout = {self.timeout:g} s; "
            "raise render_timeout or lower render_wait_ms",
            url=self.shown,
        )

    def _ended(self) -> RenderError:
        """The error for a Chromium that closed the pipe: its exit status and last log line."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=CLOSE_GRACE)
        self.stderr.seek(0)
        err = self.stderr.read().decode("utf-8", "replace")
        lines = [_LOG_PREFIX.sub("", line) for line in err.splitlines()]
        last = next((line for line in reversed(lines) if line.strip()), "no message")
        status = self.proc.returncode
        if status in (126, 127):  # the shell could not start the browser: no render this run will work
            return BrowserMissing(
                f"{self.browser} cannot be started ({last}); {HOW_TO_GET_ONE}", url=self.shown
            )
        outcome = f"exit status {status}" if status else "no page (it closed the DevTools pipe)"
        return RenderError(f"Chromium gave {outcome}: {last[:150]}", url=self.shown)
