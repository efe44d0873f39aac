"""摄像头与区域配置: register a camera, grab its picture, draw zones on it with a box or lasso,
and attach rules — everything the detector service reads from the database."""

from __future__ import annotations

import base64
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlmodel import Session

from core.crud.lookup import options
from core.crud.registry import get_spec
from core.crud.secrets import shown_uri, with_credentials
from core.crud.service import ValidationFailed, create_row, get_row
from core.crud.validate import Problem
from core.rbac import Actor
from core.ui.context import lang, show_flash, tr
from core.ui.plot import show_chart
from core.ui.steps import attempt, problems
from core.video.cameras import camera_zones, rule_kinds, zone_rules
from core.video.rules import format_hours, parse_hours
from core.video.zone_drawing import grid, parse_vertices, polygon_from_selection
from models.enums import Action, Module
from models.video import Camera, RuleKind, VideoRuleKind, VideoZone, ZoneKind

KEY = "video_setup"
ZONE_COLOURS = {
    ZoneKind.DANGER: "rgba(214,39,40,0.35)",
    ZoneKind.RESTRICTED: "rgba(255,127,14,0.35)",
    ZoneKind.CONFINED_SPACE: "rgba(148,103,189,0.35)",
    ZoneKind.POST: "rgba(44,160,44,0.35)",
    ZoneKind.PPE_REQUIRED: "rgba(31,119,180,0.35)",
}


def _labels(enum: Any, prefix: str) -> dict[str, str]:
    return {m.value: tr(f"{prefix}.{m.value}") for m in enum}


def _figure(camera: Camera, picture: bytes | None, zones: list[VideoZone], draft: Any) -> go.Figure:
    w, h = camera.frame_width, camera.frame_height
    fig = go.Figure()
    xs, ys = grid(w, h)
    fig.add_scatter(
        x=xs,
        y=ys,
        mode="markers",
        marker={"size": 6, "opacity": 0.01},
        hoverinfo="none",
        showlegend=False,
    )
    for zone in zones:
        pts = [*zone.polygon, zone.polygon[0]] if zone.polygon else []
        fig.add_scatter(
            x=[p[0] for p in pts],
            y=[p[1] for p in pts],
            mode="lines",
            fill="toself",
            fillcolor=ZONE_COLOURS.get(zone.kind, "rgba(127,127,127,0.3)"),
            line={"color": "white", "width": 2},
            name=zone.name,
            hoverinfo="name",
        )
    if draft:
        pts = [*draft, draft[0]]
        fig.add_scatter(
            x=[p[0] for p in pts],
            y=[p[1] for p in pts],
            mode="lines+markers",
            line={"color": "#ffdd00", "width": 3, "dash": "dash"},
            showlegend=False,
        )
    if picture is not None:
        url = "data:image/jpeg;base64," + base64.b64encode(picture).decode("ascii")
        fig.add_layout_image(
            source=url,
            x=0,
            y=0,
            sizex=w,
            sizey=h,
            xref="x",
            yref="y",
            sizing="stretch",
            layer="below",
        )
    fig.update_layout(
        height=min(560, int(560 * h / w) + 40),
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        xaxis={"range": [0, w], "visible": False, "constrain": "domain"},
        yaxis={"range": [h, 0], "visible": False, "scaleanchor": "x"},
        dragmode="lasso",
        legend={"orientation": "h", "y": -0.02},
        plot_bgcolor="#222",
    )
    return fig


def _camera_form(session: Session, actor: Actor) -> None:
    if not actor.can(Module.VIDEO, Action.CREATE):
        return
    with st.expander(tr("video_setup.new_camera")), st.form(f"{KEY}_camera"):
        name = st.text_input(tr("video_setup.camera_name"))
        uri = st.text_input(tr("video_setup.source_uri"), value="synthetic://production?seed=1")
        st.caption(tr("video_setup.source_hint"))
        areas = options(session, "area", actor)
        area = st.selectbox(
            tr("field.area_id"), [None, *areas], format_func={None: tr("common.none"), **areas}.get
        )
        left, mid, right = st.columns(3)
        fps = left.number_input(tr("video_setup.fps"), 1.0, 30.0, 5.0)
        width = mid.number_input(tr("video_setup.width"), 160, 3840, 640)
        height = right.number_input(tr("video_setup.height"), 120, 2160, 360)
        pressed = st.form_submit_button(tr("common.save"), type="primary")
    problems(f"{KEY}_camera")
    if pressed:
        values = {
            "name": name,
            "source_uri": uri,
            "area_id": area,
            "fps_target": fps,
            "frame_width": int(width),
            "frame_height": int(height),
        }
        attempt(
            f"{KEY}_camera",
            lambda s: create_row(s, get_spec("camera"), actor, values),
            tr("common.saved"),
        )
        st.rerun()


def render_setup(session: Session, actor: Actor) -> None:
    st.title(tr("page.video_setup"))
    st.caption(tr("video_setup.intro"))
    show_flash()
    _camera_form(session, actor)
    cameras = options(session, "camera", actor)
    if not cameras:
        st.info(tr("video_setup.no_camera"))
        return
    camera_id = st.selectbox(
        tr("video_setup.camera"), list(cameras), format_func=cameras.get, key=f"{KEY}_camera_id"
    )
    camera = get_row(session, get_spec("camera"), actor, camera_id)
    slot = f"{KEY}_picture_{camera.id}"
    if st.button(tr("video_setup.grab"), key=f"{KEY}_grab"):
        try:
            # Optional extra: the detector (OpenCV) is not installed by a plain
            # ``bootstrap run``; without it the page works and the grab says why it failed.
            from detectors.sources import snapshot_jpeg

            uri = with_credentials(camera.source_uri, camera.username, camera.password)
            st.session_state[slot] = snapshot_jpeg(uri, camera.frame_width, camera.frame_height)[0]
        except ImportError:
            st.warning(tr("video_setup.detector_missing"))
        except (OSError, RuntimeError, ValueError) as exc:
            uri = shown_uri(camera, "source_uri", ("username", "password"))
            st.error(tr("video_setup.grab_failed", uri=uri, error=str(exc)[:200]))
    zones = camera_zones(session, actor, camera.id)
    draft = st.session_state.get(f"{KEY}_draft_{camera.id}")
    st.caption(tr("video_setup.draw_hint"))
    event = show_chart(  # the toolbar's box and lasso tooltips in the reader's language
        _figure(camera, st.session_state.get(slot), zones, draft),
        on_select="rerun",
        selection_mode=("box", "lasso"),
        key=f"{KEY}_chart_{camera.id}",
        config={"displayModeBar": True, "modeBarButtonsToRemove": ["toImage"]},
    )
    drawn = polygon_from_selection(
        event.selection if event else None, camera.frame_width, camera.frame_height
    )
    if drawn and drawn != draft:
        st.session_state[f"{KEY}_draft_{camera.id}"] = drawn
        st.rerun()
    _zone_form(actor, camera, draft)
    _zones_and_rules(session, actor, zones)


def _zone_form(actor: Actor, camera: Camera, draft: list[list[int]] | None) -> None:
    key = f"{KEY}_zone_{camera.id}"
    kinds = _labels(ZoneKind, "enum.ZoneKind")
    with st.form(key):
        st.markdown(f"**{tr('video_setup.new_zone')}**")
        rows = [{"x": p[0], "y": p[1]} for p in draft or []]
        vertices = st.data_editor(
            pd.DataFrame(rows, columns=["x", "y"]),
            num_rows="dynamic",
            hide_index=True,
            key=f"{key}_vertices",
        )
        left, right = st.columns(2)
        name = left.text_input(tr("video_setup.zone_name"), key=f"{key}_name")
        kind = right.selectbox(
            tr("video_setup.zone_kind"), list(kinds), format_func=kinds.get, key=f"{key}_kind"
        )
        pressed = st.form_submit_button(tr("video_setup.save_zone"), type="primary")
    problems(key)
    if not pressed:
        return
    values = {
        "camera_id": camera.id,
        "name": name,
        "kind": kind,
        "area_id": camera.area_id,
        "polygon": parse_vertices(vertices.to_dict("records")),
    }
    if attempt(
        key, lambda s: create_row(s, get_spec("video_zone"), actor, values), tr("common.saved")
    ):
        st.session_state.pop(f"{KEY}_draft_{camera.id}", None)
    st.rerun()


def _zones_and_rules(session: Session, actor: Actor, zones: list[VideoZone]) -> None:
    if not zones:
        return
    st.markdown(f"#### {tr('video_setup.zones')}")
    rule_names = _labels(RuleKind, "enum.RuleKind")
    kinds = rule_kinds(session, actor)
    rules_of = zone_rules(session, actor, [zone.id for zone in zones])
    for zone in zones:
        rules = rules_of[zone.id]
        title = f"{zone.name} · {tr(f'enum.ZoneKind.{zone.kind}')} · {len(rules)}"
        with st.expander(title):
            for rule in rules:
                state = "✓" if rule.enabled else "—"
                schema = kinds[rule.kind].params_schema if rule.kind in kinds else {}
                st.markdown(
                    f"{state} **{rule.name}** · {rule_names.get(rule.kind, rule.kind)} "
                    f"· {param_text(rule.params or {}, schema)} "
                    f"· {tr('video_setup.cooldown')} {rule.cooldown_s}"
                )
            _rule_form(actor, zone, kinds, rule_names)


def _param_label(name: str) -> str:
    return tr(f"video_setup.param.{name}")


def _param_input(name: str, spec: dict[str, Any], key: str) -> Any:
    """One rule parameter's widget; hour windows are typed as text (``8-17, 22-6``) and
    read by ``_read_params`` on save."""
    label = _param_label(name)
    default = spec.get("default")
    if spec.get("format") == "hours":
        return st.text_input(
            label, format_hours(default), key=key, help=tr("video_setup.hours_hint")
        )
    if spec.get("type") == "list":
        return st.multiselect(
            label,
            list(spec.get("enum") or []),
            default=default or [],
            format_func=lambda v: tr(f"video_setup.option.{v}"),
            placeholder=tr("common.choose_options"),
            key=key,
        )
    if spec.get("type") == "bool":
        return st.checkbox(label, value=bool(default), key=key)
    if spec.get("type") == "float":
        return st.number_input(label, value=float(default or 0), key=key)
    return int(st.number_input(label, value=int(default or 0), step=1, key=key))


def _read_params(raw: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The form's values as rule parameters; an unreadable hour window is refused by name."""
    params = dict(raw)
    for name, spec in schema.items():
        if spec.get("format") == "hours":
            try:
                params[name] = parse_hours(str(raw.get(name) or ""))
            except ValueError as exc:
                values = {"name": _param_label(name), "text": raw.get(name)}
                problem = Problem("params", "video_setup.bad_hours", values)
                raise ValidationFailed([problem]) from exc
    return params


def param_text(params: dict[str, Any], schema: dict[str, Any]) -> str:
    """A rule's parameters in words for the rule list (允许人数 0 · 允许时段 8-17 · …)."""
    parts = []
    for name, spec in schema.items():
        value = params.get(name, spec.get("default"))
        if spec.get("format") == "hours":
            shown = format_hours(value) or "—"
        elif spec.get("type") == "bool":
            shown = "✓" if value else "✗"
        elif spec.get("type") == "list":
            shown = "、".join(tr(f"video_setup.option.{v}") for v in value or []) or "—"
        else:
            shown = str(value)
        parts.append(f"{_param_label(name)} {shown}")
    return " · ".join(parts)


def _rule_form(
    actor: Actor, zone: VideoZone, kinds: dict[str, VideoRuleKind], names: dict[str, str]
) -> None:
    if not actor.can(Module.VIDEO, Action.CREATE):
        return
    key = f"{KEY}_rule_{zone.id}"
    kind = st.selectbox(
        tr("video_setup.rule_kind"), list(names), format_func=names.get, key=f"{key}_kind"
    )
    schema = kinds[kind].params_schema if kind in kinds else {}
    with st.form(key):
        params = {n: _param_input(n, spec, f"{key}_{n}") for n, spec in schema.items()}
        cols = st.columns(4)
        cooldown = cols[0].number_input(tr("video_setup.cooldown"), 0, 86400, 60, key=f"{key}_cd")
        confidence = cols[1].number_input(
            tr("video_setup.min_confidence"), 0.0, 1.0, 0.5, key=f"{key}_conf"
        )
        frames = cols[2].number_input(tr("video_setup.min_frames"), 1, 1000, 3, key=f"{key}_mf")
        hazard = cols[3].checkbox(tr("video_setup.auto_hazard"), key=f"{key}_hz")
        pressed = st.form_submit_button(tr("video_setup.add_rule"))
    problems(key)
    if not pressed:
        return
    name = kinds[kind].name_en if lang() == "en" and kind in kinds else names[kind]
    values = {
        "zone_id": zone.id,
        "name": f"{zone.name} · {name}",
        "kind": kind,
        "cooldown_s": int(cooldown),
        "min_confidence": confidence,
        "min_frames": int(frames),
        "auto_hazard": hazard,
        "enabled": True,
    }

    def add(session: Session) -> None:
        create_row(
            session,
            get_spec("video_rule"),
            actor,
            {**values, "params": _read_params(params, schema)},
        )

    attempt(key, add, tr("common.saved"))
    st.rerun()
