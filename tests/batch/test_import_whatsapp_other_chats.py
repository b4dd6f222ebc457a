"""An edited or deleted WhatsApp message never takes the stored message of ANOTHER chat: cross-posted
and forwarded copies (the same minute, author and text in two chats hash to the same id), chats
imported alone, and renamed chats reordering a zip. Written as reproductions by two reviews of an
attempt to match edits across renamed chats (reverted for these cases): one person's message
overwritten by another's is the worst outcome here; a renamed chat's edit as a second item the smaller
harm. Each case goes through importing.import_file into a real store."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import batch.importing as importing
from config.sources import Config
from errors import InputError
from store.db import reader

EDITED = " <Это сообщение изменено>"


@pytest.fixture(autouse=True)
def salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_SALT", "other-chats-salt")


def archive(path: Path, chats: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in chats.items():
            zf.writestr(name, text)
    return path


def alone(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def imp(path: Path, db: Path) -> tuple[int, int]:
    errors: list[InputError] = []
    run = importing.import_file("whatsapp", path, "chat", Config(path=None), db, report=errors.append)
    assert errors == [] and run.status == "ok", (errors, run.error)
    return run.new, run.updated


def rows(db: Path, sql: str) -> list[tuple]:
    with reader(db) as con:
        return con.execute(sql).fetchall()


# The chairman posts every notice to the main group (MAIN) and to the notices group (NOTICES) in the
# same minute (copy-paste / forward to several chats): the copies share minute, author and text.
NOTICES_POSTS = (
    "20.11.2026, 09:00 - Председатель: Отключение воды с 10 до 16\n"
    "20.11.2026, 11:00 - Председатель: Уборка подъезда в субботу\n"
    "20.11.2026, 12:00 - Председатель: Сбор на домофон 2000 тг\n"
    "20.11.2026, 13:00 - Председатель: Счётчики сдать до 25 числа\n"
)
WITH_MAIN, WITH_NOTICES, WITH_OTHER = (
    "WhatsApp Chat with Дом 12.txt",
    "WhatsApp Chat with Дом 12 Объявления.txt",
    "WhatsApp Chat with Совет.txt",
)
MAIN = (
    NOTICES_POSTS
    + "20.11.2026, 14:35 - Асель: Кто-нибудь видел сантехника?\n"
    # the chairman, in MAIN, at 14:40: a complaint of his own
    + "20.11.2026, 14:40 - Председатель: КСК требует взятку за подключение, пишу в акимат\n"
)
MAIN_MESSAGE = "КСК требует взятку за подключение, пишу в акимат"
OTHER = "20.11.2026, 08:00 - Сауле: Доброе утро\n20.11.2026, 08:01 - Сауле: Собрание в пятницу\n"


@pytest.mark.parametrize("packing", ["alone", "zip"])
def test_new_chat_of_cross_posts_takes_another_chats_message(tmp_path: Path, packing: str) -> None:
    """NOTICES is exported for the first time; its 4 notices were stored under MAIN's name (same ids).
    The chairman wrote in NOTICES at 14:40 and edited it: it takes MAIN's message of 14:40."""
    db = tmp_path / "wa.duckdb"
    imp(archive(tmp_path / "1.zip", {WITH_MAIN: MAIN, WITH_OTHER: OTHER}), db)
    before = rows(db, f"SELECT * FROM items WHERE text = '{MAIN_MESSAGE}'")
    notices = NOTICES_POSTS + f"20.11.2026, 14:40 - Председатель: Собрание в 20:00, не в 19:00{EDITED}\n"
    path = (
        alone(tmp_path / "n.txt", notices)
        if packing == "alone"
        else archive(tmp_path / "2.zip", {WITH_NOTICES: notices, WITH_OTHER: OTHER})
    )
    imp(path, db)
    after = rows(db, f"SELECT * FROM items WHERE text = '{MAIN_MESSAGE}'")
    # MAIN is exported again: its message does not come back
    imp(archive(tmp_path / "3.zip", {WITH_MAIN: MAIN, WITH_OTHER: OTHER}), db)
    assert after == before, "MAIN's message was replaced by NOTICES' edit"


WITH_NOTICES_LATE = "WhatsApp Chat with Объявления Дом 12.txt"  # sorts after MAIN's file in the .zip


def test_chat_imported_before_whose_posts_are_mostly_cross_posts(tmp_path: Path) -> None:
    """NOTICES was imported before in a .zip with MAIN (its copies: occurrence 2, under its own name);
    alone now, its copies are occurrence 1 = MAIN's ids: MAIN's name becomes its earlier name, and its
    edit (whose own original is stored under NOTICES' name) takes MAIN's message of that minute."""
    db = tmp_path / "wa.duckdb"
    notices = NOTICES_POSTS + "20.11.2026, 14:40 - Председатель: Собрание в 19:00\n"
    imp(archive(tmp_path / "1.zip", {WITH_MAIN: MAIN, WITH_NOTICES_LATE: notices}), db)
    before = rows(db, f"SELECT * FROM items WHERE text = '{MAIN_MESSAGE}'")
    original = dict(rows(db, "SELECT text, external_id FROM items"))["Собрание в 19:00"]
    later = notices.replace("Собрание в 19:00", f"Собрание в 20:00{EDITED}")
    imp(alone(tmp_path / "n.txt", later), db)
    after = rows(db, f"SELECT * FROM items WHERE text = '{MAIN_MESSAGE}'")
    assert after == before, "MAIN's message was replaced by NOTICES' edit"
    assert dict(rows(db, "SELECT external_id, text FROM items"))[original] in (
        "Собрание в 19:00",
        "Собрание в 20:00",
    )


def test_cross_post_edited_in_one_chat_only(tmp_path: Path) -> None:
    """The edited message is itself a cross-post, edited in NOTICES only (first export of NOTICES):
    MAIN's unedited copy takes NOTICES' new text; MAIN's next export does not restore it."""
    db = tmp_path / "wa.duckdb"
    main = NOTICES_POSTS + "20.11.2026, 14:40 - Председатель: Собрание в 19:00\n"
    imp(archive(tmp_path / "1.zip", {WITH_MAIN: main, WITH_OTHER: OTHER}), db)
    before = rows(db, "SELECT external_id, text, raw->>'$.chat' FROM items WHERE text LIKE 'Собрание в%'")
    notices = NOTICES_POSTS + f"20.11.2026, 14:40 - Председатель: Собрание в 20:00{EDITED}\n"
    imp(alone(tmp_path / "n.txt", notices), db)
    imp(archive(tmp_path / "3.zip", {WITH_MAIN: main, WITH_OTHER: OTHER}), db)
    after = rows(db, "SELECT external_id, text, raw->>'$.chat' FROM items WHERE text LIKE 'Собрание в%'")
    assert set(before) <= set(after), "MAIN's unedited copy now holds NOTICES' edited text"


def test_renamed_chat_takes_an_id_another_chat_of_the_file_yields(tmp_path: Path) -> None:
    """ALPHA renamed GAMMA between two .zip exports with BETA; the chairman posted one notice to ALPHA
    and BETA in the same minute. GAMMA now sorts after BETA, so BETA's copy is occurrence 1 (ALPHA's
    stored id) and GAMMA's copy occurrence 2 (BETA's stored id); BETA is long, so its copy is not in
    the sample. GAMMA's new message of that minute, written and edited since, takes ALPHA's copy's id:
    an id BETA's unedited copy yields in the same file. The notice's stored text is replaced."""
    notice = "20.11.2026, 14:40 - Председатель: Внимание: собрание в пятницу\n"
    alpha = (
        "20.11.2026, 14:00 - Асель: Лифт стоит\n"
        "20.11.2026, 14:05 - Ерлан: Опять?\n"
        "20.11.2026, 14:10 - Асель: Да\n"
        "20.11.2026, 14:20 - Ерлан: Звоню диспетчеру\n"
    ) + notice
    beta = "".join(f"20.11.2026, 10:{i:02d} - Сауле: сообщение {i}\n" for i in range(33)) + notice
    beta += "20.11.2026, 15:00 - Сауле: ок\n"  # the notice is the 34th message: not sampled (stride 2)
    db = tmp_path / "wa.duckdb"
    imp(
        archive(
            tmp_path / "1.zip", {"WhatsApp Chat with Alpha.txt": alpha, "WhatsApp Chat with Beta.txt": beta}
        ),
        db,
    )
    before = rows(db, "SELECT external_id, text, raw->>'$.chat' FROM items WHERE text LIKE 'Внимание%'")
    gamma = alpha + f"20.11.2026, 14:40 - Председатель: Мастер просит 20 тысяч за лифт{EDITED}\n"
    imp(
        archive(
            tmp_path / "2.zip", {"WhatsApp Chat with Gamma.txt": gamma, "WhatsApp Chat with Beta.txt": beta}
        ),
        db,
    )
    after = rows(db, "SELECT external_id, text, raw->>'$.chat' FROM items WHERE author = 'Председатель'")
    assert set(before) <= set(after), "a stored copy of the notice took the new message's text"
