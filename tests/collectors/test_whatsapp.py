"""The WhatsApp chat-export importer: header formats, system lines, media, stable ids, the CLI."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testutil import FIXTURES, run_cli
from testutil import WHATSAPP_SALT as SALT
from testutil import read_whatsapp as read

from collectors import whatsapp
from collectors.whatsapp_phones import hash_phone
from errors import ConfigError, InputError

WA = FIXTURES / "whatsapp"
ALMATY = ZoneInfo("Asia/Almaty")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=ALMATY)


def test_android_russian_golden() -> None:
    items, errors = read(WA / "android_ru.txt")
    assert errors == []
    phone = hash_phone("+7 701 234 56 78", SALT)
    assert [(i.published_at, i.author, i.text, i.raw) for i in items] == [
        (
            at(2026, 11, 25, 9, 14),
            "Айгерим Садыкова",
            "Здравствуйте! На углу Толе би и Байзакова третий день открыт канализационный люк, рядом детская площадка.",
            {"wall_time": "2026-11-25T09:14:00"},
        ),
        (
            at(2026, 11, 25, 9, 15),
            "Айгерим Садыкова",
            "",
            {"media": "omitted", "wall_time": "2026-11-25T09:15:00"},
        ),
        (
            at(2026, 11, 25, 9, 21),
            phone,
            "Во дворе дома 45 по Жамбыла после ремонта теплосети остались ямы\nвокруг люков, по 1–3 квадратных метра.\n"
            "Кто принимал эту работу?",
            {"wall_time": "2026-11-25T09:21:00"},
        ),
        (
            at(2026, 11, 25, 9, 40),
            "Ерлан Б.",
            "Бұл мәселе бойынша әкімдікке шағым жаздық, әлі жауап жоқ.",
            {"wall_time": "2026-11-25T09:40:00"},
        ),
        (at(2026, 11, 25, 10, 3), "Ерлан Б.", "+", {"wall_time": "2026-11-25T10:03:00"}),
        (at(2026, 11, 25, 10, 3), "Ерлан Б.", "+", {"wall_time": "2026-11-25T10:03:00"}),
        (
            at(2026, 11, 25, 10, 30),
            "Дежурный ДАК",
            "Спасибо, обращение зарегистрировано под номером 2611. Выедем на место до конца дня.",
            {"edited": True, "wall_time": "2026-11-25T10:30:00"},
        ),
        (
            at(2026, 11, 25, 11, 2),
            "Айгерим Садыкова",
            "",
            {"deleted": True, "wall_time": "2026-11-25T11:02:00"},
        ),
        (
            at(2026, 11, 25, 11, 5),
            "Айгерим Садыкова",
            "Вот фото ямы у подъезда",
            {
                "media": "attached",
                "media_file": "IMG-20261125-WA0007.jpg",
                "wall_time": "2026-11-25T11:05:00",
            },
        ),
    ]
    assert all(i.kind == "message" and i.source == "wa" for i in items)
    assert len({i.external_id for i in items}) == len(items)  # the two "+" in one minute stay apart
    everything = json.dumps([[i.author, i.text] for i in items], ensure_ascii=False)
    for absent in (
        "шифрованием",
        "создали группу",
        "присоединился",
        "удалили участника",
        "701",
        "<Без медиафайлов>",
    ):
        assert absent not in everything


def test_ios_russian_system_notices_media_and_phone() -> None:
    items, errors = read(WA / "ios_ru.txt")
    assert errors == []
    assert [(i.published_at, i.author) for i in items] == [
        (at(2026, 11, 24, 21, 5, 40), "Динара"),
        (at(2026, 11, 24, 21, 6, 2), "Динара"),
        (at(2026, 11, 24, 21, 7, 15), "Тимур"),
        (at(2026, 11, 24, 21, 8, 0), "Тимур"),
        (at(2026, 11, 24, 21, 12, 45), "Тимур"),
        (at(2026, 11, 24, 21, 16, 30), hash_phone("+77771112233", SALT)),
    ]
    assert items[2].raw["media"] == "omitted" and items[2].text == ""
    assert items[3].raw == {
        "media": "attached",
        "media_file": "00000031-PHOTO-2026-11-24-21-08-00.jpg",
        "wall_time": "2026-11-24T21:08:00",
    }
    assert items[4].text == "Жаңа құбырлар жазда ғана салынған еді,\nенді тағы ағып жатыр."
    assert "Жалобы ЖКХ Медеу" not in {i.author for i in items}
    assert all("\u200e" not in i.text and "\u202a" not in (i.author or "") for i in items)


def test_phone_numbers_kept_when_config_says_so() -> None:
    items, _ = read(WA / "ios_ru.txt", keep_phone_numbers=True)
    assert items[-1].author == "+7 777 111 22 33"


def test_phone_hash_depends_on_the_salt_only_through_digits() -> None:
    assert hash_phone("+7 (701) 234-56-78", "a") == hash_phone("+77012345678", "a")
    assert hash_phone("+77012345678", "a") != hash_phone("+77012345678", "b")
    assert hash_phone("+77012345678", "a").startswith("phone:")
    assert len(hash_phone("+77012345678", "a")) == len("phone:") + 16


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "android_en_12h.txt",
            [
                (
                    at(2026, 11, 25, 8, 5),
                    "Asel",
                    "Светофор на перекрёстке Абая и Розыбакиева снова не работает",
                ),
                (at(2026, 11, 25, 12, 0), "Asel", ""),
                (at(2026, 11, 25, 0, 30), "Nurlan", "Түнде жолда жарық жоқ"),
                (at(2026, 11, 26, 13, 15), "Nurlan", ""),
            ],
        ),
        (
            "android_es_12h.txt",
            [
                (at(2026, 11, 2, 9, 10), "Gulnara", "В парке у озера сломаны скамейки"),
                (at(2026, 11, 2, 15, 45), "Gulnara", "И мусор не вывозят неделю"),
                (at(2026, 11, 14, 0, 5), "Sergey", "Спасибо, передали в акимат"),
            ],
        ),
        (
            "ios_iso.txt",
            [
                (at(2026, 11, 20, 7, 45, 3), "Ольга", "Автобус 32 с утра не выходит на маршрут"),
                (at(2026, 11, 20, 7, 46, 10), "Ольга", "Остановка «Аль-Фараби» переполнена"),
            ],
        ),
        (
            "android_dp_pp.txt",
            [
                (at(2026, 11, 20, 9, 45), "Олена", "Зранку немає води у будинку на Сейфуліна"),
                (at(2026, 11, 20, 13, 10), "Олена", "Воду дали"),
            ],
        ),
    ],
)
def test_header_formats(name: str, expected: list[tuple[datetime, str, str]]) -> None:
    items, errors = read(WA / name)
    assert errors == []
    assert [(i.published_at, i.author, i.text) for i in items] == expected


def test_date_order_can_be_forced() -> None:
    # 02/11 and 14/11 make the file d/m; forcing m/d reads the first two as February and reports the
    # third, kept without a date
    items, errors = read(WA / "android_es_12h.txt", date_order="mm/dd/yyyy")
    assert [i.published_at for i in items] == [at(2026, 2, 11, 9, 10), at(2026, 2, 11, 15, 45), None]
    assert items[2].raw["unread_date"] == "14/11/2026, 12:05 a. m."
    assert [e.line for e in errors] == [3]
    with pytest.raises(ConfigError, match="date_order"):
        read(WA / "ios_iso.txt", date_order="sometimes")


def test_time_zone_option() -> None:
    items, _ = read(WA / "ios_iso.txt", tz="Europe/Moscow")
    assert items[0].published_at == datetime(2026, 11, 20, 7, 45, 3, tzinfo=ZoneInfo("Europe/Moscow"))
    assert items[0].external_id == read(WA / "ios_iso.txt")[0][0].external_id  # ids follow the wall clock


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (
            ["01/02/26", "03/02/26", "02/03/26"],
            [(2026, 2, 1), (2026, 2, 3), (2026, 3, 2)],
        ),  # runs forward as d/m
        (
            ["02/01/26", "02/03/26", "03/02/26"],
            [(2026, 2, 1), (2026, 2, 3), (2026, 3, 2)],
        ),  # runs forward as m/d
    ],
)
def test_ambiguous_day_month_decided_by_chronology(
    tmp_path: Path, dates: list[str], expected: list[tuple[int, int, int]]
) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        "".join(f"{d}, 10:00 - Алия: сообщение {n}\n" for n, d in enumerate(dates)), encoding="utf-8"
    )
    items, errors = read(path)
    assert errors == []
    assert [i.published_at for i in items] == [at(*ymd, 10) for ymd in expected]


def test_a_header_with_an_impossible_date_is_reported_and_its_message_kept_undated() -> None:
    items, errors = read(WA / "android_ru_bad.txt")
    assert [(i.text, i.author) for i in items] == [
        ("На остановке «Орбита» второй месяц не работает освещение.", "Марат К."),
        ("строка с невозможной датой", "Марат К."),
        ("Акимат ответил, что деньги на ремонт уже списаны.", "Марат К."),
    ]
    assert [i.published_at for i in items] == [at(2026, 11, 3, 8, 0), None, at(2026, 11, 3, 8, 20)]
    assert items[1].raw["unread_date"] == "31.02.2026, 08:10" and "wall_time" not in items[1].raw
    assert [(e.line, e.path, e.message) for e in errors] == [
        (
            2,
            str(WA / "android_ru_bad.txt"),
            "impossible date or time '31.02.2026, 08:10' in the header (dmy order); "
            "the message kept without a date",
        )
    ]
    assert [i.external_id for i in read(WA / "android_ru_bad.txt")[0]] == [i.external_id for i in items]


def test_text_before_the_first_header_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text("мусор в начале файла\n25.11.2026, 14:35 - Имя: текст\n", encoding="utf-8")
    items, errors = read(path)
    assert [i.text for i in items] == ["текст"]
    assert [e.line for e in errors] == [1]


def test_a_file_that_is_not_an_export_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("просто заметки\nбез дат\n", encoding="utf-8")
    with pytest.raises(InputError, match="no WhatsApp message line"):
        read(path)
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "missing.txt")


def test_zip_from_the_phone(tmp_path: Path) -> None:
    archive = tmp_path / "WhatsApp Chat - Жалобы ЖКХ Медеу.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("_chat.txt", (WA / "ios_ru.txt").read_text(encoding="utf-8"))
        zf.writestr("00000031-PHOTO-2026-11-24-21-08-00.jpg", b"\xff\xd8\xff\xe0 not really a photo")
    from_zip, errors = read(archive)
    from_txt, _ = read(WA / "ios_ru.txt")
    assert errors == []
    assert [(i.external_id, i.text) for i in from_zip] == [(i.external_id, i.text) for i in from_txt]


def test_zip_without_text_is_an_error(tmp_path: Path) -> None:
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("IMG-1.jpg", b"x")
    with pytest.raises(InputError, match=r"no chat \.txt"):
        read(archive)


def test_crlf_bom_and_utf16(tmp_path: Path) -> None:
    text = (WA / "android_ru.txt").read_text(encoding="utf-8")
    expected = [(i.external_id, i.text) for i in read(WA / "android_ru.txt")[0]]
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(text.encode("utf-16"))
    assert [(i.external_id, i.text) for i in read(crlf)[0]] == expected
    assert [(i.external_id, i.text) for i in read(utf16)[0]] == expected


def test_ids_stable_across_overlapping_exports() -> None:
    earlier = {i.external_id: i for i in read(WA / "android_ru.txt")[0]}
    later = {i.external_id: i for i in read(WA / "android_ru_later.txt")[0]}
    shared = set(earlier) & set(later)
    assert len(shared) == 6
    assert sorted(later[k].text for k in set(later) - set(earlier)) == [
        "А ямы у дома 45 так и не засыпали.",
        "Люк на Толе би закрыт, подрядчику выдано предписание.",
    ]


def test_missing_salt_falls_back_to_a_fixed_one() -> None:
    errors: list[InputError] = []
    items = list(whatsapp.read_export(WA / "ios_ru.txt", source="wa", options={}, report=errors.append))
    assert items[-1].author == hash_phone("+77771112233", whatsapp.FALLBACK_SALT)


def test_import_options_are_declared() -> None:
    assert {"keep_phone_numbers", "date_order", "tz"} <= whatsapp.IMPORT_OPTIONS
    assert "_salt" not in whatsapp.IMPORT_OPTIONS


_TEXT = st.text(
    alphabet=st.sampled_from(list("абвгдеёжзийклмнопрстуфхцчшщыэюяәғқңөұүһі АБВГҚҰӨ.,!?0123456789")),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() != "")


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 6, 30)),  # noqa: DTZ001
            st.sampled_from(["Айгерим", "Ерлан Б.", "Нұрлан"]),
            _TEXT,
        ),
        min_size=1,
        max_size=8,
    ),
    ios=st.booleans(),
)
def test_round_trip_of_written_exports(
    tmp_path_factory: pytest.TempPathFactory, messages: list, ios: bool
) -> None:
    """Whatever we write in either header style comes back with the same author, minute and text."""
    messages = sorted(messages)
    lines = []
    for when, author, text in messages:
        if ios:
            lines.append(f"[{when:%d.%m.%y}, {when:%H:%M:%S}] {author}: {text}")
        else:
            lines.append(f"{when:%d.%m.%Y}, {when:%H:%M} - {author}: {text}")
    path = tmp_path_factory.mktemp("wa") / "chat.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, errors = read(path, date_order="dmy")
    assert errors == []
    assert len(items) == len(messages)
    assert len({i.external_id for i in items}) == len(items)
    for item, (when, author, text) in zip(items, messages, strict=True):
        assert item.author == author
        assert item.text == text.strip()
        expected = when.replace(microsecond=0) if ios else when.replace(second=0, microsecond=0)
        assert item.published_at == expected.replace(tzinfo=ALMATY)


# -- the real exports in ../shared (skipped when absent) -------------------------------------


@pytest.mark.shared
def test_shared_corpus_every_format(shared_dir: Path) -> None:
    corpus = shared_dir / "corpora" / "whatsapp"
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    expected = [
        (datetime.fromisoformat(m["timestamp"]).replace(tzinfo=ALMATY), m["author"], m["message"])
        for m in truth["messages"]
    ]
    ids = None
    for name in truth["files"]:
        items, errors = read(corpus / name)
        assert errors == [], name
        # the ambiguous "John Doe:." is kept as a message with text "."; system lines are not messages
        got = [(i.published_at, i.author, " ".join(i.text.split())) for i in items if i.text != "."]
        assert got == expected, name
        assert [i.text for i in items if i.text == "."] == ["."]
        assert not any("created group" in i.text or "You were added" in i.text for i in items)
        file_ids = [i.external_id for i in items]
        ids = ids or file_ids
        assert file_ids == ids, f"{name}: the same chat must give the same ids in every format"


# -- the command line ------------------------------------------------------------------------


def _rows(db: Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_cli_import_twice_then_a_later_export(tmp_path: Path) -> None:
    db = tmp_path / "wa.duckdb"
    args = ("--source", "chat", "--db", str(db), "--no-classify")
    first = run_cli("import", "whatsapp", str(WA / "android_ru.txt"), *args)
    assert first.returncode == 0, first.stderr
    rows = _rows(
        db, "SELECT author, published_at, text FROM items WHERE source = 'chat' ORDER BY published_at"
    )
    assert len(rows) == 9
    assert all(r[0] and r[1] is not None for r in rows)
    assert not any("701" in r[0] for r in rows)  # the phone-number author is hashed

    again = run_cli("import", "whatsapp", str(WA / "android_ru.txt"), *args)
    assert again.returncode == 0, again.stderr
    assert _rows(db, "SELECT count(*) FROM items WHERE source = 'chat'") == [(9,)]

    later = run_cli("import", "whatsapp", str(WA / "android_ru_later.txt"), *args)
    assert later.returncode == 0, later.stderr
    assert _rows(db, "SELECT count(*) FROM items WHERE source = 'chat'") == [(11,)]
    phones = _rows(db, "SELECT DISTINCT author FROM items WHERE author LIKE 'phone:%'")
    assert len(phones) == 1  # the same salt for both imports: one person, one hash


def test_cli_import_reports_a_malformed_line(tmp_path: Path) -> None:
    db = tmp_path / "wa.duckdb"
    result = run_cli(
        "import",
        "whatsapp",
        str(WA / "android_ru_bad.txt"),
        "--source",
        "chat",
        "--db",
        str(db),
        "--no-classify",
    )
    assert result.returncode != 0
    assert "android_ru_bad.txt:2" in result.stderr
    assert "Traceback" not in result.stderr
    assert _rows(db, "SELECT count(*), count(published_at) FROM items WHERE source = 'chat'") == [(3, 2)]


def test_cli_import_zip(tmp_path: Path) -> None:
    archive = tmp_path / "chat.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("WhatsApp Chat with Жалобы.txt", (WA / "android_ru.txt").read_text(encoding="utf-8"))
    db = tmp_path / "wa.duckdb"
    result = run_cli("import", "whatsapp", str(archive), "--source", "chat", "--db", str(db), "--no-classify")
    assert result.returncode == 0, result.stderr
    assert _rows(db, "SELECT count(*) FROM items WHERE source = 'chat'") == [(9,)]


def test_demo_export_reads_cleanly() -> None:
    demo = Path(__file__).resolve().parents[2] / "demo" / "imports" / "whatsapp-obrashcheniya.txt"
    items, errors = read(demo)
    assert errors == []
    assert len(items) == 8
    assert sum(i.author is not None and i.author.startswith("phone:") for i in items) == 3
    assert (
        items[4].text
        == "Сәлеметсіз бе! Шығыс ықшам ауданында кәріз құдығының қақпағы жоқ, балалар құлап кетуі мүмкін.\nМекенжай: Сатпаев даңғылы, 64."
    )


def test_ios_marked_content_kept_and_marked_notices_dropped(tmp_path: Path) -> None:
    mark = "\u200e"
    path = tmp_path / "chat.txt"
    path.write_text(
        f"[24.11.26, 21:07:15] Тимур: {mark}Местоположение: https://maps.example.kz/?q=49.95,82.61\n"
        f"[24.11.26, 21:07:20] Тимур: {mark}<Без медиафайлов>\n"
        f"[24.11.26, 21:07:25] Тимур: {mark}Пропущенный аудиозвонок\n"
        f"[24.11.26, 21:07:30] Тимур: {mark}Это сообщение удалено\n",
        encoding="utf-8",
    )
    items, errors = read(path)
    assert errors == []
    assert [(i.text, i.raw.get("media"), i.raw.get("deleted")) for i in items] == [
        ("Местоположение: https://maps.example.kz/?q=49.95,82.61", "location", None),
        ("", "omitted", None),
        ("", None, True),
    ]


# -- phone numbers in @-mentions -------------------------------------------------------------


def test_phone_mentions_hashed_like_the_author(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        "25.11.2026, 14:35 - +7 701 123 45 67: Во дворе снова прорвало трубу\n"
        "25.11.2026, 14:40 - Айгерим: @+7 701 123 4567, напишите адрес\n"
        "25.11.2026, 14:41 - Айгерим: @77011234567 и @+77011234567 - это вы?\n"
        "25.11.2026, 14:42 - Ерлан Б.: @+7\u00a0701\u202f123-4567 спасибо\n",
        encoding="utf-8",
    )
    items, errors = read(path)
    assert errors == []
    token = hash_phone("+7 701 123 45 67", SALT)
    assert items[0].author == token
    assert [i.text for i in items[1:]] == [
        f"@{token}, напишите адрес",
        f"@{token} и @{token} - это вы?",
        f"@{token} спасибо",
    ]
    assert not any("701" in i.text or "4567" in i.text for i in items)


@pytest.mark.parametrize(
    ("mention", "rest"),
    [
        ("\u2068+7 701 123 4567\u2069", " 5000 тг собрали?"),  # iOS: the isolate ends the number
        ("\u2068\u202a+7 701 123 4567\u202c\u2069", ", ответьте"),
        ("\u200e\u202a+7 701 123 4567\u202c", ", ответьте"),
        ("\u20688 701 123 45 67\u2069", " ок"),  # no plus: only the isolates show where it ends
    ],
)
def test_phone_mention_inside_invisible_marks(tmp_path: Path, mention: str, rest: str) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        f"[24.11.26, 21:07:15] Тимур: @{mention}{rest} @\u2068Динара\u2069 тоже\n", encoding="utf-8"
    )
    items, errors = read(path)
    assert errors == []
    token = hash_phone("+77011234567", SALT)  # each is that number: «8 701…» is its trunk form
    assert [i.text for i in items] == [f"@{token}{rest} @Динара тоже"]


def test_phone_mentions_kept_when_config_says_so_and_ids_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        "[24.11.26, 21:07:15] Тимур: @\u2068+7 701 123 4567\u2069 где это?\n"
        "[24.11.26, 21:08:00] Тимур: @77011234567 спасибо\n",
        encoding="utf-8",
    )
    kept, _ = read(path, keep_phone_numbers=True)
    hashed, _ = read(path)
    assert [i.text for i in kept] == ["@+7 701 123 4567 где это?", "@77011234567 спасибо"]
    assert all(i.text.startswith("@phone:") for i in hashed)
    assert [i.external_id for i in kept] == [i.external_id for i in hashed]


def test_numbers_that_are_not_phone_mentions_left_alone(tmp_path: Path) -> None:
    texts = [
        "Звоните на горячую линию 109 или +7 727 300 30 30",
        "Собрали @ 5 000 тг, из них @5000 тг на краску, заявка @123456",
        "Пишите на akimat@almaty.kz или info@7011234567.kz",
        "@aigerim_s и @Айгерим, приём 25.11.2026 в 14:35",
    ]
    path = tmp_path / "chat.txt"
    path.write_text(
        "".join(f"25.11.2026, 14:3{n} - Алия: {t}\n" for n, t in enumerate(texts)), encoding="utf-8"
    )
    items, errors = read(path)
    assert errors == []
    assert [i.text for i in items] == texts


@pytest.mark.parametrize(
    ("mention", "number", "rest"),
    [
        ("@+7 701 123 4567", "+77011234567", " 5000 тг собрали"),  # +7: 11 digits, not the sum
        ("@+7 (701) 123-45-67", "+77011234567", " 2 подъезд"),
        ("@+44 20 7946 0958", "+442079460958", " спасибо"),  # 12 digits abroad: the whole number
        ("@+44 20 7946 0958", "+442079460958", " 5000 тг"),  # a 16th digit is past E.164
        ("@+7 701 123 45 678", "+770112345678", " ок"),  # +7 groups past 11 digits: the E.164 rule
        ("@8 701 123 45 67", "+77011234567", " 5000 тг"),  # no plus (an iOS mention's marks lost): 11
        ("@8 (912) 345-67-89", "+79123456789", ""),  # 8 is the trunk prefix of +7
        ("@7 (701) 123-45-67", "77011234567", ", ответьте"),
    ],
)
def test_plus_number_mention_stops_where_the_number_ends(
    tmp_path: Path, mention: str, number: str, rest: str
) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(f"25.11.2026, 14:40 - Айгерим: {mention}{rest}\n", encoding="utf-8")
    items, errors = read(path)
    assert errors == []
    assert [i.text for i in items] == [f"@{hash_phone(number, SALT)}{rest}"]


def test_mention_in_trunk_form_matches_its_author(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        "25.11.2026, 14:40 - +7 701 123 4567: Во дворе опять нет воды\n"
        "25.11.2026, 14:41 - Айгерим: @8 701 123 45 67 с утра нет?\n",
        encoding="utf-8",
    )
    items, errors = read(path)
    assert errors == []
    assert items[0].author.startswith("phone:")
    assert items[1].text == f"@{items[0].author} с утра нет?"


def _phone_zip(path: Path, compression: int = zipfile.ZIP_DEFLATED, name: str = "WhatsApp Chat.txt") -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr(name, (WA / "android_ru.txt").read_text(encoding="utf-8"))
    return path


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED], ids=["deflated", "stored"]
)
def test_damaged_zip_is_one_error_naming_it(
    tmp_path: Path, compression: int, damage: Callable[[Path, str], None]
) -> None:
    # deflated: the broken stream is a zlib.error; stored: a bad CRC-32 (zipfile.BadZipFile)
    archive = _phone_zip(tmp_path / "chat.zip", compression)
    damage(archive, "WhatsApp Chat.txt")
    with pytest.raises(InputError) as caught:
        read(archive)
    assert caught.value.path == str(archive)
    assert caught.value.message.startswith("the archive is damaged (")
    assert "WhatsApp Chat.txt" in caught.value.message


@pytest.mark.parametrize("name", ["chat.zip", "chat-copy"])
def test_truncated_zip_is_not_read_as_text(tmp_path: Path, name: str) -> None:
    # zipfile no longer knows the first half of an archive; its suffix or its PK signature still tell
    whole = _phone_zip(tmp_path / "whole.zip").read_bytes()
    cut = tmp_path / name
    cut.write_bytes(whole[: len(whole) // 2])
    errors: list[InputError] = []
    with pytest.raises(InputError) as caught:
        list(whatsapp.read_export(cut, source="wa", options={"_salt": SALT}, report=errors.append))
    assert str(caught.value) == f"{cut}: truncated or damaged .zip archive"
    assert errors == []  # no line of its bytes reported as "text before the first message header"


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a directory, not a file"


def test_control_characters_of_a_member_name_are_not_echoed(tmp_path: Path) -> None:
    archive = tmp_path / "chat.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("\x1b[2Jchat.txt", "мусор в начале\n25.11.2026, 14:35 - Имя: текст\n")
    items, errors = read(archive)
    assert [i.text for i in items] == ["текст"]
    assert [str(e) for e in errors] == [
        f"{archive}:\\x1b[2Jchat.txt:1: source wa: text before the first message header"
    ]


def test_byte_order_mark_in_a_zip_and_with_the_encoding_option(tmp_path: Path) -> None:
    # Windows tools write UTF-8 with a byte-order mark first
    text = (WA / "android_ru.txt").read_text(encoding="utf-8")
    expected = [(i.external_id, i.text) for i in read(WA / "android_ru.txt")[0]]
    archive = tmp_path / "chat.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("WhatsApp Chat.txt", b"\xef\xbb\xbf" + text.encode("utf-8"))
    marked = tmp_path / "marked.txt"
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    for path, options in [(archive, {}), (marked, {"encoding": "utf-8"})]:
        items, errors = read(path, **options)
        assert errors == []
        assert [(i.external_id, i.text) for i in items] == expected


def test_cli_damaged_zip_is_one_line_and_a_failed_run(
    tmp_path: Path, damage: Callable[[Path, str], None]
) -> None:
    archive = _phone_zip(tmp_path / "chat.zip")
    damage(archive, "WhatsApp Chat.txt")
    db = tmp_path / "wa.duckdb"
    result = run_cli("import", "whatsapp", str(archive), "--source", "chat", "--db", str(db), "--no-classify")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("chat: failed - fetched 0")
    assert f"- {archive}: the archive is damaged (" in lines[0]
    assert _rows(db, "SELECT status, error FROM runs") == [("failed", lines[0].split(" - ", 2)[2])]


def test_a_utf16_chat_cut_short_is_read_up_to_the_cut(tmp_path: Path) -> None:
    chat = "25.11.2026, 09:15 - Асель: Во дворе нет воды\n25.11.2026, 09:16 - Данияр: У нас тоже\n"
    path = tmp_path / "chat.txt"
    path.write_bytes(("\ufeff" + chat).encode("utf-16-le")[:-1])  # the last byte lost
    items, errors = read(path)
    assert items[0].text == "Во дворе нет воды"
    assert len(items) == 2 and errors == []
