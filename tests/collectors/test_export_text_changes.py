"""A file that grows between the passes over it (a chat still being written when the import began)
imports without a crash: the encoding decided in the first pass reads what was added with
replacement characters, not a UnicodeDecodeError that failed the run (review RV2)."""

from __future__ import annotations

from pathlib import Path

from collectors.export_text import ExportText, file_chunks


def test_bytes_added_after_the_first_pass_do_not_crash_the_next(tmp_path: Path) -> None:
    path = tmp_path / "grows.jsonl"
    path.write_bytes('{"text": "привет"}\n'.encode())
    text = ExportText(file_chunks(path), None)  # the first pass: clean UTF-8
    with path.open("ab") as fh:
        fh.write(b'{"text": "\xd0')  # half a character: the writer is not done
    lines = list(text.lines())
    assert lines[0] == '{"text": "привет"}'
    assert lines[1] == '{"text": "\ufffd'
