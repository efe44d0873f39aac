"""The GIS permit view (作业票 GIS 视图): the day's and the running permits on the floor plan,
coloured by state and labelled by work type, over the risk-coloured areas; a time slider over
the day, filters by type, unit and state, and the list of permits recorded outside their area.

The map is the risk map's tile-less deck (``core.ui.risk.deck``) with two more layers: a
``ScatterplotLayer`` of permits and a ``TextLayer`` of their type (no icon images, nothing
fetched). Area names go under the markers here: permits cluster where the names sit.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pydeck as pdk
import streamlit as st
from sqlmodel import Session

from analytics import permit_map
from core.clock import local, site_today
from core.config import get_settings
from core.crud.lookup import departments_of, options, visible_row
from core.db import session_scope
from core.i18n import enum_label
from core.org import floor_plan
from core.permit.queries import permit_types
from core.rbac import Actor
from core.ui.context import lang, tr
from core.ui.nav import guard
from core.ui.risk import deck as risk_deck
from core.ui.widgets import any_of, pick_enterprise
from models.enums import Module
from models.permit import PermitState

S = PermitState
#: Marker colour per state, by what the state means on site.
TONES: tuple[tuple[tuple[PermitState, ...], list[int]], ...] = (
    ((S.IN_PROGRESS,), [46, 160, 67]),  # work going on
    ((S.SUSPENDED,), [214, 39, 40]),  # stopped: look here
    ((S.APPROVED, S.GAS_TESTED), [31, 119, 180]),  # may start
    ((S.SUBMITTED, S.APPROVING), [245, 166, 35]),  # waiting for signatures
    ((S.DRAFT,), [150, 150, 150]),
    ((S.COMPLETED, S.CLOSED), [84, 92, 102]),
    ((S.CANCELLED, S.REJECTED), [200, 204, 208]),
)
STATE_RGB: dict[str, list[int]] = {s.value: rgb for states, rgb in TONES for s in states}
#: Later rows draw on top: running work above waiting, waiting above finished.
DRAW_ORDER = {s.value: -i for i, (states, _) in enumerate(TONES) for s in states}
RING_OK, RING_OUTSIDE = [255, 255, 255, 255], [140, 0, 0, 255]
MARKER_PX, LABEL_PX = 8, 11
NAME_LIFT_PX = 26  # area names above the markers that crowd an area's centre
MAX_LINKS = 30
ALL_DAY = "all"
LOOK = risk_deck.Look(height_px=620, width_px=1100, dark=False, area_alpha=70)


# --- pickers -------------------------------------------------------------------------------


def _types(session: Session, actor: Actor) -> dict[int, str]:
    english = lang() == "en"
    return {
        t.id: (t.name_en if english and t.name_en else t.name) for t in permit_types(session, actor)
    }


def _hour_text(hour: object) -> str:
    if hour == ALL_DAY:
        return tr("permit_map.all_day")
    return f"{int(hour):02d}:00–{int(hour) + 1:02d}:00"


def _filters(
    session: Session, actor: Actor, enterprise_id: int
) -> tuple[permit_map.PermitFilter, object]:
    day_cell, hour_cell = st.columns([1, 3])
    day: date = day_cell.date_input(tr("permit_map.day"), value=site_today(), key="permit_map_day")
    hour = hour_cell.select_slider(
        tr("permit_map.hour"),
        options=[ALL_DAY, *range(24)],
        value=ALL_DAY,
        format_func=_hour_text,
        key="permit_map_hour",
    )
    types, units = _types(session, actor), departments_of(session, actor, enterprise_id)
    c1, c2, c3 = st.columns(3)
    picked_types = any_of(c1, tr("permit_map.types"), types, "permit_map_types")
    picked_units = any_of(c2, tr("permit_map.units"), units, "permit_map_units")
    states = {s: enum_label(s, lang()) for s in PermitState}
    picked_states = any_of(c3, tr("permit_map.states"), states, "permit_map_states")
    f = permit_map.PermitFilter(
        enterprise_id=enterprise_id,
        first=day,
        type_ids=tuple(picked_types),
        department_ids=tuple(picked_units),
        states=tuple(PermitState(s) for s in picked_states),
    )
    return f, hour


# --- the deck ------------------------------------------------------------------------------


def _marker_rows(frame: pl.DataFrame) -> list[dict]:
    """Placeable markers, finished work first so running work is drawn on top."""
    rows = [r for r in frame.to_dicts() if r["x"] is not None and r["y"] is not None]
    rows.sort(key=lambda r: DRAW_ORDER[r["state"]], reverse=True)
    return [
        {
            "permit_id": r["permit_id"],
            "number": r["number"],
            "x": r["x"],
            "y": r["y"],
            "fill": [*STATE_RGB[r["state"]], 235],
            "ring": RING_OUTSIDE if r["check"] == "outside" else RING_OK,
            "w": 3 if r["check"] == "outside" else 1.5,
            "label": r["type_label"],
            "tip": r["tip"],
        }
        for r in rows
    ]


def build(plan: floor_plan.Bitmap, areas: pl.DataFrame, frame: pl.DataFrame) -> pdk.Deck:
    """Plan, risk-coloured areas and their names, then the permits and their type labels."""
    rows = _marker_rows(frame)
    layers = [
        *risk_deck.plan_layers(plan, areas, LOOK),
        risk_deck.names_layer(areas, LOOK, lift_px=NAME_LIFT_PX),
        pdk.Layer(
            "ScatterplotLayer",
            id="permits",
            data=rows,
            get_position="[x, y]",
            get_fill_color="fill",
            get_line_color="ring",
            get_line_width="w",
            line_width_units=risk_deck.literal("pixels"),
            stroked=True,
            radius_units=risk_deck.literal("pixels"),
            get_radius=MARKER_PX,
            pickable=True,
        ),
        pdk.Layer(
            "TextLayer",
            id="permit_types",
            data=rows,
            get_position="[x, y]",
            get_text="label",
            get_size=LABEL_PX,
            size_units=risk_deck.literal("pixels"),
            get_color=[29, 39, 51],
            get_pixel_offset=[0, MARKER_PX + 8],
            font_family=risk_deck.literal(risk_deck.FONTS),
            character_set=risk_deck.literal("auto"),
            background=True,
            get_background_color=[255, 255, 255, 190],
            background_padding=[2, 1],
            get_text_anchor='"middle"',
            get_alignment_baseline='"center"',
        ),
    ]
    return risk_deck.deck(layers, plan, areas, LOOK)


# --- around the map ------------------------------------------------------------------------


def _metrics(shown: pl.DataFrame, day: pl.DataFrame) -> None:
    counts = permit_map.state_counts(shown)
    values = (
        ("shown", shown.height),
        ("running", counts[S.IN_PROGRESS]),
        ("suspended", counts[S.SUSPENDED]),
        ("ready", counts[S.APPROVED] + counts[S.GAS_TESTED]),
        ("approving", counts[S.SUBMITTED] + counts[S.APPROVING]),
        ("outside", permit_map.outside(day).height),
    )
    for cell, (key, value) in zip(st.columns(len(values)), values, strict=True):
        cell.metric(tr(f"permit_map.metric.{key}"), value)


def _legend(frame: pl.DataFrame) -> None:
    """State chips (catalogue labels and fixed colours only: no user text in this HTML)."""
    chips = []
    for states, rgb in TONES:
        label = " / ".join(enum_label(s, lang()) for s in states)
        chips.append(
            f'<span style="display:inline-block;margin:2px 10px 2px 0">'
            f'<span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
            f'background:rgb({rgb[0]},{rgb[1]},{rgb[2]});vertical-align:-1px;margin-right:4px">'
            f"</span>{label}</span>"
        )
    st.markdown("".join(chips), unsafe_allow_html=True)
    st.caption(tr("permit_map.legend"))
    if lang() == "en" and not frame.is_empty():
        pairs = frame.select("type_code", "type_name").unique().sort("type_code").rows()
        st.caption(tr("permit_map.type_codes", codes=" · ".join(f"{c} {n}" for c, n in pairs)))


def _table(frame: pl.DataFrame) -> dict[str, list]:
    def when(column: str) -> list[str]:
        return [local(v).strftime("%Y-%m-%d %H:%M") for v in frame[column].to_list()]

    def position(x: float | None, y: float | None, placed: bool) -> str:
        return f"{x:.1f}, {y:.1f}" if placed and x is not None and y is not None else "—"

    return {
        tr("permit_map.col.number"): frame["number"].to_list(),
        tr("permit_map.col.type"): frame["type_name"].to_list(),
        tr("permit_map.col.state"): frame["state_label"].to_list(),
        tr("permit_map.col.area"): frame["area"].to_list(),
        tr("permit_map.col.location"): frame["location"].to_list(),
        tr("permit_map.col.position"): [
            position(*r) for r in frame.select("x", "y", "placed").rows()
        ],
        tr("permit_map.col.unit"): frame["unit"].to_list(),
        tr("permit_map.col.applicant"): frame["applicant"].to_list(),
        tr("permit_map.col.start"): when("start"),
        tr("permit_map.col.end"): when("end"),
        tr("permit_map.col.check"): [tr(f"permit_map.check.{c}") for c in frame["check"].to_list()],
    }


def _link(permit_id: int, number: str | None) -> None:
    st.page_link(
        "pages/permit_permit.py",
        label=tr("permit_map.open", number=number or tr("permit_map.no_number")),
        query_params={"id": str(permit_id)},
    )


def _anomalies(day: pl.DataFrame) -> None:
    st.subheader(tr("permit_map.anomalies"))
    st.caption(tr("permit_map.anomalies_help"))
    off = permit_map.outside(day)
    if off.is_empty():
        st.success(tr("permit_map.no_anomalies"))
        return
    st.dataframe(_table(off), hide_index=True, key="permit_map_outside")
    for permit_id, number in off.select("permit_id", "number").rows()[:MAX_LINKS]:
        _link(permit_id, number)
    if off.height > MAX_LINKS:
        st.caption(tr("permit_map.more_links", count=off.height - MAX_LINKS))


def _selected(event: object, frame: pl.DataFrame) -> None:
    """The permit clicked on the map: its details and a link to it."""
    selection = getattr(event, "selection", None)
    objects = (getattr(selection, "objects", None) or {}).get("permits") or []
    if not objects:
        return
    picked = frame.filter(pl.col("permit_id") == objects[0].get("permit_id"))
    if picked.is_empty():
        return
    row = picked.row(0, named=True)
    with st.container(border=True):
        st.markdown(f"**{tr('permit_map.selected')}**")
        st.text(row["tip"])
        _link(row["permit_id"], row["number"])


def render() -> None:
    actor = guard(Module.PERMIT)
    st.title(tr("page.permit_map"))
    with session_scope() as session:
        enterprises = options(session, "enterprise", actor)
        enterprise_id = pick_enterprise(
            enterprises, tr("permit_map.enterprise"), "permit_map_enterprise"
        )
        if enterprise_id is None:
            st.info(tr("permit_map.no_enterprise"))
            return
        f, hour = _filters(session, actor, enterprise_id)
        day = permit_map.markers(session, actor, f, lang())
        areas = permit_map.areas(session, actor, enterprise_id, lang())
        enterprise = visible_row(session, "enterprise", actor, enterprise_id)
        plan = floor_plan.bitmap(session, enterprise, areas["polygon"].to_list(), get_settings())
    shown = (
        day if hour == ALL_DAY else permit_map.during(day, *permit_map.hour_window(f.first, hour))
    )
    st.caption(
        tr(
            "permit_map.summary",
            enterprise=enterprises[enterprise_id],
            day=f.first.isoformat(),
            time=_hour_text(hour),
            shown=shown.height,
            total=day.height,
        )
        + (" " + tr("permit_map.with_running") if f.first >= site_today() else "")
    )
    _metrics(shown, day)
    if plan is None or areas.is_empty():
        st.info(tr("permit_map.no_plan"))
    else:
        event = st.pydeck_chart(
            build(plan, areas, shown),
            height=LOOK.height_px,
            on_select="rerun",
            selection_mode="single-object",
            key="permit_map_deck",
        )
        _legend(shown)
        _selected(event, shown)
    if shown.is_empty():
        st.info(tr("permit_map.no_permits"))
    else:
        with st.expander(tr("permit_map.list", count=shown.height)):
            st.dataframe(_table(shown), hide_index=True, key="permit_map_list")
    _anomalies(day)
