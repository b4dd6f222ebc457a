"""JSON Lines and WhatsApp imports read their file in chunks, never whole (a 1 GB file took 2.6 GB):
the file is never read in one call, the first item comes after a chunk or two of the pass that
yields items, and the text read so, at every chunk size, is the text that decoding it whole gave."""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from testutil import WHATSAPP_SALT

from collectors import export_text, whatsapp
from collectors.export_text import ExportText
from collectors.file_import import decode_text, read_jsonl, text_lines

CHUNK = 256


class _Counting(io.RawIOBase):
    """A binary file that counts the bytes read from it."""

    def __init__(self, fh: Any) -> None:
        self.fh, self.read_so_far = fh, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.read_so_far += len(data)
        return data

    def close(self) -> None:
        self.fh.close()
        super().close()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[_Counting]:
    """Every binary open of a file, counted; reading a file whole in one call fails the test."""
    monkeypatch.setattr(export_text, "CHUNK", CHUNK)
    files: list[_Counting] = []
    real_open = Path.open

    def counting_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(self, mode, *args, **kwargs)
        if "b" not in mode:
            return fh
        files.append(_Counting(fh))
        return files[-1]

    def whole(self: Path) -> bytes:
        raise AssertionError(f"{self.name} read whole")

    monkeypatch.setattr(Path, "open", counting_open)
    monkeypatch.setattr(Path, "read_bytes", whole)
    return files


def test_jsonl_yields_its_first_item_after_a_chunk_of_its_reading_pass(
    tmp_path: Path, opened: list[_Counting]
) -> None:
    path = tmp_path / "big.jsonl"
    lines = [
        f'{{"text": "жалоба номер {n} на воду", "published_at": "2026-11-25T10:{n % 60:02d}"}}'
        for n in range(2000)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    size = path.stat().st_size
    errors: list[Any] = []
    items = read_jsonl(path, source="files", options={}, report=errors.append)
    first = next(items)
    assert first.text == "жалоба номер 0 на воду"
    assert opened[0].read_so_far == size  # the pass that decides the encoding reads all of it
    assert opened[-1].read_so_far <= 2 * CHUNK < size // 100  # the pass that yields, a chunk or two
    assert 1 + sum(1 for _ in items) == 2000 and errors == []


def test_whatsapp_yields_its_first_message_after_a_chunk_of_its_reading_pass(
    tmp_path: Path, opened: list[_Counting]
) -> None:
    path = tmp_path / "chat.txt"
    lines = [f"25.11.2026, {n // 60 % 24:02d}:{n % 60:02d} - Асель: нет воды {n}" for n in range(1440)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    size = path.stat().st_size
    options = {"_salt": WHATSAPP_SALT}
    items = whatsapp.read_export(path, source="wa", options=options, report=lambda e: None)
    first = next(items)
    assert first.text == "нет воды 0"
    # its signature (is it a .zip?), the encoding's pass, the survey's (dates, names), the messages'
    assert len(opened) == 4 and opened[0].read_so_far == 4
    assert opened[1].read_so_far == opened[2].read_so_far == size
    assert opened[-1].read_so_far <= 2 * CHUNK < size // 100
    assert 1 + sum(1 for _ in items) == 1440


def test_a_chat_in_a_zip_is_unpacked_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_text, "CHUNK", CHUNK)
    archive = tmp_path / "chat.zip"
    chat = "".join(f"25.11.2026, 10:{n % 60:02d} - Асель: нет воды {n}\n" for n in range(600))
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("WhatsApp Chat with A.txt", chat)
    real_read = zipfile.ZipExtFile.read

    def bounded(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        assert 0 < n <= CHUNK, f"read({n}): the member read whole"
        return real_read(self, n)

    monkeypatch.setattr(zipfile.ZipExtFile, "read", bounded)
    items = list(whatsapp.read_export(archive, source="wa", options={"_salt": WHATSAPP_SALT}, report=print))
    assert [i.text for i in items] == [f"нет воды {n}" for n in range(600)]


# bytes whose reading is decided otherwise: UTF-8 with and without its mark, strays of cp1251, cp1251,
# UTF-16 with its mark, U+FFFD written in the file, line ends of every kind (a CR LF cut between chunks)
SAMPLES = {
    "utf-8": "Асель: нет воды\r\nДанияр: 😀 завтра\rконец\n\n".encode(),
    "bom": codecs.BOM_UTF8 + codecs.BOM_UTF8 + "текст\r\n".encode() * 3,
    "strays": ("строка в utf-8 " * 40).encode() + "вставка".encode("cp1251") + "\r\nещё\r".encode(),
    "cp1251": "Жалоба на дорогу\r\nи на свет\n".encode("cp1251"),
    "utf-16": codecs.BOM_UTF16_LE + "\ufeffАсель: нет\r\nводы\r".encode("utf-16-le"),
    "replacement": "знак \ufffd в файле\n".encode() * 5 + b"\xff",
    "empty": b"",
    "cut": "обрыв".encode()[:-1],
}


def _chunks(data: bytes, size: int) -> Any:
    def chunks() -> Iterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    return chunks


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64, 1 << 20])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_lines_read_in_chunks_are_those_of_the_whole_text(name: str, size: int) -> None:
    data = SAMPLES[name]
    for encoding in (None, "cp1251", "utf-8"):
        text = ExportText(_chunks(data, size), encoding)
        assert list(text.lines()) == list(text_lines(decode_text(data, encoding))), (name, size, encoding)
    utf16 = "25.11.2026, 09:15 - Асель: нет воды\r\n".encode("utf-16-le") * 20
    text = ExportText(_chunks(utf16, size), None, guess=whatsapp._utf16_without_mark)
    assert list(text.lines()) == list(text_lines(decode_text(utf16, "utf-16-le")))
