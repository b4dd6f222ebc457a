"""A small XLSX (Office Open XML spreadsheet) writer for the exports: text, numbers and dates only.

An XLSX file is a zip of XML parts: content types, relationships, the workbook, a style sheet and
one part per sheet. The data sheet is written a page of rows at a time into its zip entry as the
rows come (:class:`Workbook`, :class:`TableSheet`), so that what the writer holds is one page, not
the sheet: strings go in as inline strings, not through a shared string table, which would hold
every distinct text until the end (about 6 KiB a row in all). Each page is built a column at a time
and joined once per row, and the zip is deflated at a low level: several times faster than a
general-purpose writer for the same cells. Text always goes in as a string (never a formula),
cleaned of characters that XML cannot carry, cut at Excel's 32,767-character cell limit, with
carriage returns and literal ``_xHHHH_`` sequences escaped the way Excel reads them back.
"""

from __future__ import annotations

import contextlib
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from errors import InputError

CELL_MAX = 32767  # Excel's limit on one cell, in UTF-16 code units
# Excel's dates, 1900-01-01 up to 10000-01-01, as wall-clock seconds since 1970: it shows a date
# number outside them as ####, and LibreOffice shows one before 1900 a day late.
FIRST_DATE, END_DATE = -2_208_988_800, 253_402_300_800
MAX_ROWS = 1_048_576
ZIP_LEVEL = 1  # the sheet XML is repetitive: level 1 is several times faster and barely larger

# Style indexes (cellXfs of STYLES below).
PLAIN, BOLD, TEXT, DATE, SCORE, NUMBER = range(6)

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

STYLES = (
    f'{_DECL}<styleSheet xmlns="{_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="0.000"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

# XML 1.0 cannot carry C0 controls other than tab, newline and carriage return, nor lone
# surrogates: they are dropped. (U+FFFE and U+FFFF go in as Excel's _xFFFE_ and _xFFFF_ escapes.)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# What needs more than a plain copy: XML markup characters, CR (an XML parser would turn it into a
# newline; Excel writes it as _x000D_), literal _xHHHH_ (Excel would decode it), anything illegal.
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")
_RARE_BESIDE_NUL = re.compile("[\r\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")
_ESCAPED_LITERAL = re.compile("(_x[0-9A-Fa-f]{4}_)")


def clean_text(value: str) -> str:
    """A string as a cell may hold it: illegal characters dropped, cut to Excel's cell limit (in
    UTF-16 units) with "…" as its last character when it is longer."""
    value = _ILLEGAL.sub("", value)
    if len(value) <= CELL_MAX // 2:
        return value
    data = value.encode("utf-16-le")
    if len(data) <= 2 * CELL_MAX:
        return value
    # Characters beyond U+FFFF (emoji) take two UTF-16 units of Excel's limit; "…" takes one. The
    # first CELL_MAX - 1 units, less the first half of an emoji cut in two.
    data = data[: 2 * (CELL_MAX - 1)]
    if 0xD800 <= int.from_bytes(data[-2:], "little") <= 0xDBFF:
        data = data[:-2]
    return data.decode("utf-16-le") + "…"


def cut_at_cell_limit(value: str) -> bool:
    """Whether :func:`clean_text` cuts ``value`` at Excel's cell limit."""
    return len(value) > CELL_MAX // 2 and len(_ILLEGAL.sub("", value).encode("utf-16-le")) // 2 > CELL_MAX


def _xml_text(value: str) -> str:
    # Cell text: cleaned, XML-escaped, Excel's own escapes for CR and literal _xHHHH_.
    if _SPECIAL.search(value) is None and len(value) <= CELL_MAX // 2:
        return value
    value = clean_text(value)
    value = _ESCAPED_LITERAL.sub(r"_x005F\1", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("\r", "_x000D_").replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def column_letter(index: int) -> str:
    """The column letters of a zero-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_width(chars: float) -> float:
    """The stored width of a column that shows ``chars`` digits of the default font (7 px each, 5 px padding)."""
    pixels = int(chars * 7 + 0.5) + 5
    return (pixels * 256 // 7) / 256


def excel_serial(wall_seconds: int) -> float:
    """A spreadsheet date number (days since 1899-12-30, 1900 date system) of a wall-clock time."""
    days, seconds = divmod(wall_seconds, 86400)
    serial = (days + 25568) + seconds / 86400  # days counted from 1899-12-31 (1900-01-01 is day 1) ...
    if serial > 59:  # ... and one more from March 1900 on, for the leap day 1900 never had
        serial += 1
    return serial


@dataclass(slots=True)
class Column:
    """One column of a table sheet: header, width in characters and kind of its values."""

    header: str
    width: float
    kind: str  # "text", "date" (wall-clock seconds since 1970, or a text), "score" (0.000) or "number"


class Workbook:
    """An XLSX file written to a binary stream as it goes: the sheets named ``names``, added in that
    order, a table sheet a page of rows at a time (:meth:`table`), so that only one page is held.

    Strings go in as inline strings (no shared string table, which would hold every text until the
    end). Use as a context manager; the workbook part is written when it closes.
    """

    def __init__(self, out: IO[bytes], names: Sequence[str]) -> None:
        self.names = list(names)
        self.filters: dict[int, str] = {}  # sheet index -> the range its header filters
        self.archive = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL)
        self._put("[Content_Types].xml", _content_types(len(self.names)))
        self._put(
            "_rels/.rels",
            f'{_DECL}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        self._put("xl/styles.xml", STYLES)
        self.added = 0

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            with contextlib.suppress(Exception):  # the error that ended the writing is the one to see
                self.archive.close()
            return
        self._put("xl/workbook.xml", self._workbook())
        self._put("xl/_rels/workbook.xml.rels", _workbook_rels(len(self.names)))
        self.archive.close()

    def table(self, columns: Sequence[Column], rows: int) -> TableSheet:
        """The next sheet: a bold, frozen, filterable header row above ``rows`` rows, which
        :meth:`TableSheet.add` writes a page at a time (``rows`` must be what it is given)."""
        if rows + 1 > MAX_ROWS:
            raise ValueError(f"{rows} rows do not fit in one sheet")
        number = self._next()
        end = column_letter(len(columns) - 1)
        self.filters[number] = f"$A$1:${end}${rows + 1}"
        return TableSheet(self.archive, _part(number), columns, rows)

    def add_pairs(self, pairs: Sequence[tuple[str, Any]], widths: tuple[float, float]) -> None:
        """The next sheet: two columns of (name, value) rows, whole numbers as numbers, the rest as text."""
        rows = []
        for r, (key, value) in enumerate(pairs, start=1):
            if isinstance(value, int):
                second = f'<c r="B{r}"><v>{value}</v></c>'
            else:
                second = f'<c r="B{r}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(str(value))}</t></is></c>'
            first = (
                f'<c r="A{r}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(str(key))}</t></is></c>'
            )
            rows.append(f'<row r="{r}">{first}{second}</row>')
        xml = (
            f'{_DECL}<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}"><dimension ref="A1:B{max(1, len(rows))}"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{_cols(widths)}'
            f"<sheetData>{''.join(rows)}</sheetData>{_MARGINS}</worksheet>"
        )
        self._put(_part(self._next()), xml)

    def _next(self) -> int:
        if self.added == len(self.names):
            raise ValueError(f"the workbook has {len(self.names)} sheets")
        self.added += 1
        return self.added

    def _put(self, name: str, text: str) -> None:
        self.archive.writestr(_info(name), text.encode("utf-8"), compresslevel=ZIP_LEVEL)

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>'
            for n, name in enumerate(self.names, start=1)
        )
        defined = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n - 1}" hidden="1">'
            f"{self.names[n - 1]}!{ref}</definedName>"
            for n, ref in self.filters.items()
        )
        return (
            f'{_DECL}<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets}</sheets>{f'<definedNames>{defined}</definedNames>' if defined else ''}</workbook>"
        )


class TableSheet:
    """A table sheet being written: :meth:`add` one page of rows after another, then close it (a
    context manager). The zip entry is opened with the first page, whose size tells whether the
    sheet may pass what a zip entry holds without ZIP64 (which Excel refuses where not needed)."""

    def __init__(self, archive: zipfile.ZipFile, part: str, columns: Sequence[Column], rows: int) -> None:
        self.archive, self.part, self.columns, self.rows = archive, part, list(columns), rows
        self.written = 0  # data rows
        self.size = 0  # bytes of XML
        self.entry: IO[bytes] | None = None
        self.zip64 = False
        self.letters = [column_letter(i) for i in range(len(self.columns))]

    def __enter__(self) -> TableSheet:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            if self.entry is not None:
                with contextlib.suppress(Exception):  # the error that ended the writing is the one to see
                    self.entry.close()
            return
        if self.written != self.rows:
            raise ValueError(f"the sheet was said to have {self.rows} rows; {self.written} were written")
        if self.entry is None:
            self._open(0)
        self._write(f'</sheetData><autoFilter ref="A1:{self._last()}"/>{_MARGINS}</worksheet>')
        assert self.entry is not None
        self.entry.close()

    def add(self, values: Sequence[Sequence[Any]], row_lines: Sequence[int]) -> None:
        """One page of rows: ``values`` per column (None = empty), ``row_lines`` each row's height in
        lines of text (1 = the default height)."""
        first = self.written + 2
        numbers = [str(r) for r in range(first, first + len(row_lines))]
        cells = [
            _column_cells(letter, col.kind, column, numbers)
            for letter, col, column in zip(self.letters, self.columns, values, strict=True)
        ]
        heights = ["" if n <= 1 else f' ht="{15 * n}" customHeight="1"' for n in row_lines]
        page = "".join(
            f'<row r="{r}"{h}>{"".join(row)}</row>'
            for r, h, row in zip(numbers, heights, zip(*cells, strict=True), strict=True)
        )
        self.written += len(row_lines)
        if self.written > self.rows:
            raise ValueError(f"the sheet was said to have {self.rows} rows; more were given")
        data = page.encode("utf-8")
        if self.entry is None:
            self._open(len(data) * self.rows / max(1, len(row_lines)))
        self._write(data)

    def _last(self) -> str:
        return f"{self.letters[-1]}{self.rows + 1}"

    def _open(self, estimate: float) -> None:
        # ZIP64 only where the sheet may need it (Excel refuses it where not needed): four times the
        # size its first page foretells, room for longer texts further down.
        zip64 = 4 * estimate > zipfile.ZIP64_LIMIT
        self.entry = self.archive.open(_info(self.part), "w", force_zip64=zip64)
        self.zip64 = zip64
        header = "".join(
            f'<c r="{letter}1" s="{BOLD}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(col.header)}</t></is></c>'
            for letter, col in zip(self.letters, self.columns, strict=True)
        )
        self._write(
            f'{_DECL}<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}"><dimension ref="A1:{self._last()}"/>'
            '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{_cols([c.width for c in self.columns])}'
            f'<sheetData><row r="1">{header}</row>'
        )

    def _write(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.size += len(data)
        if not self.zip64 and self.size > zipfile.ZIP64_LIMIT:
            # zipfile would say so only once the whole sheet is written.
            raise InputError(
                f"the sheet's rows take more than {zipfile.ZIP64_LIMIT / 2**30:.0f} GiB of XML, more than its "
                "first rows foretold; narrow the filters, or export csv or parquet"
            )
        assert self.entry is not None
        self.entry.write(data)


_MARGINS = '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'


def _info(name: str) -> zipfile.ZipInfo:
    # A fixed time: the same cells make the same file.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    # What writestr sets from its argument; ZipFile.open takes it from the ZipInfo (3.13: compress_level).
    info._compresslevel = ZIP_LEVEL
    return info


def _part(number: int) -> str:
    return f"xl/worksheets/sheet{number}.xml"


def _content_types(sheets: int) -> str:
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = "".join(
        f'<Override PartName="/{_part(n)}" ContentType="{main}.worksheet+xml"/>' for n in range(1, sheets + 1)
    )
    return (
        f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>'
        f"{parts}</Types>"
    )


def _workbook_rels(sheets: int) -> str:
    rels = [
        f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, sheets + 1)
    ]
    rels.append(f'<Relationship Id="rId{sheets + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>')
    return f'{_DECL}<Relationships xmlns="{_PKG_REL_NS}">{"".join(rels)}</Relationships>'


def _cols(widths: Sequence[float]) -> str:
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{column_width(w):.16g}" customWidth="1"/>'
        for n, w in enumerate(widths, start=1)
    )
    return f"<cols>{cols}</cols>"


def _xml_texts(values: Sequence[Any]) -> list[str | None]:
    # _xml_text of each text (None stays None). Usually no text needs more than & < > escaped: one
    # search over them all joined by NUL (which no text may hold: counted) says so, and then they
    # are escaped by a few replaces on that string.
    present = [v for v in values if v is not None]
    joined = "\x00".join(present)
    if (
        _RARE_BESIDE_NUL.search(joined) is None
        and joined.count("\x00") == len(present) - 1  # no NUL but the separators
        and max(map(len, present), default=0) <= CELL_MAX // 2
    ):
        escaped = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split("\x00")
    else:
        escaped = [_xml_text(v) for v in present]
    if len(present) == len(values):
        return escaped
    texts = iter(escaped)
    return [None if v is None else next(texts) for v in values]


def _column_cells(letter: str, kind: str, values: Sequence[Any], numbers: list[str]) -> list[str]:
    # One XML <c> per value of a column ("" for an empty cell): the inner loop of the writer.
    head = f'<c r="{letter}'
    text = f'" s="{TEXT}" t="inlineStr"><is><t xml:space="preserve">'
    if kind == "text":
        return [
            "" if t is None else f"{head}{r}{text}{t}</t></is></c>"
            for t, r in zip(_xml_texts(values), numbers, strict=True)
        ]
    style = {"date": DATE, "score": SCORE, "number": NUMBER}[kind]
    tail = f'" s="{style}"><v>'
    if kind == "date":
        return [
            ""
            if v is None
            else f"{head}{r}{text}{_xml_text(v)}</t></is></c>"
            if v.__class__ is str
            else f"{head}{r}{tail}{excel_serial(v):.16G}</v></c>"
            for v, r in zip(values, numbers, strict=True)
        ]
    return [
        ""
        if v is None or (isinstance(v, float) and not math.isfinite(v))
        else f"{head}{r}{tail}{v if v.__class__ is int and abs(v) < 10**15 else f'{v:.16G}'}</v></c>"
        for v, r in zip(values, numbers, strict=True)
    ]
