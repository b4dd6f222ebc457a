"""An export file's text read in chunks, never whole (JSON Lines and WhatsApp imports).

:class:`ExportText` decides the encoding as :func:`collectors.file_import.decode_text` does for the
whole file, in a first pass over its bytes that keeps only counts, then gives the text's lines as
:func:`collectors.file_import.text_lines` gives them, one at a time, as often as asked (each time a
new read of the file): memory holds a chunk and a line, not the file, its text and its lines (a
200 MB chat export took 1.1 GB, a 1 GB JSON Lines file 2.6 GB).

The decision, as for the whole bytes: the ``encoding`` given (undecodable bytes replaced), else
UTF-16 after its byte-order mark, else the encoding ``guess`` names from the first 4,096 bytes (a
WhatsApp export's UTF-16 without its mark), else UTF-8 when every byte decodes, else UTF-8 with its
few stray bytes read as cp1251 (``collectors.http_body.utf8_with_strays``: the same share of the
non-ASCII bytes, counted over the whole file), else cp1251. One U+FEFF that opens the text is dropped.
The first pass reads every byte, so a file that cannot be read, or an archive member that is damaged
or unpacks past ``MAX_MEMBER``, fails there, before any line is read, with the error reading it whole
gave.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from collectors.file_import import (
    MAX_MEMBER,
    UNREADABLE_MEMBER,
    check_input_file,
    member_error,
    printable,
    shown_path,
)
from collectors.http_body import STRAY_SHARE
from errors import InputError

CHUNK = 1 << 20  # bytes read at a time
HEAD = 4096  # bytes a guess of the encoding sees, as it saw of the whole file
_ASCII = bytes(range(128))
_REPLACEMENT = "\ufffd".encode()
_LINE_END = re.compile(r"\r\n|\r|\n")

Chunks = Callable[[], Iterator[bytes]]  # a new read of the file's bytes from its start


def file_chunks(path: Path) -> Chunks:
    """The bytes of a file in chunks; InputError naming it when it is missing, a directory or
    unreadable (as ``file_import.read_input`` says it)."""
    check_input_file(path)

    def chunks() -> Iterator[bytes]:
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    yield chunk
        except OSError as exc:
            raise InputError(f"cannot read the file: {exc.strerror or exc}", path=shown_path(path)) from None

    return chunks


def member_chunks(archive: zipfile.ZipFile, member: zipfile.ZipInfo | str, path: Path) -> Chunks:
    """The unpacked bytes of a member of ``archive`` in chunks, with the errors of
    ``file_import.read_member``: damaged, cannot be unpacked, or more than ``MAX_MEMBER`` bytes."""
    name = member.filename if isinstance(member, zipfile.ZipInfo) else member

    def chunks() -> Iterator[bytes]:
        size = 0
        try:
            with archive.open(member) as fh:
                while size <= MAX_MEMBER and (chunk := fh.read(min(CHUNK, MAX_MEMBER + 1 - size))):
                    size += len(chunk)
                    if size > MAX_MEMBER:
                        break
                    yield chunk
        except UNREADABLE_MEMBER as exc:
            raise member_error(exc, name, path) from None
        if size > MAX_MEMBER:
            message = (
                f"{printable(name)} unpacks to more than {MAX_MEMBER // 2**20} MB, more than any export holds"
            )
            raise InputError(message, path=shown_path(path))

    return chunks


class ExportText:
    """The text of an export file, read in chunks (see the module's notes)."""

    def __init__(
        self,
        chunks: Chunks,
        encoding: str | None = None,
        guess: Callable[[bytes], str | None] | None = None,
    ) -> None:
        self._chunks = chunks
        head = b""
        stray = literal = wide = 0
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        tail = b""  # the last bytes of the chunk before: a U+FFFD written in the file may span two
        for chunk in chunks():  # every byte read: a read or unpacking error shows here, before any line
            if len(head) < HEAD:
                head += chunk[: HEAD - len(head)]
            if encoding is None:
                stray += decoder.decode(chunk).count("\ufffd")
                literal += (tail + chunk).count(_REPLACEMENT)
                tail = (tail + chunk)[-2:]
                wide += len(chunk.translate(None, _ASCII))  # bytes past ASCII
        stray += decoder.decode(b"", final=True).count("\ufffd")
        stray -= literal
        if encoding:
            self.codec, self.errors = encoding, "replace"
        elif head.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
            self.codec, self.errors = "utf-16", "replace"
        elif guess is not None and (guessed := guess(head)):
            self.codec, self.errors = guessed, "replace"
        elif not stray:  # "replace", not "strict": the same text, and no crash on a file appended since
            self.codec, self.errors = "utf-8-sig", "replace"
        elif stray <= STRAY_SHARE * wide:  # mostly UTF-8, a few lines pasted from a cp1251 file
            self.codec, self.errors = "utf-8", "monitor-cp1251"
        else:  # Windows exports in Russian
            self.codec, self.errors = "cp1251", "replace"
        codecs.lookup_error(self.errors)  # registered (collectors.http_body registers monitor-cp1251)

    def pieces(self) -> Iterator[str]:
        """The decoded text in pieces, its opening U+FEFF dropped."""
        decoder = codecs.getincrementaldecoder(self.codec)(self.errors)
        opening = True
        for chunk in self._chunks():
            piece = decoder.decode(chunk)
            if opening and piece:
                piece, opening = piece.removeprefix("\ufeff"), False
            yield piece
        piece = decoder.decode(b"", final=True)
        yield piece.removeprefix("\ufeff") if opening else piece

    def head(self, size: int = HEAD) -> str:
        """The first ``size`` characters of the text (what ``refuse_binary`` looks at)."""
        parts: list[str] = []
        have = 0
        for piece in self.pieces():
            parts.append(piece)
            have += len(piece)
            if have >= size:
                break
        return "".join(parts)[:size]

    def lines(self) -> Iterator[str]:
        """The lines of the text, one at a time, as ``file_import.text_lines`` gives them: ended by LF,
        CR LF or a lone CR (a CR that ends a chunk waits for the next one's first character)."""
        held = ""  # a CR that ended the piece before: the next may open with its LF
        parts: list[str] = []  # the line so far (a line may span many chunks)
        for piece in self.pieces():
            piece = held + piece
            held = ""
            if piece.endswith("\r"):
                held, piece = "\r", piece[:-1]
            start = 0
            for end in _LINE_END.finditer(piece):
                parts.append(piece[start : end.start()])
                yield "".join(parts)
                parts = []
                start = end.end()
            if start < len(piece):
                parts.append(piece[start:])
        if held:
            yield "".join(parts)
            parts = []
        yield "".join(parts)
