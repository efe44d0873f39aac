"""Building blocks of SafeLoop's PDF documents (reportlab): the CID font, paragraph styles,
ruled tables that stay fast for long lists, a page footer and the document build.

Chinese text uses reportlab's built-in CID font (STSong-Light): the PDF viewer supplies the
glyphs, so nothing is shipped or fetched. User text is escaped, never read as markup.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from core.clock import shown

FONT = "STSong-Light"
INK, SHADE, LINE = (
    colors.HexColor("#1d2733"),
    colors.HexColor("#e9eef5"),
    colors.HexColor("#8a96a3"),
)
PAGE_W = A4[0] - 30 * mm


@cache
def style_sheet() -> dict[str, ParagraphStyle]:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12, textColor=INK)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER),
        "sub": ParagraphStyle("sub", parent=base, fontSize=9, alignment=TA_CENTER),
        "head": ParagraphStyle(
            "head", parent=base, fontSize=11, leading=15, spaceBefore=6, keepWithNext=1
        ),
    }


# glyphs GB 2312 (the CID font's character set) lacks, written the way a form would
PLAIN = str.maketrans({"³": "3", "²": "2", "₂": "2", "₄": "4", "–": "-"})


def plain(value: Any) -> str:
    return ("" if value is None else str(value)).translate(PLAIN)


def para(text: Any, style: str = "base") -> Paragraph:
    """User text as a paragraph: escaped, line breaks kept."""
    return Paragraph(escape(plain(text)).replace("\n", "<br/>"), style_sheet()[style])


def fit(text: Any, width: float, size: float) -> Any:
    """A plain cell when the text fits on one line, else a wrapping paragraph: a Paragraph
    per cell made a 700-row list take seconds and a permit twice as long to lay out."""
    text = plain(text)
    fits = pdfmetrics.stringWidth(text, FONT, size) <= width - 13  # the cell pads 6 pt a side
    return text if fits and "\n" not in text else para(text, "base" if size >= 9 else "small")


def when(moment: datetime | str | None) -> str:
    if not moment:
        return ""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    return shown(moment)


def ruled(
    rows: list[list[Any]], widths: list[float], header: bool = True, size: float = 9
) -> Table:
    """A ruled table; plain values become text cells (``_fit``), flowables stay as they are."""
    cells = [
        [
            c if isinstance(c, Flowable) else fit(c, w, size)
            for c, w in zip(row, widths, strict=False)
        ]
        for row in rows
    ]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, LINE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONT", (0, 0), (-1, -1), FONT, size),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    table.setStyle(TableStyle(style))
    return table


def page_footer(text: str) -> Callable[[Any, Any], None]:
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(LINE)
        canvas.drawString(doc.leftMargin, 8 * mm, text)
        canvas.drawRightString(doc.pagesize[0] - doc.rightMargin, 8 * mm, f"{doc.page}")
        canvas.restoreState()

    return draw


def build(story: list[Any], title: str, footer: str, pagesize: Any = A4) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=pagesize,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=15 * mm,
        title=title,
        author="SafeLoop",
        creator="SafeLoop",
    )
    draw = page_footer(footer)
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return buf.getvalue()


# --- the printable permit ---------------------------------------------------------------------
