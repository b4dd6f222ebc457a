"""Helpers shared by tests: the real command line in a subprocess, LibreOffice reading an XLSX file,
and where fixtures live."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collectors.item import Item
    from errors import InputError

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# well-formed RSS and Atom feeds of ours, relative to FIXTURES
WELL_FORMED_FEEDS = (
    "rss/city.xml",
    "rss/cp1251.xml",
    "../../demo/site/rss/gorod-ru.xml",
    "../../demo/site/rss/zhanalyqtar-kk.xml",
)
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """Run ``python pipeline.py ARGS`` and capture its output."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), *args],
        cwd=cwd or ROOT,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def libreoffice_open_csv(path: Path, workdir: Path, *, separator: str, language: int) -> Path:
    """``path`` opened as a CSV by headless LibreOffice in the settings of ``language`` (a Windows
    language id: 1049 Russian, 1087 Kazakh) with ``separator``, saved as XLSX; returns the XLSX."""
    assert SOFFICE, "LibreOffice (soffice) is not installed"
    # CSV filter options: separator, quote ("), UTF-8 (76), first line 1, no column formats, the
    # language, quoted fields not forced to text, special numbers (dates) detected.
    options = f"{ord(separator)},34,76,1,,{language},false,true"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{workdir / 'lo-profile'}", "--headless",
         f"--infilter=CSV:{options}", "--convert-to", "xlsx", "--outdir", str(workdir), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return workdir / f"{path.stem}.xlsx"


def libreoffice_rows(xlsx: Path, workdir: Path) -> list[dict[str, str]]:
    """The first sheet of ``xlsx`` as headless LibreOffice reads it: CSV rows keyed by the header."""
    assert SOFFICE, "LibreOffice (soffice) is not installed"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{workdir / 'lo-profile'}", "--headless",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(workdir), str(xlsx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    with (workdir / f"{xlsx.stem}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def stderr_until(proc: subprocess.Popen[str], text: str) -> str:
    """The lines ``proc`` writes on stderr up to and including the first that holds ``text`` (all of
    them, when the process ends first)."""
    assert proc.stderr is not None
    read = ""
    for line in proc.stderr:
        read += line
        if text in line:
            break
    return read


# An analyst's read-only connection, held until killed.
_HOLD_THE_FILE = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(600)
"""


@contextmanager
def held_by_another_process(db: Path) -> Iterator[None]:
    """While the block runs, another process (an analyst) holds ``db`` open read-only: no write can start."""
    analyst = subprocess.Popen(
        [sys.executable, "-c", _HOLD_THE_FILE, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert analyst.stdout is not None and analyst.stdout.readline() == "holding\n"
        yield
    finally:
        analyst.kill()
        analyst.wait()


WHATSAPP_SALT = "test-salt"


def read_whatsapp(path: Path, **options: Any) -> tuple[list[Item], list[InputError]]:
    """The items of a WhatsApp export, and the errors it reported (``options`` as a config gives them)."""
    from collectors import whatsapp

    errors: list[Any] = []
    items = list(
        whatsapp.read_export(
            path, source="wa", options={"_salt": WHATSAPP_SALT, **options}, report=errors.append
        )
    )
    return items, errors


def telegram_config(folder: Path, base_url: str, channel: str, *, name: str = "tg") -> Path:
    """A sources.toml in ``folder`` with one telegram source ``name`` reading ``channel`` at
    ``base_url`` (a local server), no delays, retries or robots.txt: for `run` through the CLI."""
    config = folder / "sources.toml"
    config.write_text(
        f'[settings]\nmin_delay = 0.0\nretries = 0\nrespect_robots = false\n\n[[sources]]\nname = "{name}"\n'
        f'kind = "telegram"\nchannel = "{channel}"\nbase_url = "{base_url}"\n',
        encoding="utf-8",
    )
    return config


def store_rows(db: Path, sql: str) -> list[tuple]:
    """The rows of ``sql`` on the store at ``db``, opened read-only."""
    from store.db import reader

    with reader(db) as con:
        return con.execute(sql).fetchall()


def with_token(client: Any, query: dict[str, str] | None = None) -> dict[str, str]:
    """``query`` with the download token of the test client's session, as the review list's download links
    carry it (derived from the form token, which never goes in a link)."""
    from review.auth import export_token

    with client.session_transaction() as sess:
        return {**(query or {}), "token": export_token(sess["csrf"])}
