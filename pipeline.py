"""The command line of the public-control monitor (see README.md and ../shared/DESIGN.md).

Each area registers its own sub-commands: a module listed in ``COMMAND_MODULES`` exposes
``register(subparsers)``, which adds parsers whose ``func`` default takes the parsed arguments and
returns the exit status. Heavy libraries are imported inside the handlers, so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from errors import MonitorError  # noqa: E402

COMMAND_MODULES = (
    "batch.cli",  # run, status, import, demo
    "collectors.extract",  # extract
    "classify.cli",  # classify, train, evaluate, reclassify
    "review.cli",  # export, review, user
    "ops.cli",  # schedule
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="pipeline.py",
        description="Collect Russian/Kazakh posts and comments, flag corruption and infrastructure "
        "complaints, keep everything in DuckDB.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("--log-json", action="store_true", help="log lines to stderr as JSON")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        if importlib.util.find_spec(name.split(".")[0]) is None or importlib.util.find_spec(name) is None:
            continue  # an area not built yet
        importlib.import_module(name).register(sub)
    for command in set(sub.choices.values()):
        _add_global_options(command)  # also after the command: `pipeline.py run --debug`
    return parser


def _add_global_options(parser: argparse.ArgumentParser) -> None:
    """``--debug`` and ``--log-json`` on a command's parser (and its actions'), where they are also
    accepted; left out there, they keep what was given before the command (argparse.SUPPRESS). Not on a
    command whose own options begin as one does (`schedule --log-file`, written `--log` in crontabs)."""
    taken = {o for action in parser._actions for o in action.option_strings}
    for name in ("--debug", "--log-json"):
        # not where it would make a short form of a command's own option ambiguous: one that shares
        # two letters or more with it (`schedule --log` for --log-file, `evaluate --de` for --dev-only)
        if not any(o[:4] == name[:4] for o in taken):
            parser.add_argument(name, action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for nested in set(action.choices.values()):
                _add_global_options(nested)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the command, turn expected errors into one line on stderr."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from ops.logs import setup_logging

    setup_logging(debug=args.debug, json_lines=args.log_json)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    stdout = sys.stdout
    if stdout is not None:  # None: started with stdout closed (`>&-`), which the commands report
        sys.stdout = _Output(stdout)
    try:
        status = int(args.func(args) or 0)
        if sys.stdout is not None:
            sys.stdout.flush()  # what is still buffered fails here, where it can be said, not at exit
        return status
    except OutputUnwritable as exc:
        if args.debug:
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())  # the flush at exit would fail again
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except MonitorError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`status | head -3`): nothing is wrong, there is just no one to tell.
        # Later writes, and the flush at exit, go nowhere instead of failing again.
        if not _reader_gone(sys.stdout.fileno()):
            raise  # stdout is fine: some other pipe broke, which is a real error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a command ended by SIGPIPE
    finally:
        sys.stdout = stdout


class OutputUnwritable(Exception):
    """Standard output refuses what is written to it (a full disk behind `> file`, a failing device).
    Not a MonitorError nor an OSError: the handlers of those in the commands (a line's error, the export
    file's) must not take it for theirs."""


@contextmanager
def _refusal_said() -> Iterator[None]:
    """Turn an OSError of the block, but a closed pipe (the reader went away: main() ends quietly),
    into OutputUnwritable."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputUnwritable(f"cannot write the output: {exc.strerror or exc}") from None


class _Output:
    """``sys.stdout`` whose write errors, but a closed pipe, become one OutputUnwritable: a cron job
    sending `status` or `export` to a file on a full disk got a traceback instead of one line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write ``text``; OutputUnwritable when the stream refuses it."""
        with _refusal_said():
            return self._stream.write(text)

    def flush(self) -> None:
        """Flush the stream; OutputUnwritable when it refuses what waits in it."""
        with _refusal_said():
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _reader_gone(fd: int) -> bool:
    """Whether ``fd`` is a pipe whose reading end was closed (poll reports an error on it)."""
    import select

    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


if __name__ == "__main__":
    sys.exit(main())
