"""The risk map as a pydeck ``Deck``: floor-plan bitmap, coloured areas, markers, names.

No tiles, no base map: an ``OrthographicView`` over the plan frame (metres, y up), so
Streamlit draws no MapLibre base map and the browser makes no outside request (FIELD-NOTES;
the blank style is still set, in case a future Streamlit draws one anyway). Area names are a
``TextLayer`` with ``character_set="auto"``: deck.gl builds its glyph atlas from the names
with the browser's own fonts, so Chinese shows without a font download.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl
import pydeck as pdk

from core.org.floor_plan import Bitmap
from models.enums import RISK_COLOURS, RiskLevel

BLANK_STYLE = "/app/static/blank_style.json"
FONTS = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
NO_LEVEL = [150, 150, 150]
PAGE_ALPHA = 120
HAZARD_GLYPH = "▲"
HAZARD_OPEN = [123, 31, 162, 255]
HAZARD_OVERDUE = [110, 0, 0, 255]


@dataclass(frozen=True)
class Look:
    """Sizes and tones of one layout (the normal page or the control-room wall)."""

    height_px: int
    width_px: int  # a guess at the chart's width, only used to fit the plan at first
    dark: bool
    label_px: int = 14
    hazard_px: int = 16
    area_alpha: int = PAGE_ALPHA


PAGE = Look(height_px=620, width_px=1100, dark=False)
WALL = Look(height_px=780, width_px=1750, dark=True, label_px=18, hazard_px=20, area_alpha=150)


def literal(text: str) -> str:
    """pydeck reads a bare string as a JavaScript accessor ("@@=..."); quoted, it stays text."""
    return f'"{text}"'


def rgb(level: str | None) -> list[int]:
    if not level:
        return list(NO_LEVEL)
    hexa = RISK_COLOURS[RiskLevel(level)].lstrip("#")
    return [int(hexa[i : i + 2], 16) for i in (0, 2, 4)]


def fit_zoom(width: float, height: float, look: Look) -> float:
    """OrthographicView zoom: 2**zoom pixels per metre, leaving a small margin."""
    return round(math.log2(0.92 * min(look.width_px / width, look.height_px / height)), 2)


def view_state(plan: Bitmap, areas: pl.DataFrame, look: Look) -> pdk.ViewState:
    """Fit the areas shown (a department head's one workshop fills the map), else the plan."""
    xs = [p[0] for poly in areas["polygon"].to_list() for p in poly]
    ys = [p[1] for poly in areas["polygon"].to_list() for p in poly]
    if xs:
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        pad = 0.08 * max(x1 - x0, y1 - y0, 1.0)
        x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    else:
        x0, x1, y0, y1 = 0.0, plan.width, 0.0, plan.height
    return pdk.ViewState(
        target=[(x0 + x1) / 2, (y0 + y1) / 2, 0],
        zoom=fit_zoom(max(x1 - x0, 1.0), max(y1 - y0, 1.0), look),
        min_zoom=-2,
        max_zoom=8,
    )


def _area_rows(areas: pl.DataFrame, alpha_in: int = PAGE_ALPHA) -> list[dict]:
    rows = []
    for row in areas.to_dicts():
        colour = rgb(row["level"]) if row["in_filter"] else list(NO_LEVEL)
        alpha = alpha_in if row["in_filter"] else 40
        rows.append(
            {
                "name": row["name"],
                "polygon": row["polygon"],
                "label_x": row["label_x"],
                "label_y": row["label_y"],
                "fill": [*colour, alpha],
                "line": [*colour, 255],
                "tip": row["tip"],
            }
        )
    return rows


#: Marker radius (pixels) per level: the severe points stand out of a cloud of low ones.
POINT_PX = {"major": 5, "significant": 4, "general": 3, "low": 2}


def _point_rows(points: pl.DataFrame) -> list[dict]:
    """Least severe first: deck.gl draws later rows on top, so major points stay visible."""
    rows = [
        {"x": r["x"], "y": r["y"], "fill": [*rgb(r["level"]), 230], "r": POINT_PX[r["level"]],
         "w": 2 if r["raised"] else 0, "tip": r["tip"]}
        for r in points.to_dicts()
    ]  # fmt: skip
    return rows[::-1]


def _hazard_rows(hazards: pl.DataFrame) -> list[dict]:
    return [
        {
            "x": r["x"],
            "y": r["y"],
            "glyph": HAZARD_GLYPH,
            "fill": HAZARD_OVERDUE if r["overdue"] else HAZARD_OPEN,
            "tip": r["tip"],
        }
        for r in hazards.to_dicts()
    ]


def plan_layers(plan: Bitmap, areas: pl.DataFrame, look: Look = PAGE) -> list[pdk.Layer]:
    """What every plan map draws first: the floor-plan bitmap and the areas in level colours."""
    return [
        pdk.Layer(
            "BitmapLayer",
            id="plan",
            image=literal(plan.url),
            bounds=[0, 0, plan.width, plan.height],
        ),
        pdk.Layer(
            "PolygonLayer",
            id="areas",
            data=_area_rows(areas, look.area_alpha),
            get_polygon="polygon",
            get_fill_color="fill",
            get_line_color="line",
            line_width_min_pixels=2,
            stroked=True,
            filled=True,
            pickable=True,
        ),
    ]


def names_layer(areas: pl.DataFrame, look: Look = PAGE, lift_px: int = 0) -> pdk.Layer:
    """Area names on a paper background; ``lift_px`` moves them up off markers placed at the
    area's centre."""
    ink = [235, 238, 242] if look.dark else [29, 39, 51]
    paper = [14, 17, 23, 190] if look.dark else [255, 255, 255, 200]
    lift = {"get_pixel_offset": [0, -lift_px]} if lift_px else {}
    return pdk.Layer(
        "TextLayer",
        id="names",
        data=_area_rows(areas),
        get_position="[label_x, label_y]",
        get_text="name",
        get_size=look.label_px,
        size_units=literal("pixels"),
        get_color=ink,
        font_family=literal(FONTS),
        character_set=literal("auto"),
        background=True,
        get_background_color=paper,
        background_padding=[4, 2],
        get_text_anchor='"middle"',
        get_alignment_baseline='"center"',
        **lift,
    )


def deck(layers: list[pdk.Layer], plan: Bitmap, areas: pl.DataFrame, look: Look = PAGE) -> pdk.Deck:
    """A tile-less deck over the plan frame, fitted to the areas, with a ``{tip}`` tooltip."""
    view = pdk.View(type="OrthographicView", controller=True, flip_y=False)
    tooltip = {
        "text": "{tip}",
        "style": {"fontSize": "13px", "maxWidth": "360px", "whiteSpace": "pre-line"},
    }
    return pdk.Deck(
        layers=layers,
        views=[view],
        initial_view_state=view_state(plan, areas, look),
        map_style=BLANK_STYLE,
        map_provider=None,
        tooltip=tooltip,
    )


def build(
    plan: Bitmap,
    areas: pl.DataFrame,
    points: pl.DataFrame,
    hazards: pl.DataFrame,
    look: Look = PAGE,
) -> pdk.Deck:
    """The deck for one enterprise; areas, points and hazards come from analytics.risk_map."""
    layers = [
        *plan_layers(plan, areas, look),
        pdk.Layer(
            "ScatterplotLayer",
            id="points",
            data=_point_rows(points),
            get_position="[x, y]",
            get_fill_color="fill",
            get_line_color=[20, 20, 20],
            get_line_width="w",
            line_width_units=literal("pixels"),
            stroked=True,
            radius_units=literal("pixels"),
            get_radius="r",
            pickable=True,
        ),
        pdk.Layer(  # a triangle glyph: hazards must not read as one more risk point
            "TextLayer",
            id="hazards",
            data=_hazard_rows(hazards),
            get_position="[x, y]",
            get_text="glyph",
            get_size=look.hazard_px,
            size_units=literal("pixels"),
            get_color="fill",
            font_family=literal(FONTS),
            character_set=literal("auto"),
            font_settings={"sdf": True},
            outline_width=3,
            outline_color=[255, 255, 255, 255],
            get_text_anchor='"middle"',
            get_alignment_baseline='"center"',
            pickable=True,
        ),
        names_layer(areas, look),  # last: markers never hide the names
    ]
    return deck(layers, plan, areas, look)
