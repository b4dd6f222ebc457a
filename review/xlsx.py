"""A small XLSX (Office Open XML spreadsheet) writer for the exports: text, numbers and dates only.

An XLSX file is a zip of XML parts: content types, relationships, the workbook, a style sheet, one
shared string table and one part per sheet. The data sheet is built a column at a time and joined
once per row, and the zip is deflated at a low level: several times faster than a general-purpose
writer for the same cells. Text always goes in as a string (never a formula), cleaned of characters
that XML cannot carry, cut at Excel's 32,767-character cell limit, with carriage returns and literal
``_xHHHH_`` sequences escaped the way Excel reads them back.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

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
_RARE = re.compile("[\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")
_ESCAPED_LITERAL = re.compile("(_x[0-9A-Fa-f]{4}_)")


def clean_text(value: str) -> str:
    """A string as a cell may hold it: illegal characters dropped, cut to Excel's cell limit."""
    value = _ILLEGAL.sub("", value)
    if len(value) > CELL_MAX:
        value = value[: CELL_MAX - 1] + "…"
    if len(value) > CELL_MAX // 2 and len(value.encode("utf-16-le")) // 2 > CELL_MAX:
        # Characters beyond U+FFFF (emoji) take two UTF-16 units of Excel's limit.
        units = 0
        for index, char in enumerate(value):
            units += 2 if ord(char) > 0xFFFF else 1
            if units > CELL_MAX:
                value = value[:index]
                break
    return value


def cut_at_cell_limit(value: str) -> bool:
    """Whether :func:`clean_text` cuts ``value`` at Excel's cell limit."""
    return len(value) > CELL_MAX // 2 and len(_ILLEGAL.sub("", value).encode("utf-16-le")) // 2 > CELL_MAX


def _xml_text(value: str) -> str:
    # Shared-string text: cleaned, XML-escaped, Excel's own escapes for CR and literal _xHHHH_.
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


class SharedStrings:
    """The workbook's shared string table: each distinct text stored once, cells refer by index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.refs = 0

    def add(self, value: str) -> int:
        """The index of ``value`` (added when new)."""
        self.refs += 1
        return self.index.setdefault(value, len(self.index))

    def indexes(self, values: Sequence[str | None]) -> list[int | None]:
        """The index of each value (None stays None): :meth:`add` for a whole column at once."""
        index = self.index
        found = index.setdefault
        out = [None if v is None else found(v, len(index)) for v in values]
        self.refs += len(out) - out.count(None)
        return out

    def xml(self) -> str:
        """The sharedStrings part."""
        strings = list(self.index)
        # Usually no text needs more than & < > escaped: one search over all of them says so, and
        # then the whole table is escaped and tagged by a few replaces on one joined string (NUL,
        # the separator, cannot be in a text that passed the search).
        if _RARE.search("\n".join(strings)) is None and max(map(len, strings), default=0) <= CELL_MAX // 2:
            joined = "\x00".join(strings).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        else:
            joined = "\x00".join(_xml_text(v) for v in strings)
        # xml:space="preserve" on every text: leading and trailing spaces and newlines stay.
        items = joined.replace("\x00", '</t></si><si><t xml:space="preserve">')
        body = f'<si><t xml:space="preserve">{items}</t></si>' if strings else ""
        head = f'{_DECL}<sst xmlns="{_NS}" count="{self.refs}" uniqueCount="{len(strings)}">'
        return head + body + "</sst>"


@dataclass(slots=True)
class Column:
    """One column of the data sheet: header, width in characters, kind and values (None = empty)."""

    header: str
    width: float
    kind: str  # "text", "date" (wall-clock seconds since 1970, or a text), "score" (0.000) or "number"
    values: Sequence[Any]


@dataclass(slots=True)
class Sheet:
    """A finished worksheet part."""

    name: str
    xml: str
    filter_ref: str | None = None


@dataclass(slots=True)
class Workbook:
    """Sheets sharing one string table, written out as one XLSX file."""

    strings: SharedStrings = field(default_factory=SharedStrings)
    sheets: list[Sheet] = field(default_factory=list)

    def add_table(self, name: str, columns: Sequence[Column], row_lines: Sequence[int]) -> None:
        """A sheet with a bold, frozen, filterable header row and one row per value of the columns.

        ``row_lines`` gives each data row's height in lines of text (1 = the default height).
        """
        rows = len(row_lines)
        if rows + 1 > MAX_ROWS:
            raise ValueError(f"{rows} rows do not fit in one sheet")
        numbers = [str(r) for r in range(2, rows + 2)]
        add = self.strings.add
        header = "".join(
            f'<c r="{column_letter(i)}1" s="{BOLD}" t="s"><v>{add(col.header)}</v></c>'
            for i, col in enumerate(columns)
        )
        cells = [_column_cells(column_letter(i), col, numbers, self.strings) for i, col in enumerate(columns)]
        heights = ["" if n <= 1 else f' ht="{15 * n}" customHeight="1"' for n in row_lines]
        body = [
            f'<row r="{r}"{h}>{"".join(row)}</row>'
            for r, h, row in zip(numbers, heights, zip(*cells, strict=True), strict=True)
        ]
        end = column_letter(len(columns) - 1)
        last = f"{end}{rows + 1}"
        xml = (
            f'{_DECL}<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}"><dimension ref="A1:{last}"/>'
            '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{_cols([c.width for c in columns])}'
            f'<sheetData><row r="1">{header}</row>{"".join(body)}</sheetData>'
            f'<autoFilter ref="A1:{last}"/>{_MARGINS}</worksheet>'
        )
        self.sheets.append(Sheet(name, xml, f"$A$1:${end}${rows + 1}"))

    def add_pairs(self, name: str, pairs: Sequence[tuple[str, Any]], widths: tuple[float, float]) -> None:
        """A two-column sheet of (name, value) rows: whole numbers as numbers, the rest as text."""
        add = self.strings.add
        rows = []
        for r, (key, value) in enumerate(pairs, start=1):
            if isinstance(value, int):
                second = f'<c r="B{r}"><v>{value}</v></c>'
            else:
                second = f'<c r="B{r}" t="s"><v>{add(str(value))}</v></c>'
            rows.append(f'<row r="{r}"><c r="A{r}" t="s"><v>{add(str(key))}</v></c>{second}</row>')
        xml = (
            f'{_DECL}<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}"><dimension ref="A1:B{max(1, len(rows))}"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{_cols(widths)}'
            f"<sheetData>{''.join(rows)}</sheetData>{_MARGINS}</worksheet>"
        )
        self.sheets.append(Sheet(name, xml))

    def write(self, out: IO[bytes]) -> None:
        """The XLSX file to a binary stream."""
        parts = {
            "[Content_Types].xml": self._content_types(),
            "_rels/.rels": (
                f'{_DECL}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
                f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": self._workbook(),
            "xl/_rels/workbook.xml.rels": self._workbook_rels(),
            "xl/styles.xml": STYLES,
            "xl/sharedStrings.xml": self.strings.xml(),
        }
        for number, sheet in enumerate(self.sheets, start=1):
            parts[f"xl/worksheets/sheet{number}.xml"] = sheet.xml
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as archive:
            for name, text in parts.items():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text.encode("utf-8"), compresslevel=ZIP_LEVEL)

    def _content_types(self) -> str:
        main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{main}.worksheet+xml"/>'
            for n in range(1, len(self.sheets) + 1)
        )
        return (
            f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{main}.sharedStrings+xml"/>'
            f"{sheets}</Types>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{s.name}" sheetId="{n}" r:id="rId{n}"/>'
            for n, s in enumerate(self.sheets, start=1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
            f"{s.name}!{s.filter_ref}</definedName>"
            for n, s in enumerate(self.sheets)
            if s.filter_ref
        )
        return (
            f'{_DECL}<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets}</sheets>{f'<definedNames>{names}</definedNames>' if names else ''}</workbook>"
        )

    def _workbook_rels(self) -> str:
        rels = [
            f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(self.sheets) + 1)
        ]
        count = len(self.sheets)
        rels.append(f'<Relationship Id="rId{count + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>')
        rels.append(
            f'<Relationship Id="rId{count + 2}" Type="{_REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
        )
        return f'{_DECL}<Relationships xmlns="{_PKG_REL_NS}">{"".join(rels)}</Relationships>'


_MARGINS = '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'


def _cols(widths: Sequence[float]) -> str:
    cols = "".join(
        f'<col min="{n}" max="{n}" width="{column_width(w):.16g}" customWidth="1"/>'
        for n, w in enumerate(widths, start=1)
    )
    return f"<cols>{cols}</cols>"


def _column_cells(letter: str, col: Column, numbers: list[str], strings: SharedStrings) -> list[str]:
    # One XML <c> per value of a column ("" for an empty cell): the inner loop of the writer.
    head = f'<c r="{letter}'
    if col.kind == "text":
        tail = f'" s="{TEXT}" t="s"><v>'
        return [
            "" if i is None else f"{head}{r}{tail}{i}</v></c>"
            for i, r in zip(strings.indexes(col.values), numbers, strict=True)
        ]
    style = {"date": DATE, "score": SCORE, "number": NUMBER}[col.kind]
    tail = f'" s="{style}"><v>'
    if col.kind == "date":
        text = f'" s="{TEXT}" t="s"><v>'
        return [
            ""
            if v is None
            else f"{head}{r}{text}{strings.add(v)}</v></c>"
            if v.__class__ is str
            else f"{head}{r}{tail}{excel_serial(v):.16G}</v></c>"
            for v, r in zip(col.values, numbers, strict=True)
        ]
    return [
        ""
        if v is None or (isinstance(v, float) and not math.isfinite(v))
        else f"{head}{r}{tail}{v if v.__class__ is int and abs(v) < 10**15 else f'{v:.16G}'}</v></c>"
        for v, r in zip(col.values, numbers, strict=True)
    ]
