"""The review page in real headless Chromium (Debian's chromium and chromium-driver, through Selenium).

Flow of the issue: log in, filter, open an item, confirm it with a note, download an XLSX of last
week's confirmed corruption complaints; an item whose text is a <script> shows as text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from review.app import create_app
from review.export import COLUMN_NAMES

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]


@pytest.fixture
def server(review_db: Path) -> Iterator[str]:
    """The review app on 127.0.0.1 (a free port) in a thread; yields its root URL."""
    from werkzeug.serving import make_server

    app = create_app(review_db, secret_key="browser-test-" + "k" * 32)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join(timeout=10)
        srv.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    """Headless Chromium with downloads going to tmp_path/downloads."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    # The driver's path is given, so Selenium Manager never tries to download one.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for_download(folder: Path, suffix: str, limit: float = 30.0) -> Path:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if done and not any(p.name.endswith(".crdownload") for p in folder.iterdir()):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} file arrived in {folder}: {[p.name for p in folder.iterdir()]}")


def _wait(driver: object, condition: object, limit: float = 30.0) -> object:
    """Wait until ``condition(driver)`` is truthy; a page still loading (stale or missing elements) is retried."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        WebDriverException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    def check(d: object) -> object:
        try:
            return condition(d)  # type: ignore[operator]
        except WebDriverException as exc:
            # Chrome reports an element of a page replaced between finding it and reading it (a form
            # posted, the next page loading) as this, not as StaleElementReferenceException.
            if "does not belong to the document" in str(exc.msg):
                return False
            raise

    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(driver, limit, ignored_exceptions=ignored).until(check)  # type: ignore[arg-type]


def _text_is(by: str, value: str, expected: str) -> object:
    return lambda d: d.find_element(by, value).text == expected


def _log_in(driver: object, password: str) -> None:
    """Fill in and send the login form the browser shows, as aigerim."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "username").send_keys("aigerim")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "password").send_keys(password)  # type: ignore[attr-defined]
    driver.find_element(By.ID, "login").click()  # type: ignore[attr-defined]


def _no_alert(driver: object) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert  # type: ignore[attr-defined]  # noqa: B018 - raises when there is none
    except NoAlertPresentException:
        return True
    return False


def test_login_filter_confirm_and_download_last_weeks_confirmed_corruption(
    server: str, browser: object, review_db: Path, password: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    d = browser
    d.get(server + "/")  # type: ignore[attr-defined]
    assert "/login" in d.current_url  # type: ignore[attr-defined]
    _log_in(d, password)
    _wait(d, _text_is(By.ID, "total", "8"))

    # Filter: corruption, last 7 days.
    Select(d.find_element(By.ID, "f-label")).select_by_value("corruption")  # type: ignore[attr-defined]
    Select(d.find_element(By.ID, "f-period")).select_by_value("7")  # type: ignore[attr-defined]
    d.find_element(By.ID, "apply").click()  # type: ignore[attr-defined]
    _wait(d, _text_is(By.ID, "total", "5"))
    assert d.find_element(By.CSS_SELECTOR, ".chart rect")  # type: ignore[attr-defined]

    # Open the Kazakh complaint and confirm it with a note.
    d.find_element(By.CSS_SELECTOR, 'a.open[href*="id=fb-7"]').click()  # type: ignore[attr-defined]
    _wait(d, lambda d: d.find_element(By.CSS_SELECTOR, ".entry.main .body"))
    body = d.find_element(By.CSS_SELECTOR, ".entry.main .body")  # type: ignore[attr-defined]
    assert body.text.startswith("Әкімдіктегі шенеунік жер телімін беру үшін пара сұрады.")
    marks = [m.text for m in body.find_elements(By.CSS_SELECTOR, "mark")]
    assert marks == ["шенеунік", "пара", "Сыбайлас жемқорлыққа"]
    d.find_element(By.ID, "note").send_keys("Жер телімі: прокуратураға жіберу керек")  # type: ignore[attr-defined]
    d.find_element(By.ID, "confirm").click()  # type: ignore[attr-defined]
    _wait(d, _text_is(By.ID, "current-status", "confirmed"))
    history = d.find_element(By.ID, "history").text  # type: ignore[attr-defined]
    assert "Жер телімі: прокуратураға жіберу керек" in history and "aigerim" in history

    # Back to the list, only confirmed ones, and download the XLSX.
    d.find_element(By.LINK_TEXT, "← back to the list").click()  # type: ignore[attr-defined]
    _wait(d, lambda d: d.find_element(By.ID, "f-status"))
    Select(d.find_element(By.ID, "f-status")).select_by_value("confirmed")  # type: ignore[attr-defined]
    d.find_element(By.ID, "apply").click()  # type: ignore[attr-defined]
    _wait(d, _text_is(By.ID, "total", "1"))
    d.find_element(By.ID, "export-xlsx").click()  # type: ignore[attr-defined]
    xlsx = _wait_for_download(d.downloads, ".xlsx")  # type: ignore[attr-defined]
    ws = load_workbook(xlsx).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    row = dict(zip(COLUMN_NAMES, rows[0], strict=True))
    assert row["external_id"] == "fb-7"
    assert row["status"] == "confirmed"
    assert row["note"] == "Жер телімі: прокуратураға жіберу керек"
    assert row["text"].startswith("Әкімдіктегі шенеунік")

    # Every decision is in DuckDB.
    con = duckdb.connect(str(review_db), read_only=True)
    try:
        decisions = con.execute("SELECT source, external_id, status, reviewer, note FROM reviews").fetchall()
    finally:
        con.close()
    assert decisions == [
        ("dept-facebook", "fb-7", "confirmed", "aigerim", "Жер телімі: прокуратураға жіберу керек")
    ]


def test_an_item_whose_text_is_a_script_shows_as_text(server: str, browser: object, password: str) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    d.get(server + "/login")  # type: ignore[attr-defined]
    _log_in(d, password)
    _wait(d, lambda d: d.find_element(By.ID, "items"))
    assert _no_alert(d)
    assert "<script>alert(1)</script> взятка" in d.find_element(By.ID, "items").text  # type: ignore[attr-defined]
    d.find_element(By.CSS_SELECTOR, 'a.open[href*="id=fb-8"]').click()  # type: ignore[attr-defined]
    _wait(d, lambda d: d.find_element(By.CSS_SELECTOR, ".entry.main .body"))
    assert _no_alert(d)
    body = d.find_element(By.CSS_SELECTOR, ".entry.main .body")  # type: ignore[attr-defined]
    assert body.text == "<script>alert(1)</script> взятка"
    assert body.find_elements(By.TAG_NAME, "script") == []
    meta = d.find_element(By.CSS_SELECTOR, ".entry.main .meta").text  # type: ignore[attr-defined]
    assert "<b>Хакер</b>" in meta


def test_forward_asks_to_whom_before_sending(
    server: str, browser: object, review_db: Path, password: str
) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    d.get(server + "/item?source=city-portal&id=a-100")  # type: ignore[attr-defined]
    _log_in(d, password)
    _wait(d, lambda d: d.find_element(By.ID, "forward"))  # back on the item asked for before the login
    d.find_element(By.ID, "forward").click()  # type: ignore[attr-defined]
    to = d.find_element(By.ID, "forwarded-to")  # type: ignore[attr-defined]
    assert to.get_property("validationMessage") == "Say to whom the item is forwarded"
    assert d.find_element(By.ID, "current-status").text == "new"  # type: ignore[attr-defined]
    to.send_keys("Акимат, отдел ЖКХ")
    d.find_element(By.ID, "forward").click()  # type: ignore[attr-defined]
    _wait(d, _text_is(By.ID, "current-status", "forwarded"))
    con = duckdb.connect(str(review_db), read_only=True)
    try:
        rows = con.execute("SELECT status, forwarded_to FROM reviews WHERE external_id = 'a-100'").fetchall()
    finally:
        con.close()
    assert rows == [("forwarded", "Акимат, отдел ЖКХ")]


def test_second_look_takes_a_yes_for_a_kazakh_comment_the_model_did_not_flag(
    server: str, browser: object, review_db: Path, password: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    d = browser
    d.get(server + "/login")  # type: ignore[attr-defined]
    _log_in(d, password)
    _wait(d, lambda d: d.find_element(By.ID, "nav-second-look"))
    d.find_element(By.ID, "nav-second-look").click()  # type: ignore[attr-defined]
    _wait(d, lambda d: d.find_element(By.ID, "s-lang"))
    Select(d.find_element(By.ID, "s-label")).select_by_value("infrastructure")  # type: ignore[attr-defined]
    Select(d.find_element(By.ID, "s-lang")).select_by_value("kk")  # type: ignore[attr-defined]
    d.find_element(By.ID, "apply").click()  # type: ignore[attr-defined]
    _wait(d, lambda d: "lang=kk" in d.current_url and d.find_element(By.ID, "total").text == "1")
    row = d.find_element(By.CSS_SELECTOR, 'tr[data-id="a-100-c2"]')  # type: ignore[attr-defined]
    assert "Біздің аулада да сол жағдай, жол жөнделген жоқ." in row.text
    row.find_element(By.CSS_SELECTOR, "button.yes").click()
    _wait(d, _text_is(By.ID, "total", "0"))
    assert (
        "Saved: city-portal a-100-c2 reports infrastructure."
        in d.find_element(By.CSS_SELECTOR, ".flash").text
    )  # type: ignore[attr-defined]
    assert "lang=kk" in d.current_url  # type: ignore[attr-defined]
    con = duckdb.connect(str(review_db), read_only=True)
    try:
        answers = con.execute(
            "SELECT external_id, label, value, score, reviewer FROM label_decisions"
        ).fetchall()
    finally:
        con.close()
    assert answers == [("a-100-c2", "infrastructure", True, 0.35, "aigerim")]


def test_a_refused_forward_keeps_the_note_the_reviewer_typed(
    server: str, browser: object, review_db: Path, password: str
) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    d.get(server + "/item?source=city-portal&id=a-100")  # type: ignore[attr-defined]
    _log_in(d, password)
    _wait(d, lambda d: d.find_element(By.ID, "note"))
    note = "\nЖол жөнделмеген: <b>люк</b> ашық\nекінші жол"
    d.find_element(By.ID, "note").send_keys(note)  # type: ignore[attr-defined]
    # As when the script did not load: the form goes out without its check in the browser.
    d.execute_script(  # type: ignore[attr-defined]
        "document.getElementById('decision').requestSubmit(document.getElementById('forward'))"
    )
    _wait(d, lambda d: d.find_element(By.ID, "decision-refused"))
    assert d.find_element(By.ID, "decision-refused").text == "Not saved: say to whom the item is forwarded"  # type: ignore[attr-defined]
    assert d.find_element(By.ID, "note").get_property("value") == note  # type: ignore[attr-defined]
    assert d.switch_to.active_element.get_attribute("id") == "forwarded-to"  # type: ignore[attr-defined]
    assert "chosen" in d.find_element(By.ID, "forward").get_attribute("class")  # type: ignore[attr-defined]
    d.find_element(By.ID, "forwarded-to").send_keys("Акимат, отдел ЖКХ")  # type: ignore[attr-defined]
    d.find_element(By.ID, "forward").click()  # type: ignore[attr-defined]
    _wait(d, _text_is(By.ID, "current-status", "forwarded"))
    assert d.find_element(By.ID, "note").get_property("value") == ""  # type: ignore[attr-defined]
    con = duckdb.connect(str(review_db), read_only=True)
    try:
        rows = con.execute("SELECT status, forwarded_to, note FROM reviews").fetchall()
    finally:
        con.close()
    # A browser sends a textarea's lines with CR LF; the note is kept with LF, as typed.
    assert rows == [("forwarded", "Акимат, отдел ЖКХ", note.strip())]


# Where each character of the first text on the page matching arguments[1] is drawn, left to right or not.
_CHAR_LEFTS = """
const [root, wanted] = arguments;
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const at = node.data.indexOf(wanted);
  if (at < 0) continue;
  const lefts = [];
  for (let i = at; i < at + wanted.length; i++) {
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    lefts.push(range.getBoundingClientRect().left);
  }
  return lefts;
}
return null;
"""


def test_a_direction_override_in_an_author_name_does_not_turn_the_rest_of_the_line_around(
    server: str, browser: object, password: str, review_db: Path
) -> None:
    from selenium.webdriver.common.by import By

    # U+202E (right-to-left override) with no closing U+202C: a source can send it in a name, and the
    # date, language and scores after the name would read backwards ("83:71 72-11-6202").
    with duckdb.connect(str(review_db)) as con:
        con.execute(
            "UPDATE items SET author = '\u202eХакер' WHERE source = 'dept-facebook' AND external_id = 'fb-7'"
        )
    d = browser
    d.get(server + "/login")  # type: ignore[attr-defined]
    _log_in(d, password)
    _wait(d, lambda d: d.find_element(By.ID, "items"))
    for page, selector in (
        ("/?source=dept-facebook", "#items"),
        ("/item?source=dept-facebook&id=fb-7", ".entry.main .meta"),
    ):
        d.get(server + page)  # type: ignore[attr-defined]
        root = _wait(d, lambda d, s=selector: d.find_element(By.CSS_SELECTOR, s))
        after = "kk" if page.startswith("/?") else "corruption"  # what follows the name on that line
        lefts = d.execute_script(_CHAR_LEFTS, root, after)  # type: ignore[attr-defined]
        assert lefts, (page, after)
        assert lefts == sorted(lefts), (page, lefts)  # drawn left to right, as written
