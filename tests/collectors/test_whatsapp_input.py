"""WhatsApp exports that are odd but real input: several chats in one .zip, old Mac line ends, UTF-16
without its mark, huge messages, impossible years, senders who are numbers in the "~" forms."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from testutil import WHATSAPP_SALT as SALT
from testutil import read_whatsapp as read
from testutil import run_cli

from batch.whatsapp_scrub import scrub_phone_mentions
from collectors import whatsapp
from collectors.item import Item
from collectors.whatsapp_phones import hash_phone
from errors import InputError
from store.db import reader, writer
from store.items import upsert_items

CHAT_A = (
    "25.11.2026, 09:15 - Асель: Во дворе нет воды\n"
    "25.11.2026, 09:16 - Данияр: Акимат обещал к вечеру\n"
    "25.11.2026, 09:20 - Асель: Объявление: отключение до 18:00\n"
)
CHAT_B = (
    "25.11.2026, 09:18 - Ерлан: У нас в подъезде тоже\n"
    "25.11.2026, 09:20 - Асель: Объявление: отключение до 18:00\n"  # forwarded to both chats
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows(db: Path, sql: str) -> list[tuple]:
    with reader(db) as con:
        return con.execute(sql).fetchall()


# -- several chat files in one .zip ---------------------------------------------------------------


def test_every_chat_of_a_zip_is_imported_with_its_own_ids(tmp_path: Path) -> None:
    archive = tmp_path / "chats.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("WhatsApp Chat with B.txt", CHAT_B)
        zf.writestr("WhatsApp Chat with A.txt", CHAT_A)
        zf.writestr("notes.txt", "список дел\nбез дат\n")  # a document sent in the chat
        zf.writestr("IMG-20261125-WA0001.jpg", b"\xff\xd8 not a photo")
    items, errors = read(archive)
    assert errors == []
    assert [(i.raw["chat"], i.author, i.text) for i in items] == [
        ("WhatsApp Chat with A.txt", "Асель", "Во дворе нет воды"),
        ("WhatsApp Chat with A.txt", "Данияр", "Акимат обещал к вечеру"),
        ("WhatsApp Chat with A.txt", "Асель", "Объявление: отключение до 18:00"),
        ("WhatsApp Chat with B.txt", "Ерлан", "У нас в подъезде тоже"),
        ("WhatsApp Chat with B.txt", "Асель", "Объявление: отключение до 18:00"),
    ]
    assert len({i.external_id for i in items}) == 5  # the forwarded message is stored in both chats
    alone, _ = read(write(tmp_path / "a.txt", CHAT_A))
    assert [i.external_id for i in items[:3]] == [i.external_id for i in alone]
    assert read(archive)[0] == items  # the same ids on every import


def test_cli_imports_both_chats_of_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "chats.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("WhatsApp Chat with A.txt", CHAT_A)
        zf.writestr("WhatsApp Chat with B.txt", CHAT_B)
    db = tmp_path / "wa.duckdb"
    result = run_cli("import", "whatsapp", str(archive), "--source", "chat", "--db", str(db), "--no-classify")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT raw->>'chat', count(*) FROM items GROUP BY ALL ORDER BY 1") == [
        ("WhatsApp Chat with A.txt", 3),
        ("WhatsApp Chat with B.txt", 2),
    ]


def test_a_damaged_chat_among_several_is_reported_and_the_others_imported(
    tmp_path: Path, damage: Callable[[Path, str], None]
) -> None:
    archive = tmp_path / "chats.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("WhatsApp Chat with A.txt", CHAT_A * 20)
        zf.writestr("WhatsApp Chat with B.txt", CHAT_B)
    damage(archive, "WhatsApp Chat with A.txt")
    items, errors = read(archive)
    assert [i.author for i in items] == ["Ерлан", "Асель"]
    assert [(e.path, e.message.startswith("the archive is damaged (")) for e in errors] == [
        (str(archive), True)
    ]
    assert "WhatsApp Chat with A.txt" in errors[0].message


def test_a_zip_of_documents_only_is_one_error(tmp_path: Path) -> None:
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("notes.txt", "список дел\nбез дат\n")
    errors: list[InputError] = []
    with pytest.raises(InputError, match="no WhatsApp message line found") as caught:
        list(whatsapp.read_export(archive, source="wa", options={"_salt": SALT}, report=errors.append))
    assert caught.value.path == f"{archive}:notes.txt"
    assert errors == []


# -- line ends ------------------------------------------------------------------------------------


@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"], ids=["cr", "crlf", "lf"])
def test_every_line_end_splits_lines(tmp_path: Path, end: str) -> None:
    chat = CHAT_A + "25.11.2026, 09:21 - Данияр: Первая строка\nвторая строка\n"
    expected = [(i.external_id, i.text) for i in read(write(tmp_path / "lf.txt", chat))[0]]
    path = tmp_path / "chat.txt"
    path.write_bytes(chat.replace("\n", end).encode("utf-8"))
    items, errors = read(path)
    assert errors == []
    assert [(i.external_id, i.text) for i in items] == expected
    assert items[-1].text == "Первая строка\nвторая строка"


def test_other_line_separators_stay_inside_the_message(tmp_path: Path) -> None:
    # str.splitlines() would split at each of these; in a chat they are characters of the text
    text = "раз\x1cдва\x1dтри\x1eчетыре\x85пять\u2028шесть\u2029семь\x0bвосемь\x0cдевять"
    items, errors = read(write(tmp_path / "chat.txt", f"25.11.2026, 09:15 - Асель: {text}\n"))
    assert errors == []
    assert [i.text for i in items] == [text]


# -- message size ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lines", [1, 3], ids=["one-line", "many-lines"])
def test_a_message_past_the_cap_is_cut_and_reported(tmp_path: Path, lines: int) -> None:
    long = "\n".join(["ы" * (whatsapp.MAX_MESSAGE // lines + 10)] * lines)
    chat = (
        "25.11.2026, 09:15 - Асель: Во дворе нет воды\n"
        f"25.11.2026, 09:16 - Данияр: {long}\n"
        "25.11.2026, 09:17 - Асель: Спасибо\n"
    )
    items, errors = read(write(tmp_path / "chat.txt", chat))
    assert [(e.line, e.path) for e in errors] == [(2, str(tmp_path / "chat.txt"))]
    assert f"longer than {whatsapp.MAX_MESSAGE} characters" in errors[0].message
    assert [i.author for i in items] == ["Асель", "Данияр", "Асель"]
    assert whatsapp.MAX_MESSAGE - 100 < len(items[1].text) <= whatsapp.MAX_MESSAGE  # the name counts
    assert items[1].raw["truncated"] is True
    assert items[2].text == "Спасибо" and "truncated" not in items[2].raw


# -- dates that cannot be message times -----------------------------------------------------------


def test_years_that_cannot_be_message_times_are_reported_and_kept_undated(tmp_path: Path) -> None:
    ahead = datetime.now(UTC) + timedelta(days=3)
    chat = (
        "25.11.2026, 09:15 - Асель: первое\n"
        "01.01.0001, 00:00 - Асель: год 1\n"
        "продолжение года 1\n"
        "25.11.202, 10:00 - Асель: год 202\n"
        "31.12.1989, 23:00 - Асель: 1989\n"
        "31.12.9999, 23:59 - Асель: год 9999\n"
        f"{ahead:%d.%m.%Y}, 10:00 - Асель: через три дня\n"
        "25.11.99, 10:00 - Асель: 2099\n"
        "25.11.2026, 09:20 - Данияр: последнее\n"
    )
    items, errors = read(write(tmp_path / "chat.txt", chat))
    assert [(i.text, i.published_at is None) for i in items] == [
        ("первое", False),
        ("год 1\nпродолжение года 1", True),
        ("год 202", True),
        ("1989", True),
        ("год 9999", True),
        ("через три дня", True),
        ("2099", True),
        ("последнее", False),
    ]
    assert [i.raw["unread_date"] for i in items[1:3]] == ["01.01.0001, 00:00", "25.11.202, 10:00"]
    assert items[1].raw["wall_time"] == "0001-01-01T00:00:00"
    assert [e.line for e in errors] == [2, 4, 5, 6, 7, 8]
    assert errors[0].message == (
        "date 0001-01-01 in the header (dmy order) is before 1990 or more than a day ahead: not a message time; "
        "the message kept without a date"
    )


def test_cli_stores_no_impossible_year_but_keeps_its_message(tmp_path: Path) -> None:
    chat = "01.01.0001, 00:00 - Асель: год 1\n31.12.9999, 23:59 - Асель: год 9999\n25.11.2026, 09:15 - Асель: ок\n"
    db = tmp_path / "wa.duckdb"
    result = run_cli(
        "import",
        "whatsapp",
        str(write(tmp_path / "chat.txt", chat)),
        "--source",
        "chat",
        "--db",
        str(db),
        "--no-classify",
    )
    assert result.returncode == 1  # partial: two lines reported
    assert "Traceback" not in result.stderr and "OverflowError" not in result.stderr
    assert "chat.txt:1:" in result.stderr and "chat.txt:2:" in result.stderr
    assert sorted(rows(db, "SELECT text, year(published_at) FROM items")) == [
        ("год 1", None),
        ("год 9999", None),
        ("ок", 2026),
    ]


def test_cli_keeps_a_message_dated_2031_or_1985_and_a_reimport_adds_nothing(tmp_path: Path) -> None:
    chat = write(
        tmp_path / "chat.txt",
        "25.11.2026, 09:15 - Асель: Во дворе нет воды\n"
        "12.03.2031, 14:35 - Данияр: Телефон с неверной датой: трубу прорвало\n"
        "25.11.2026, 09:20 - Асель: Акимат обещал к вечеру\n"
        "01.06.1985, 08:00 - Ерлан: Сброшенные часы: ямы у люков\n"
        "продолжение про ямы\n"
        "25.11.2026, 09:30 - Данияр: Воду дали\n",
    )
    db = tmp_path / "wa.duckdb"
    args = ("import", "whatsapp", str(chat), "--source", "chat", "--db", str(db), "--no-classify")
    first = run_cli(*args)
    assert first.returncode == 1  # partial: two lines reported, once each
    reported = [line for line in first.stderr.splitlines() if "chat.txt:" in line]
    assert [line.split("chat.txt:")[1].split(":")[0] for line in reported] == ["2", "4"], first.stderr
    assert all("kept without a date" in line for line in reported)
    stored = "SELECT text, published_at IS NULL, raw->>'unread_date' FROM items"
    assert sorted(rows(db, stored)) == [
        ("Акимат обещал к вечеру", False, None),
        ("Во дворе нет воды", False, None),
        ("Воду дали", False, None),
        ("Сброшенные часы: ямы у люков\nпродолжение про ямы", True, "01.06.1985, 08:00"),
        ("Телефон с неверной датой: трубу прорвало", True, "12.03.2031, 14:35"),
    ]
    ids = rows(db, "SELECT external_id FROM items ORDER BY external_id")
    again = run_cli(*args)
    assert again.returncode == 1 and again.stderr.count("kept without a date") == 2
    assert rows(db, "SELECT external_id FROM items ORDER BY external_id") == ids  # nothing added


def test_an_undated_message_leaves_the_order_of_the_chat_to_the_dated_ones(tmp_path: Path) -> None:
    # DST ends in Berlin: 02:00-03:00 happens twice. The 02:10 after 02:50 is the second pass, with
    # an undated message between them as without it: its missing time is not "no message before".
    path = write(
        tmp_path / "chat.txt",
        "26.10.2025, 02:50 - Асель: первый раз\n"
        "26.10.2031, 02:55 - Ерлан: часы убежали\n"
        "31.02.2025, 02:57 - Асель создал(-а) группу «Двор»\n"
        "26.10.2025, 02:10 - Данияр: второй раз\n",
    )
    items, errors = read(path, tz="Europe/Berlin")
    assert [(i.text, i.published_at and i.published_at.astimezone(UTC)) for i in items] == [
        ("первый раз", datetime(2025, 10, 26, 0, 50, tzinfo=UTC)),
        ("часы убежали", None),
        ("второй раз", datetime(2025, 10, 26, 1, 10, tzinfo=UTC)),
    ]
    assert [(e.line, e.message.split("; ")[1]) for e in errors] == [
        (2, "the message kept without a date"),
        (3, "not a message (a system line), skipped"),
    ]


# -- phone-number authors in the "~" forms --------------------------------------------------------

PHONES = (
    "25.11.2026, 14:30 - +7 701 123 4567: а\n"
    "25.11.2026, 14:33 - +7 701 123 4567 ~ Аня: б\n"
    "25.11.2026, 14:34 - ~\u202f+7 701 123 4567: в\n"
    "25.11.2026, 14:35 - \u202a+7 701 123 4567\u202c ~\u00a0Аня: г\n"
    "25.11.2026, 14:36 - ~ Аня: д\n"
)


def test_numbers_in_the_tilde_forms_are_hashed_like_the_bare_number(tmp_path: Path) -> None:
    items, errors = read(write(tmp_path / "chat.txt", PHONES))
    assert errors == []
    token = hash_phone("+77011234567", SALT)
    assert [(i.author, i.raw.get("author_name")) for i in items] == [
        (token, None),
        (token, "Аня"),
        (token, None),
        (token, "Аня"),
        ("~ Аня", None),  # a name the sender gave, no number
    ]
    assert "701" not in json.dumps([[i.author, i.text, i.raw] for i in items], ensure_ascii=False)
    kept, _ = read(tmp_path / "chat.txt", keep_phone_numbers=True)
    assert [i.author for i in kept][:3] == [
        "+7 701 123 4567",
        "+7 701 123 4567 ~ Аня",
        "~\u202f+7 701 123 4567",
    ]


def test_authors_stored_in_clear_by_an_earlier_import_are_hashed(tmp_path: Path) -> None:
    db = tmp_path / "wa.duckdb"
    when = datetime(2026, 11, 25, 9, 33, tzinfo=UTC)
    old = [
        Item(
            source="chat",
            kind="message",
            external_id="1",
            text="б",
            author="+7 701 123 4567 ~ Аня",
            published_at=when,
        ),
        Item(
            source="chat",
            kind="message",
            external_id="2",
            text="в",
            author="~ +7 701 123 4567",
            published_at=when,
        ),
        Item(source="chat", kind="message", external_id="3", text="д", author="~ Аня", published_at=when),
        Item(
            source="tg",
            kind="post",
            external_id="4",
            text="е",
            author="+7 701 123 4567 ~ Аня",
            published_at=when,
        ),
    ]
    with writer(db) as con:
        upsert_items(con, old)
    with writer(db) as con:
        assert scrub_phone_mentions(con, "chat", SALT) == {"items": 2, "item_versions": 0}
    token = hash_phone("+77011234567", SALT)
    assert rows(
        db, "SELECT source, external_id, author, raw->>'author_name' FROM items ORDER BY external_id"
    ) == [
        ("chat", "1", token, "Аня"),
        ("chat", "2", token, None),
        ("chat", "3", "~ Аня", None),
        ("tg", "4", "+7 701 123 4567 ~ Аня", None),  # another source is left alone
    ]
    with writer(db) as con:
        assert scrub_phone_mentions(con, "chat", SALT) == {"items": 0, "item_versions": 0}


# -- UTF-16 without its byte-order mark -----------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_its_mark_is_recognised(tmp_path: Path, encoding: str) -> None:
    expected = [(i.external_id, i.text) for i in read(write(tmp_path / "utf8.txt", CHAT_A))[0]]
    path = tmp_path / "chat.txt"
    path.write_bytes(CHAT_A.encode(encoding))
    items, errors = read(path)
    assert errors == []
    assert [(i.external_id, i.text) for i in items] == expected
    archive = tmp_path / "chat.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("_chat.txt", CHAT_A.encode(encoding))
    assert [(i.external_id, i.text) for i in read(archive)[0]] == expected


def test_a_stray_nul_does_not_make_utf8_utf16(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(CHAT_A.replace("нет воды", "нет\x00воды").encode("utf-8"))
    items, errors = read(path)
    assert errors == []
    assert items[0].text == "Во дворе нет\x00воды"
