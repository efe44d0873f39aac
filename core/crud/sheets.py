"""Read an uploaded workbook without letting it take the app down.

An .xlsx is a zip of XML: 0.3 MB can expand to two million rows, and openpyxl would parse
every one before an import could say no. So, in this order:

1. ``open_sheet`` checks the upload's size and the zip's declared uncompressed size and
   compression ratio (``zipfile`` never yields more than a member declares, so the
   declaration bounds the work) before openpyxl sees the file;
2. a light pre-pass over the first sheet's XML, decompressed in 1 MB chunks and scanned with
   two byte patterns (no XML parse, flat memory), counts the rows, stopping at the limit, and
   collects the merged ranges, which openpyxl's read-only mode does not expose and which sit
   after the rows in the file;
3. ``Sheet.rows`` streams the rows (``read_only=True``), filling each merged range with its
   top-left value, as the sheet shows it, while only the ranges still open are held.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from core.config import Settings, get_settings
from core.crud.cells import read_cell
from core.i18n import Translatable

MB = 1_000_000
#: Uncompressed size past which the compression ratio is checked; real workbooks compress
#: about 10-fold (a 10,000-row sheet: 5.2 MB of XML in 0.5 MB), zip bombs by hundreds.
RATIO_FLOOR = 16 * MB
MAX_RATIO = 100
MAX_MERGED = 100_000
HEADER_SEARCH = 10  # rows searched for the header: titles and notes come first in users' files
HEAD_COLUMNS = 1024  # columns searched for the header; the body is read as wide as it
CHUNK = 1 << 20
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+\d+(?::[A-Z]+\d+)?)\"")
_TAG_TAIL = 4096  # longest tag kept across chunks; longer text holds no tag we look for
_FACTOR = re.compile(r"^[A-Za-z]{1,2}\s*[=:]\s*(.+)$")


class Refused(Translatable):
    """The file is not read at all: too big, a zip bomb, not a workbook, too many rows."""


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    unzipped_bytes: int
    rows: int

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Limits:
        s = settings or get_settings()
        return cls(s.import_max_file_mb * MB, s.import_max_unzipped_mb * MB, s.import_max_rows)


def _check_archive(data: bytes, limits: Limits) -> None:
    if len(data) > limits.file_bytes:
        raise Refused("import.too_large", size=_mb(len(data)), limit=_mb(limits.file_bytes))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise Refused("import.csv_file" if _looks_like_text(data) else "import.not_excel")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = zf.infolist()
    unzipped = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if unzipped > limits.unzipped_bytes:
        raise Refused(
            "import.too_large_unzipped", size=_mb(unzipped), limit=_mb(limits.unzipped_bytes)
        )
    if unzipped > RATIO_FLOOR and unzipped / packed > MAX_RATIO:
        raise Refused("import.zip_bomb", ratio=round(unzipped / packed), limit=MAX_RATIO)


def _mb(size: int) -> str:
    return f"{size / MB:.1f}"


def _looks_like_text(data: bytes) -> bool:
    """A CSV or TSV saved by Excel or WPS (UTF-8 or GBK): told apart to say "save as .xlsx"."""
    head = data[:4096]
    for codec in ("utf-8-sig", "gb18030"):
        try:
            text = head.decode(codec)
        except UnicodeDecodeError:
            continue
        return "\x00" not in text and any(sep in text for sep in (",", "\t", ";"))
    return False


@dataclass(frozen=True)
class Scan:
    rows: int
    merged: tuple[tuple[int, int, int, int], ...]  # (min_col, min_row, max_col, max_row)


def _scan(source: Any, max_rows: int) -> Scan:
    """Rows (self-closing, i.e. empty, ones aside) and merged ranges of a sheet's XML."""
    rows, merged, tail = 0, [], b""
    while chunk := source.read(CHUNK):
        buf = tail + chunk
        cut = buf.rfind(b"<")
        body, tail = buf[:cut], buf[cut:]
        if len(tail) > _TAG_TAIL:
            body, tail = buf, b""
        rows += sum(not m.group().endswith(b"/>") for m in _ROW.finditer(body))
        if rows > max_rows + HEADER_SEARCH:  # titles and the header come on top
            raise Refused("import.too_many_rows", limit=max_rows)
        for m in _MERGE.finditer(body):
            bounds = range_boundaries(m.group(1).decode())
            if bounds[1] != bounds[3] or bounds[0] != bounds[2]:
                merged.append(bounds)
        if len(merged) > MAX_MERGED:
            raise Refused("import.too_many_merged", limit=MAX_MERGED)
    return Scan(rows, tuple(merged))  # type: ignore[arg-type]


class _Merged:
    """Fills merged ranges row by row: a range opens at its top row, taking the top-left
    value, and is dropped after its bottom row, so memory is the ranges open at one row."""

    def __init__(self, ranges: tuple[tuple[int, int, int, int], ...]) -> None:
        self._starts: dict[int, list[tuple[int, int, int]]] = {}
        for c1, r1, c2, r2 in ranges:
            self._starts.setdefault(r1, []).append((c1, c2, r2))
        self._open: list[tuple[int, int, int, Any]] = []

    def fill(self, row_no: int, row: tuple[Any, ...], width: int) -> tuple[Any, ...]:
        self._open = [o for o in self._open if o[2] >= row_no]
        starts = self._starts.pop(row_no, ())
        if not starts and not self._open:
            return row
        cells = list(row)
        for c1, c2, r2 in starts:
            top_left = cells[c1 - 1] if c1 <= len(cells) else None
            if top_left is not None:
                self._open.append((c1, c2, r2, top_left))
        for c1, c2, _, value in self._open:
            last = min(c2, width)
            cells.extend([None] * (last - len(cells)))
            for i in range(c1 - 1, last):
                if cells[i] is None or cells[i] == "":
                    cells[i] = value
        return tuple(cells)


@dataclass
class Sheet:
    """The first worksheet, opened for streaming; ``rows`` yields (sheet row number, values)."""

    book: Any
    scan: Scan

    def rows(self, head: int = HEADER_SEARCH) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """The first ``head`` rows up to ``HEAD_COLUMNS`` wide (where the header is looked
        for), then the rest as wide as the widest of them, so a stray cell far right or a
        declared size of a million rows costs nothing."""
        ws = self.book.worksheets[0]
        ws.reset_dimensions()  # a lying <dimension> would pad every row and add empty ones
        merged = _Merged(self.scan.merged)
        width = 0
        first = ws.iter_rows(max_row=head, max_col=HEAD_COLUMNS, values_only=True)
        for row_no, row in enumerate(first, start=1):
            width = max(width, _last_filled(row))
            yield row_no, merged.fill(row_no, _clean(row[:width]), width)
        if width == 0:
            return
        rest = ws.iter_rows(min_row=head + 1, max_col=width, values_only=True)
        for row_no, row in enumerate(rest, start=head + 1):
            yield row_no, merged.fill(row_no, _clean(row), width)

    def close(self) -> None:
        self.book.close()


def _last_filled(row: tuple[Any, ...]) -> int:
    return next((i + 1 for i in range(len(row) - 1, -1, -1) if row[i] not in (None, "")), 0)


def _clean(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(read_cell(v) for v in row)


def open_sheet(data: bytes, limits: Limits) -> Sheet:
    """Check the file and pre-scan its first sheet; raises ``Refused`` with the reason."""
    _check_archive(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise Refused("import.not_excel") from exc
    try:
        if not book.worksheets:
            raise Refused("import.empty")
        # openpyxl resolves the first sheet's part name; its reader keeps it on the sheet
        with book._archive.open(book.worksheets[0]._worksheet_path) as source:
            scan = _scan(source, limits.rows)
    except Refused:
        book.close()
        raise
    except Exception as exc:
        book.close()
        raise Refused("import.not_excel") from exc
    return Sheet(book, scan)


def number_text(raw: Any) -> Any:
    """A number typed the way Chinese lists type it: full-width digits (``１２``),
    ``Ｌ＝３`` for a factor's value, a line break after it. Other values are left as
    they are for the field's own check to judge."""
    if not isinstance(raw, str):
        return raw
    text = unicodedata.normalize("NFKC", raw).strip()
    match = _FACTOR.match(text)
    return (match.group(1) if match else text).strip()
