"""The large-screen mode (安全生产大屏): a dark 16:9 wall that nobody clicks.

A header with the plant and the clock, a row of KPI tiles, and one main panel at a time — the
four-colour risk map, active permits, open major hazards, the newest detector violations —
rotating on every refresh. The whole screen is one fragment with ``run_every``: the data, the
clock and the panel change without a page reload, and a counter in session state says which
panel is next. ``?every=N`` sets the seconds between refreshes, ``?panel=NAME`` pins a panel.

Read-only by construction: no widget is drawn, every query is limited to the viewer's scope,
and the page asks for nothing but analytics view. Texts are sized in ``rem`` and the root font
follows the viewport, so 1920x1080 and 3840x2160 show the same layout, only sharper.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta

import streamlit as st
from sqlmodel import Session

from analytics import risk_map, risk_markers, screen
from core.clock import local, shown, site_today
from core.config import get_settings
from core.crud.lookup import options, visible_row
from core.db import session_scope, utcnow
from core.i18n import enum_label
from core.org import floor_plan
from core.rbac import Actor
from core.risk.scoring import SEVERITY
from core.ui.context import lang, tr
from core.ui.nav import guard
from core.ui.risk import deck as risk_deck
from core.ui.video.feed import sketch
from core.video.review import feed, snapshot_image
from models.enums import RISK_COLOURS, Action, Module, RiskLevel

KEY = "big_screen"
TICK = f"{KEY}_tick"
REFRESH_S = 20
EVERY_RANGE = (5, 600)
PANELS: tuple[str, ...] = ("risk_map", "permits", "hazards", "violations")
TABLE_ROWS = screen.TABLE_ROWS
FEED_ITEMS = 6
LEVELS_DESC: tuple[RiskLevel, ...] = tuple(reversed(SEVERITY))
#: The deck's zoom is fixed in CSS pixels, so the map is laid out for 1920x1080 and a wider
#: screen scales it with CSS ``zoom`` (a 4K wall run at 200 % scaling needs nothing).
MAP = risk_deck.Look(height_px=640, width_px=1750, dark=True, label_px=18, hazard_px=22,
                     area_alpha=150)  # fmt: skip

CSS = """
<style>
html { font-size: calc(0.86 * min(1vw, 1.78vh)); }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], [data-testid="stElementToolbar"] { display: none !important; }
.stApp { background: #0b1220; color: #e6edf7; }
.stApp [data-testid="stMain"] { background: #0b1220; }
.block-container, [data-testid="stMainBlockContainer"] {
  padding: 1.2rem 2rem 0.6rem 2rem !important; max-width: 100% !important; }
[data-testid="stVerticalBlock"] { gap: 0.8rem; }
.stApp h1 { color: #f5f8ff; font-size: 2.6rem; padding: 0; margin: 0; letter-spacing: .08em; }
.bs-plant { font-size: 1.4rem; color: #8fb3ff; }
.bs-clock { text-align: right; font-size: 2.6rem; font-weight: 700; color: #f5f8ff;
  font-variant-numeric: tabular-nums; line-height: 1.1; }
.bs-date { text-align: right; font-size: 1.2rem; color: #9fb0c8; }
.bs-tiles { display: grid; grid-template-columns: repeat(6, 1fr); gap: 1rem; }
.bs-tile { background: linear-gradient(160deg, #16233b, #101a2c); border: 1px solid #24385a;
  border-radius: .8rem; padding: .7rem 1.1rem; border-top: .35rem solid var(--tone); }
.bs-tile .l { font-size: 1.25rem; color: #b7c6de; }
.bs-tile .n { font-size: 3.6rem; font-weight: 800; line-height: 1.1; color: var(--tone);
  font-variant-numeric: tabular-nums; }
.bs-tile .s { font-size: 1.05rem; color: #8596b0; }
[data-testid="stPageLink"] a, [data-testid="stPageLink"] p { color: #9fb8e0 !important; }
.bs-head { display: flex; justify-content: space-between; align-items: baseline;
  border-bottom: 2px solid #24385a; padding-bottom: .3rem; }
.bs-head .t { font-size: 1.9rem; font-weight: 700; color: #f5f8ff; }
.bs-head .dots { font-size: 1.4rem; color: #4d6285; letter-spacing: .3rem; }
.bs-head .dots b { color: #5aa2ff; }
.bs-table { width: 100%; border-collapse: collapse; font-size: 1.35rem; }
.bs-table th { text-align: left; color: #8fb3ff; font-weight: 600; padding: .45rem .7rem;
  border-bottom: 1px solid #24385a; }
.bs-table td { padding: .5rem .7rem; border-bottom: 1px solid #1a2840; color: #e6edf7; }
.bs-table tr:nth-child(even) td { background: #0f192b; }
.bs-more { font-size: 1.1rem; color: #8596b0; padding-top: .4rem; }
.bs-badge { display: inline-block; padding: .1rem .6rem; border-radius: .4rem;
  font-size: 1.1rem; font-weight: 600; background: #24385a; color: #e6edf7; }
.bs-badge.hot { background: #b3261e; color: #fff; }
.bs-badge.warm { background: #c76a00; color: #fff; }
.bs-empty { font-size: 1.6rem; color: #8596b0; padding: 3rem; text-align: center; }
.bs-feed { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1rem; }
.bs-card { background: #101a2c; border: 1px solid #24385a; border-radius: .8rem;
  overflow: hidden; }
.bs-card img { width: 100%; height: 21vh; object-fit: contain; background: #2e3440;
  display: block; }
.bs-card .c { padding: .5rem .8rem; font-size: 1.2rem; }
.bs-card .k { font-size: 1.4rem; font-weight: 700; }
.bs-card .m { color: #9fb0c8; }
.bs-levels { display: flex; gap: 1rem; }
.bs-levels div { flex: 1; border-radius: .6rem; padding: .3rem 1rem; font-size: 1.3rem;
  font-weight: 700; }
@media (min-width: 2400px) { .st-key-big_screen_map { zoom: 1.33; } }
@media (min-width: 3400px) { .st-key-big_screen_map { zoom: 2; } }
.bs-foot { font-size: 1rem; color: #6f819d; text-align: right; }
</style>
"""


@dataclass(frozen=True)
class Tile:
    key: str
    value: str
    sub: str
    tone: str


def _e(value: object) -> str:
    """User data inside the screen's HTML: always escaped."""
    return html.escape("" if value is None else str(value))


def seconds() -> int:
    """``?every=N`` (clamped), else ``REFRESH_S``."""
    raw = st.query_params.get("every", "")
    low, high = EVERY_RANGE
    return min(max(int(raw), low), high) if raw.isdigit() else REFRESH_S


def panel(tick: int) -> str:
    """The panel shown on refresh number ``tick``, or the one ``?panel=`` pins."""
    pinned = st.query_params.get("panel")
    return pinned if pinned in PANELS else PANELS[tick % len(PANELS)]


# --- data --------------------------------------------------------------------------------------


def _tiles(actor: Actor, session: Session) -> list[Tile]:
    """Month-to-date rates from the cockpit's KPIs, plus today's and open counts."""
    n = screen.numbers(session, actor, get_settings(), site_today())
    rate = "—" if n.closure.value is None else f"{n.closure.value:.0f}%"
    now, month_sub = tr("big_screen.sub.now"), tr("big_screen.sub.month")
    return [
        Tile(
            "closure_rate",
            rate,
            tr("big_screen.sub.part_whole", part=n.closure.part, whole=n.closure.whole),
            "#3ddc97",
        ),
        Tile("overdue", f"{n.overdue:.0f}", now, "#ff6b6b"),
        Tile("active_permits", f"{n.active_permits:.0f}", now, "#5aa2ff"),
        Tile("major_hazards", str(n.major_hazards), now, "#ff4d4f"),
        Tile("violations_today", str(n.violations_today), tr("big_screen.sub.today"), "#ffb020"),
        Tile("near_misses", f"{n.near_misses:.0f}", month_sub, "#c792ea"),
    ]


# --- drawing ------------------------------------------------------------------------------------


def _md(markup: str) -> None:
    """One line of HTML (a blank line or an indent would turn it into markdown)."""
    st.markdown(markup.replace("\n", ""), unsafe_allow_html=True)


def _header(plant: str) -> None:
    now = local(utcnow())
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    with left:
        st.title(tr("page.analytics_screen"), anchor=False)
        _md(f'<div class="bs-plant">{_e(plant)}</div>')
    with right:
        weekday = tr(f"big_screen.weekday.{now.weekday()}")
        _md(
            f'<div class="bs-clock">{now:%H:%M}</div>'
            f'<div class="bs-date">{now:%Y-%m-%d} {_e(weekday)}</div>'
        )


def _tile_row(tiles: list[Tile]) -> None:
    cells = "".join(
        f'<div class="bs-tile bs-kpi-{t.key}" style="--tone:{t.tone}">'
        f'<div class="l">{_e(tr(f"big_screen.kpi.{t.key}"))}</div>'
        f'<div class="n">{_e(t.value)}</div><div class="s">{_e(t.sub)}</div></div>'
        for t in tiles
    )
    _md(f'<div class="bs-tiles">{cells}</div>')


def _panel_head(name: str, detail: str = "") -> None:
    dots = "".join("<b>●</b>" if p == name else "●" for p in PANELS)
    extra = f" <span class='bs-plant'>{_e(detail)}</span>" if detail else ""
    _md(
        f'<div class="bs-head bs-panel-{name}"><span class="t">'
        f"{_e(tr(f'big_screen.panel.{name}'))}{extra}</span>"
        f'<span class="dots">{dots}</span></div>'
    )


def _table(headers: list[str], rows: list[list[str]], empty: str) -> None:
    """``rows`` hold HTML that is already escaped."""
    if not rows:
        _md(f'<div class="bs-empty">{_e(empty)}</div>')
        return
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    _md(f'<table class="bs-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


def map_enterprise(enterprises: list[int], tick: int, picked: str = "") -> int | None:
    """The enterprise whose risk map refresh ``tick`` shows: the one ``?enterprise=`` pins,
    else the next one each time the map comes round (a park wall tours its enterprises)."""
    if picked.isdigit() and int(picked) in enterprises:
        return int(picked)
    return enterprises[tick // len(PANELS) % len(enterprises)] if enterprises else None


def _risk_map(session: Session, actor: Actor, enterprises: dict[int, str], tick: int) -> None:
    picked = st.query_params.get("enterprise", "")
    enterprise_id = map_enterprise(list(enterprises), tick, picked)
    enterprise = visible_row(session, "enterprise", actor, enterprise_id) if enterprise_id else None
    _panel_head("risk_map", enterprises.get(enterprise_id, "") if len(enterprises) > 1 else "")
    if enterprise is None:
        _md(f'<div class="bs-empty">{_e(tr("big_screen.empty.risk_map"))}</div>')
        return
    f = risk_map.MapFilter(enterprise_id=enterprise.id)
    areas = risk_map.areas(session, actor, f, lang())
    counts = risk_map.level_counts(areas)
    levels = "".join(
        f'<div style="background:{RISK_COLOURS[lvl]};'
        f'color:{"#1d2733" if lvl == RiskLevel.GENERAL else "#fff"}">'
        f"{_e(enum_label(lvl, lang()))} · {counts[lvl]}</div>"
        for lvl in LEVELS_DESC
    )
    _md(f'<div class="bs-levels">{levels}</div>')
    plan = floor_plan.bitmap(
        session, enterprise, areas["polygon"].to_list(), get_settings(), dark=True
    )
    if plan is None or areas.is_empty():
        _md(f'<div class="bs-empty">{_e(tr("big_screen.empty.risk_map"))}</div>')
        return
    points = risk_markers.point_markers(session, actor, f, lang())
    hazards = risk_markers.hazard_markers(session, actor, f, lang(), site_today())
    with st.container(key=f"{KEY}_map"):
        st.pydeck_chart(risk_deck.build(plan, areas, points, hazards, MAP), height=MAP.height_px)


def _permits(session: Session, actor: Actor) -> None:
    listed = screen.active_permits(session, actor, TABLE_ROWS)
    rows, total = listed.rows, listed.total
    _panel_head("permits", tr("big_screen.count", n=total))
    english = lang() == "en"
    body = [
        [
            _e(r.number or "—"),
            _e(r.type_name_en if english and r.type_name_en else r.type_name),
            _e(r.area or r.location),
            _e(r.unit or "—"),
            f'<span class="bs-badge">{_e(enum_label(r.state, lang()))}</span>',
            _e(shown(r.planned_end, "%m-%d %H:%M")),
        ]
        for r in rows
    ]
    cols = ("number", "type", "place", "unit", "state", "until")
    _table([tr(f"big_screen.col.{c}") for c in cols], body, tr("big_screen.empty.permits"))
    if total > len(rows):
        _md(f'<div class="bs-more">{_e(tr("big_screen.more", n=total - len(rows)))}</div>')


def _hazards(session: Session, actor: Actor) -> None:
    listed = screen.major_hazards(session, actor, TABLE_ROWS)
    _panel_head("hazards", tr("big_screen.count", n=listed.total))
    today = site_today()
    body = []
    for r in listed.rows:
        late = r.deadline is not None and r.deadline < today
        deadline = "—" if r.deadline is None else r.deadline.isoformat()
        if late:
            deadline = f'<span class="bs-badge hot">{_e(deadline)} {_e(tr("big_screen.overdue"))}'
            deadline += "</span>"
        body.append(
            [
                _e(r.number or "—"),
                _e(r.title),
                _e(r.area or r.location or "—"),
                _e(r.unit or "—"),
                f'<span class="bs-badge warm">{_e(enum_label(r.state, lang()))}</span>',
                deadline,
            ]
        )
    cols = ("number", "title", "place", "unit", "state", "deadline")
    _table([tr(f"big_screen.col.{c}") for c in cols], body, tr("big_screen.empty.hazards"))
    if listed.total > TABLE_ROWS:
        more = tr("big_screen.more", n=listed.total - TABLE_ROWS)
        _md(f'<div class="bs-more">{_e(more)}</div>')


def _violations(session: Session, actor: Actor) -> None:
    _panel_head("violations")
    items = feed(session, actor, limit=FEED_ITEMS)
    if not items:
        _md(f'<div class="bs-empty">{_e(tr("big_screen.empty.violations"))}</div>')
        return
    cards = []
    for item in items:
        thumb = snapshot_image(session, actor, item.id) if item.snapshot_id else None
        src = floor_plan.data_url(thumb, "image/jpeg") if thumb else None
        src = src or floor_plan.data_url(sketch(item), "image/png")
        kind = tr(f"enum.RuleKind.{item.rule_kind}")
        state = tr(f"enum.ViolationState.{item.state}")
        tone = {"new": "warm", "confirmed": "hot"}.get(item.state, "")
        where = item.camera + (f" · {item.zone}" if item.zone else "")
        cards.append(
            f'<div class="bs-card"><img src="{src}" alt="">'
            f'<div class="c"><div class="k">{_e(kind)} '
            f'<span class="bs-badge {tone}">{_e(state)}</span></div>'
            f'<div class="m">{_e(where)}</div>'
            f'<div class="m">{_e(shown(item.occurred_at, "%m-%d %H:%M:%S"))}</div></div></div>'
        )
    _md(f'<div class="bs-feed">{"".join(cards)}</div>')


def _screen(actor: Actor, every: int) -> None:
    """The fragment: everything on the wall, redrawn every ``every`` seconds."""
    tick = st.session_state.get(TICK, -1) + 1
    st.session_state[TICK] = tick
    name = panel(tick)
    with session_scope() as session:
        enterprises = options(session, "enterprise", actor)
        plant = (
            next(iter(enterprises.values()))
            if len(enterprises) == 1
            else tr("big_screen.enterprises", n=len(enterprises))
        )
        _header(plant)
        _tile_row(_tiles(actor, session))
        if name == "risk_map":
            _risk_map(session, actor, enterprises, tick)
        elif name == "permits":
            _permits(session, actor)
        elif name == "hazards":
            _hazards(session, actor)
        else:
            _violations(session, actor)
    _md(
        '<div class="bs-foot">'
        + _e(
            tr(
                "big_screen.updated",
                time=shown(utcnow(), "%H:%M:%S"),
                seconds=every,
                panel=PANELS.index(name) + 1,
                panels=len(PANELS),
            )
        )
        + f' <span class="bs-tick" data-tick="{tick}"></span></div>'
    )


def render() -> None:
    actor = guard(Module.ANALYTICS, Action.DISPLAY)
    st.markdown(CSS, unsafe_allow_html=True)
    if not actor.screen_only:  # opened from the menu: the way back (a wall's account has none)
        st.page_link("pages/home.py", label=tr("big_screen.exit"))
    every = seconds()
    st.fragment(_screen, run_every=timedelta(seconds=every))(actor, every)
