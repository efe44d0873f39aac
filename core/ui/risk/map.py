"""The four-colour risk map page (风险四色图) and its control-room "wall" variant.

The wall is the same page with ``?wall=1`` (or the toggle, or a display-only account): dark,
sidebar hidden, big level tiles and a large map, for a screen that nobody clicks.
"""

from __future__ import annotations

import polars as pl
import streamlit as st
from sqlmodel import Session

from analytics import risk_map, risk_markers
from core.attachments import AttachmentError
from core.clock import shown as local_time
from core.clock import site_today
from core.config import get_settings
from core.crud.lookup import departments_of, options, visible_row
from core.db import session_scope, utcnow
from core.i18n import Translatable, enum_label
from core.org import floor_plan
from core.rbac import Actor
from core.risk.scoring import SEVERITY
from core.ui.context import flash, lang, show_error, show_flash, tr
from core.ui.nav import guard
from core.ui.risk import deck as risk_deck
from core.ui.uploads import upload_limit
from core.ui.widgets import any_of, one_or_all, pick_enterprise
from models.enums import RISK_COLOURS, Action, Module, RiskLevel
from models.org import Enterprise

WALL_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"] { display: none; }
.stApp { background: #0e1117; color: #e8eaed; }
.stApp h1, .stApp p, .stApp label, .stApp span { color: #e8eaed; }
.block-container { padding-top: 1rem; max-width: 100%; }
.sl-tile { border-radius: 10px; padding: 10px 16px; color: #fff; }
.sl-tile .n { font-size: 3rem; font-weight: 700; line-height: 1.1; }
.sl-tile .l { font-size: 1.1rem; opacity: .92; }
</style>
"""
LEVELS_DESC: tuple[RiskLevel, ...] = tuple(reversed(SEVERITY))


def _wall_mode() -> bool:
    """``?wall=1`` or a display account starts on the wall; the toggle keeps the URL in step."""
    default = st.query_params.get("wall") == "1" or bool(st.session_state.get("display_mode"))
    title, switch = st.columns([5, 1], vertical_alignment="bottom")
    on = switch.toggle(tr("risk_map.wall"), value=default, key="risk_map_wall")
    title.title(tr("page.risk_map"))
    if on and st.query_params.get("wall") != "1":
        st.query_params["wall"] = "1"
    elif not on and "wall" in st.query_params:
        del st.query_params["wall"]
    return on


def _filters(session: Session, actor: Actor, enterprise_id: int) -> risk_map.MapFilter:
    departments = departments_of(session, actor, enterprise_id)
    types = risk_map.accident_types(session, actor, lang())
    categories = risk_map.hazard_categories(session, actor, lang())
    c1, c2, c3, c4 = st.columns([2, 3, 3, 3])
    department = one_or_all(c1, tr("risk_map.department"), departments, "risk_map_department")
    levels = c2.multiselect(
        tr("risk_map.levels"),
        list(LEVELS_DESC),
        default=list(LEVELS_DESC),
        format_func=lambda lvl: enum_label(lvl, lang()),
        key="risk_map_levels",
    )
    chosen_types = any_of(c3, tr("risk_map.accident_types"), types, "risk_map_types")
    chosen_categories = any_of(
        c4, tr("risk_map.hazard_categories"), categories, "risk_map_categories"
    )
    return risk_map.MapFilter(
        enterprise_id=enterprise_id,
        department_id=department,
        levels=tuple(RiskLevel(lvl) for lvl in levels),
        accident_type_ids=tuple(chosen_types),
        hazard_category_ids=tuple(chosen_categories),
    )


def _tiles(counts: dict[RiskLevel, int], areas: dict[RiskLevel, int], big: bool) -> None:
    """One coloured tile per level: risk points at that level, and areas coloured so.
    Texts are catalogue labels and numbers only (never user input), so HTML is safe here."""
    size = "3rem" if big else "1.7rem"
    for column, level in zip(st.columns(4), LEVELS_DESC, strict=True):
        ink = "#1d2733" if level == RiskLevel.GENERAL else "#ffffff"
        column.markdown(
            f'<div class="sl-tile" style="background:{RISK_COLOURS[level]};color:{ink};'
            f'border-radius:8px;padding:6px 14px">'
            f'<div class="l">{enum_label(level, lang())}</div>'
            f'<div class="n" style="font-size:{size};font-weight:700;line-height:1.15">'
            f"{counts[level]}</div>"
            f"<div>{tr('risk_map.tile_detail', areas=areas[level])}</div></div>",
            unsafe_allow_html=True,
        )


def _upload(actor: Actor, enterprise: Enterprise) -> None:
    """Replace the drawn plan by an image (org edit permission; the data layer checks again)."""
    if not actor.can(Module.ORG, Action.EDIT):
        return
    with st.expander(tr("risk_map.plan_upload")):
        st.caption(tr("risk_map.plan_upload_help"))
        picked = st.file_uploader(
            max_upload_size=upload_limit(),
            label=tr("risk_map.plan_file"),
            type=["png", "jpg", "jpeg", "webp"],
            key="risk_map_plan",
        )
        save, reset = st.columns(2)
        try:
            if picked is not None and save.button(tr("risk_map.plan_save"), key="plan_save"):
                with session_scope() as session:
                    floor_plan.set_floor_plan(
                        session,
                        actor,
                        enterprise.id,
                        picked.getvalue(),
                        picked.name,
                        get_settings(),
                    )
                flash("success", tr("risk_map.plan_saved"))
                st.rerun()
            if enterprise.floor_plan_id and reset.button(
                tr("risk_map.plan_reset"), key="plan_reset"
            ):
                with session_scope() as session:
                    floor_plan.clear_floor_plan(session, actor, enterprise.id)
                flash("success", tr("risk_map.plan_cleared"))
                st.rerun()
        except (AttachmentError, Translatable) as exc:
            show_error(exc)


def _area_table(areas: pl.DataFrame) -> None:
    order = {lvl.value: i for i, lvl in enumerate(LEVELS_DESC)}
    rows = sorted(
        areas.to_dicts(), key=lambda r: (order.get(r["level"] or "", 9), -r["points"], r["name"])
    )
    table = {
        tr("risk_map.col.area"): [r["name"] for r in rows],
        tr("risk_map.col.level"): [
            enum_label(RiskLevel(r["level"]), lang()) if r["level"] else tr("risk_map.no_level")
            for r in rows
        ],
        **{
            tr(f"risk_map.short.{lvl.value}"): [r[f"n_{lvl.value}"] for r in rows]
            for lvl in LEVELS_DESC
        },
        tr("risk_map.col.open_hazards"): [r["open_hazards"] for r in rows],
    }
    st.dataframe(table, hide_index=True)


def render() -> None:
    actor = guard(Module.RISK)
    wall = _wall_mode()
    if wall:
        st.markdown(WALL_CSS, unsafe_allow_html=True)
    show_flash()
    with session_scope() as session:
        enterprises = options(session, "enterprise", actor)
        enterprise_id = pick_enterprise(
            enterprises, tr("risk_map.enterprise"), "risk_map_enterprise"
        )
        if enterprise_id is None:
            st.info(tr("risk_map.no_enterprise"))
            return
        enterprise = visible_row(session, "enterprise", actor, enterprise_id)
        if wall:
            f = risk_map.MapFilter(enterprise_id=enterprise_id)
        else:
            f = _filters(session, actor, enterprise_id)
        areas = risk_map.areas(session, actor, f, lang())
        points = risk_markers.point_markers(session, actor, f, lang())
        hazards = risk_markers.hazard_markers(session, actor, f, lang(), site_today())
        plan = floor_plan.bitmap(
            session, enterprise, areas["polygon"].to_list(), get_settings(), dark=wall
        )
    counts, by_area = risk_map.level_counts(areas), risk_map.area_level_counts(areas)
    summary = tr("risk_map.summary", enterprise=enterprises[enterprise_id], hazards=hazards.height)
    if wall:
        summary += " · " + tr("risk_map.as_of", time=local_time(utcnow()))
    st.caption(summary)
    _tiles(counts, by_area, big=wall)
    if plan is None or areas.is_empty():
        st.info(tr("risk_map.no_areas"))
        return
    look = risk_deck.WALL if wall else risk_deck.PAGE
    st.pydeck_chart(risk_deck.build(plan, areas, points, hazards, look), height=look.height_px)
    shown = sum(counts[lvl] for lvl in f.levels)
    st.caption(
        tr("risk_map.legend_markers")
        + (tr("risk_map.capped", shown=points.height, total=shown) if points.height < shown else "")
    )
    if not wall:
        _area_table(areas)
        _upload(actor, enterprise)
