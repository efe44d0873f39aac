"""A module's home page: its key figures, what needs the user's attention, and the doors to
its screens and registers. Only what this user can use is shown: a register with nothing in
the user's scope, that they may not add to either, is left out."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from sqlmodel import Session

from core.clock import site_today
from core.crud import summary
from core.crud.registry import TableSpec, all_specs
from core.db import session_scope
from core.inbox import todo_for
from core.rbac import Actor
from core.ui.context import show_flash, tr
from core.ui.home import todo_line
from core.ui.nav import MODULE_PAGES, guard
from core.workflow import Workflow, all_flows
from models.enums import Action

#: Figures per row of tiles, and attention lines shown.
TILES_PER_ROW = 4
ATTENTION_LINES = 8


@dataclass(frozen=True)
class Figure:
    label: str
    value: int
    page: str
    query: dict[str, str]


def _open_states(wf: Workflow) -> list[str]:
    """States a record can still leave, in the order the flow reaches them."""
    order: list[str] = []
    for t in wf.transitions:
        for state in (*t.sources, t.target):
            if state not in order:
                order.append(state)
    leaving = {s for t in wf.transitions for s in t.sources}
    return [s for s in order if s in leaving]


def _figures(session: Session, actor: Actor, specs: list[TableSpec]) -> list[Figure]:
    flows = {wf.table: wf for wf in all_flows()}
    today = site_today()
    figures: list[Figure] = []
    for spec in specs:
        # a state says "隐患台账 · 已确认" where the module has several tables with figures;
        # a preset's label names its rows already ("逾期隐患")
        table = f"{tr(spec.label_key)} · " if len(specs) > 1 else ""
        for name, preset in spec.presets.items():
            n = summary.count_preset(session, spec, actor, preset, today)
            figures.append(Figure(tr(preset.label), n, spec.page, {f"f.{name}": "1"}))
        wf = flows.get(spec.name)
        if wf is None:
            continue
        counts = summary.by_state(session, spec, actor, wf.state_field)
        for state in _open_states(wf):
            if counts.get(state):
                label = f"{table}{tr(wf.state_key(state))}"
                query = {f"f.{wf.state_field}": state}
                figures.append(Figure(label, counts[state], spec.page, query))
    return figures


def _registers(session: Session, actor: Actor, module: str) -> list[tuple[TableSpec, int]]:
    """The module's own registers (not reference lists, not detail registers) worth a door."""
    shown = []
    for spec in all_specs():
        if spec.module != module or not spec.page or spec.parent or spec.nav_group:
            continue
        n = summary.count(session, spec, actor)
        can_add = spec.allow_create and actor.can(module, Action.CREATE)
        if n or can_add or actor.is_admin:
            shown.append((spec, n))
    return shown


def _tiles(figures: list[Figure]) -> None:
    for start in range(0, len(figures), TILES_PER_ROW):
        cols = st.columns(TILES_PER_ROW)
        for col, fig in zip(cols, figures[start : start + TILES_PER_ROW], strict=False):
            with col.container(border=True):
                st.metric(fig.label, f"{fig.value:,}")
                st.page_link(fig.page, label=tr("module_home.open"), query_params=fig.query)


def _attention(session: Session, actor: Actor, paths: set[str]) -> None:
    st.subheader(tr("module_home.attention"))
    items = [i for i in todo_for(session, actor, site_today()) if i.page in paths]
    if not items:
        st.success(tr("module_home.nothing"))
        return
    for item in items[:ATTENTION_LINES]:
        todo_line(item)
    if len(items) > ATTENTION_LINES:
        st.caption(tr("todo.more", count=len(items) - ATTENTION_LINES))


def _doors(actor: Actor, module: str, registers: list[tuple[TableSpec, int]]) -> None:
    screens = [p for p in MODULE_PAGES if p.module == module and p.open_to(actor)]
    if screens:
        st.subheader(tr("module_home.screens"))
        for p in screens:
            st.page_link(p.path, label=tr(p.title))
    if registers:
        st.subheader(tr("module_home.registers"))
        for spec, n in registers:
            st.page_link(spec.page, label=f"{tr(spec.label_key)} ({n:,})")


def render_module_home(module: str, title: str | None = None) -> None:
    """``title``: the menu entry's key where it is not the module's name."""
    actor = guard(module)
    st.title(tr(title or f"module.{module}"))
    show_flash()
    with session_scope() as session:
        registers = _registers(session, actor, module)
        flows = [s for s, _ in registers if s.state_field or s.presets]
        _tiles(_figures(session, actor, flows))
        paths = {s.page for s in all_specs() if s.module == module and s.page}
        paths |= {p.path for p in MODULE_PAGES if p.module == module}
        doors, attention = st.columns(2)
        with attention:
            _attention(session, actor, paths)
    with doors:
        _doors(actor, module, registers)
