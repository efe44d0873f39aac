"""Demo AI video: cameras over the plants' areas, zones and rules, three years of violations.

The main plant has 24 cameras (more in production areas), the other two enterprises six
each. Every camera plays the built-in synthetic scene. Violations (3,000 a year at S, times
the scale factor, four fifths in the main plant) follow a Pareto over rule kinds (missing PPE
first), peak in summer and at the shift changes (08:00, 16:00, 00:00 Beijing time), and fall
slowly as the plant improves. Old ones are reviewed, about 3 % of them as false alarms (the
seeds' claim); the last three days are mostly still new.
"""

from __future__ import annotations

import bisect
import itertools
import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlmodel import select

from core.db import utcnow
from core.demogen import DemoContext
from core.video.rules import default_detector_config, rule_params
from detectors.layout import layout_zones, scene_layout
from models.org import Area
from models.video import (
    Camera,
    CameraKind,
    CameraStatus,
    RuleKind,
    VideoClassRole,
    VideoRule,
    VideoRuleKind,
    VideoViolation,
    VideoZone,
    ViolationState,
    ZoneKind,
)

FRAME = (1920, 1080)
VIOLATIONS_PER_YEAR = 3000
YEARS = 3
MAIN_SHARE = 0.8
FALSE_ALARM = 0.03
CAMERAS_BY_KIND = {"production": 3, "storage": 2, "utility": 2, "office": 1, "outdoor": 2}
OTHER_CAMERAS = 6
EXPLOSION_PROOF = ("涂装", "油漆", "危化", "天然气", "罐区", "合成", "精馏")
ZONES_BY_AREA_KIND: dict[str, tuple[ZoneKind, ...]] = {
    "production": (ZoneKind.PPE_REQUIRED, ZoneKind.DANGER, ZoneKind.POST,
                   ZoneKind.CONFINED_SPACE, ZoneKind.RESTRICTED),
    "storage": (ZoneKind.RESTRICTED, ZoneKind.PPE_REQUIRED, ZoneKind.DANGER, ZoneKind.POST),
    "utility": (ZoneKind.RESTRICTED, ZoneKind.CONFINED_SPACE, ZoneKind.POST, ZoneKind.DANGER),
    "office": (ZoneKind.RESTRICTED, ZoneKind.POST),
    "outdoor": (ZoneKind.DANGER, ZoneKind.PPE_REQUIRED, ZoneKind.RESTRICTED),
}  # fmt: skip
RULES_BY_ZONE: dict[ZoneKind, tuple[RuleKind, ...]] = {
    ZoneKind.PPE_REQUIRED: (RuleKind.PPE_MISSING,),
    ZoneKind.DANGER: (RuleKind.INTRUSION, RuleKind.DWELL),
    ZoneKind.RESTRICTED: (RuleKind.INTRUSION,),
    ZoneKind.CONFINED_SPACE: (RuleKind.OVERCROWD, RuleKind.DWELL, RuleKind.PPE_MISSING),
    ZoneKind.POST: (RuleKind.POST_UNSTAFFED,),
}
ZONE_NAMES = {
    ZoneKind.PPE_REQUIRED: "劳保必戴区", ZoneKind.DANGER: "危险作业区",
    ZoneKind.RESTRICTED: "禁入区", ZoneKind.CONFINED_SPACE: "受限空间入口",
    ZoneKind.POST: "值守岗位",
}  # fmt: skip
RULE_NAMES = {
    RuleKind.PPE_MISSING: "未戴安全帽/反光衣", RuleKind.INTRUSION: "人员闯入",
    RuleKind.OVERCROWD: "受限空间超员", RuleKind.DWELL: "超时滞留",
    RuleKind.POST_UNSTAFFED: "离岗脱岗",
}  # fmt: skip
KIND_WEIGHTS = {RuleKind.PPE_MISSING: 0.52, RuleKind.INTRUSION: 0.22, RuleKind.DWELL: 0.11,
                RuleKind.OVERCROWD: 0.08, RuleKind.POST_UNSTAFFED: 0.07}  # fmt: skip
# Beijing-time hour weights: shift changes at 08:00, 16:00 and 00:00, day shift busier.
HOUR_WEIGHTS = [3, 1, 1, 1, 1, 1, 2, 5, 9, 6, 5, 5, 4, 5, 5, 6, 9, 6, 4, 3, 3, 3, 3, 5]
MONTH_WEIGHTS = [0.8, 0.6, 0.9, 1.0, 1.1, 1.3, 1.4, 1.4, 1.1, 1.0, 0.9, 0.8]
BEIJING = timedelta(hours=8)


def generate(ctx: DemoContext) -> None:
    manager = next(u for u in ctx.users if u.username == "safety_manager")
    cameras = _cameras(ctx, manager.id)
    zones = _zones(ctx, cameras, manager.id)
    rules = _rules(ctx, zones, manager.id)
    ctx.bulk(VideoViolation, _violations(ctx, cameras, zones, rules, manager.id))


def _camera_areas(ctx: DemoContext) -> list[Area]:
    """24 cameras over the main plant by area kind; six over each other plant's work areas."""
    out: list[Area] = []
    for enterprise in ctx.enterprises:
        areas = ctx.areas_of(enterprise.id)
        if enterprise.id == ctx.main.id:
            out += [a for a in areas for _ in range(CAMERAS_BY_KIND.get(str(a.kind), 1))]
        else:
            work = [a for a in areas if str(a.kind) != "office"]
            out += [work[i % len(work)] for i in range(OTHER_CAMERAS)]
    return out


def _detector_config(ctx: DemoContext, family: str) -> dict[str, Any]:
    rows = ctx.session.exec(
        select(
            VideoClassRole.model_family, VideoClassRole.class_name, VideoClassRole.role
        ).order_by(VideoClassRole.code)
    ).all()
    return default_detector_config(((f, c, str(r)) for f, c, r in rows), family)


def _cameras(ctx: DemoContext, created_by: int | None) -> list[dict[str, Any]]:
    rng = ctx.rng
    configs = {f: _detector_config(ctx, f) for f in ("coco", "ppe")}
    # the last heartbeat: 09:30 of the demo day, or now if that is still ahead (a fresh demo)
    now = min(datetime.combine(ctx.today, time(9, 30), tzinfo=UTC), utcnow())
    codes = {e.id: e.code[-5:-3] for e in ctx.enterprises}  # "…HD01X" → HD
    rows: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    for i, area in enumerate(_camera_areas(ctx), start=1):
        seen[area.id] = seen.get(area.id, 0) + 1
        proof = any(word in area.name for word in EXPLOSION_PROOF)
        kind = CameraKind.EXPLOSION_PROOF if proof else rng.choice(list(CameraKind)[:3])
        status = {5: CameraStatus.STALLED, 11: CameraStatus.ERROR, 17: CameraStatus.STOPPED}.get(
            i, CameraStatus.RUNNING
        )
        fps_target = rng.choice((5.0, 5.0, 10.0))
        rows.append(
            {"name": f"{area.name}{seen[area.id]}号摄像头",
             "code": f"{codes[area.enterprise_id]}-CAM{i:03d}", "area_id": area.id,
             "source_uri": f"synthetic://{area.kind}?seed={i}", "kind": kind,
             "enabled": status != CameraStatus.STOPPED, "fps_target": fps_target,
             "frame_width": FRAME[0], "frame_height": FRAME[1],
             "detector_config": configs["ppe" if str(area.kind) == "production" else "coco"],
             "status": status,
             "last_frame_at": None if status == CameraStatus.STOPPED
             else now - timedelta(seconds=rng.randint(1, 5) * (120 if status != "running" else 1)),
             "fps": round(fps_target * rng.uniform(0.9, 1.0), 1)
             if status == CameraStatus.RUNNING else 0.0,
             "lag_ms": float(rng.randint(40, 180)) if status == CameraStatus.RUNNING else None,
             "last_error": "RTSP read timeout" if status == CameraStatus.ERROR else None,
             "enterprise_id": area.enterprise_id, "department_id": area.department_id,
             "created_by": created_by}
        )  # fmt: skip
    for row, row_id in zip(rows, ctx.bulk(Camera, rows), strict=True):
        row["id"] = row_id
    return rows


def scene_polygons(uri: str, width: int = FRAME[0], height: int = FRAME[1]) -> dict[str, list]:
    """Zone outlines by zone kind that match what a ``synthetic://`` camera shows (the
    scene's own layout, scaled to the camera's frame), so a demo detector run finds people
    in them. A restricted zone shares the hatched danger area."""
    layout = scene_layout(uri)
    sx, sy = width / layout.width, height / layout.height
    out = {
        z.kind: [[round(x * sx), round(y * sy)] for x, y in z.polygon] for z in layout_zones(layout)
    }
    out[ZoneKind.RESTRICTED] = out[ZoneKind.DANGER]
    return out


def _zones(
    ctx: DemoContext, cameras: list[dict[str, Any]], created_by: int | None
) -> list[dict[str, Any]]:
    rng = ctx.rng
    area_kind = {a.id: str(a.kind) for a in ctx.areas}
    rows = []
    for cam in cameras:
        kinds = ZONES_BY_AREA_KIND.get(area_kind[cam["area_id"]], ZONES_BY_AREA_KIND["office"])
        count = min(len(kinds), rng.randint(2, 4))
        outlines = scene_polygons(cam["source_uri"], cam["frame_width"], cam["frame_height"])
        for n, kind in enumerate(kinds[:count], start=1):
            rows.append(
                {"camera_id": cam["id"], "name": f"{cam['name']}-{ZONE_NAMES[kind]}{n}",
                 "kind": kind, "polygon": outlines[kind], "area_id": cam["area_id"],
                 "enterprise_id": cam["enterprise_id"], "department_id": cam["department_id"],
                 "created_by": created_by}
            )  # fmt: skip
    for row, row_id in zip(rows, ctx.bulk(VideoZone, rows), strict=True):
        row["id"] = row_id
    return rows


def _rules(
    ctx: DemoContext, zones: list[dict[str, Any]], created_by: int | None
) -> list[dict[str, Any]]:
    rng = ctx.rng
    schemas = {k.code: k.params_schema for k in ctx.session.exec(select(VideoRuleKind)).all()}
    rows = []
    for zone in zones:
        for kind in RULES_BY_ZONE[zone["kind"]][: rng.randint(1, 2)]:
            params, _bad = rule_params(_params(rng, kind), schemas.get(kind, {}))
            rows.append(
                {"zone_id": zone["id"], "name": RULE_NAMES[kind], "kind": kind,
                 "params": params, "cooldown_s": rng.choice((30, 60, 120, 300)),
                 "min_confidence": rng.choice((0.45, 0.5, 0.6)),
                 "min_frames": rng.choice((3, 5, 8)), "enabled": True,
                 "auto_hazard": kind == RuleKind.OVERCROWD,
                 "enterprise_id": zone["enterprise_id"], "department_id": zone["department_id"],
                 "created_by": created_by}
            )  # fmt: skip
    for row, row_id in zip(rows, ctx.bulk(VideoRule, rows), strict=True):
        row["id"] = row_id
    return rows


def _params(rng: random.Random, kind: RuleKind) -> dict[str, Any]:
    if kind == RuleKind.PPE_MISSING:
        return {"require": rng.choice((["helmet"], ["helmet", "vest"]))}
    if kind == RuleKind.OVERCROWD:
        return {"max_people": rng.choice((2, 3, 4))}
    if kind == RuleKind.DWELL:
        return {"seconds": rng.choice((120, 300, 600))}
    if kind == RuleKind.POST_UNSTAFFED:
        return {"min_people": 1, "seconds": 120, "hours": [[0, 24]]}
    return {"allowed_people": 0}


def _day_table(ctx: DemoContext) -> tuple[list[Any], list[float]]:
    """Days of the last three years with cumulative weights (season × slow improvement)."""
    days = ctx.days_back(YEARS)
    weights = [
        MONTH_WEIGHTS[d.month - 1] * (1.25 - 0.5 * i / len(days)) for i, d in enumerate(days)
    ]
    return days, list(itertools.accumulate(weights))


def _violations(
    ctx: DemoContext,
    cameras: list[dict[str, Any]],
    zones: list[dict[str, Any]],
    rules: list[dict[str, Any]],
    reviewer: int | None,
) -> list[dict[str, Any]]:
    rng = ctx.rng
    total = VIOLATIONS_PER_YEAR * YEARS * ctx.factor
    zone_by_id = {z["id"]: z for z in zones}
    cam_by_id = {c["id"]: c for c in cameras}
    # Pareto within a kind: a few cameras produce most alarms.
    pools: dict[tuple[bool, RuleKind], tuple[list[dict[str, Any]], list[float]]] = {}
    for rule in rules:
        key = (rule["enterprise_id"] == ctx.main.id, rule["kind"])
        pool = pools.setdefault(key, ([], []))
        pool[0].append(rule)
        pool[1].append((pool[1][-1] if pool[1] else 0) + rng.paretovariate(1.5))
    days, day_cum = _day_table(ctx)
    hour_cum = list(itertools.accumulate(HOUR_WEIGHTS))
    kinds, kind_cum = list(KIND_WEIGHTS), list(itertools.accumulate(KIND_WEIGHTS.values()))
    recent = ctx.today - timedelta(days=3)
    latest = utcnow() - timedelta(minutes=1)  # a demo made today has nothing from the future
    tracks = itertools.count(1)
    rows = []
    for _ in range(total):
        main = rng.random() < MAIN_SHARE
        kind = kinds[bisect.bisect(kind_cum, rng.random() * kind_cum[-1])]
        pool = pools.get((main, kind)) or pools.get((not main, kind))
        rules_of, cum = pool or pools[next(k for k in sorted(pools) if k[0] == main)]
        rule = rules_of[bisect.bisect(cum, rng.random() * cum[-1])]
        day = days[min(len(days) - 1, bisect.bisect(day_cum, rng.random() * day_cum[-1]))]
        hour = bisect.bisect(hour_cum, rng.random() * hour_cum[-1])
        local = datetime.combine(day, time(hour, rng.randint(0, 59), rng.randint(0, 59)))
        occurred = min((local - BEIJING).replace(tzinfo=UTC), latest)
        zone = zone_by_id[rule["zone_id"]]
        cam = cam_by_id[zone["camera_id"]]
        false_alarm = rng.random() < FALSE_ALARM
        confidence = round(rng.uniform(0.45, 0.75) if false_alarm else rng.uniform(0.6, 0.98), 3)
        track = next(tracks)
        row = {
            "camera_id": cam["id"], "zone_id": zone["id"], "rule_id": rule["id"],
            "rule_kind": kind, "occurred_at": occurred, "track_id": track,
            "confidence": confidence, "snapshot_id": None,
            "boxes": [_box(rng, zone["polygon"], kind, confidence, track)],
            "state": ViolationState.NEW, "reviewed_by": None, "reviewed_at": None,
            "review_comment": None, "hazard_id": None,
            "enterprise_id": cam["enterprise_id"], "department_id": cam["department_id"],
            "created_by": reviewer,
        }  # fmt: skip
        if day < recent or rng.random() < 0.3:
            row.update(
                state=ViolationState.FALSE_ALARM if false_alarm else ViolationState.CONFIRMED,
                reviewed_by=reviewer,
                reviewed_at=occurred + timedelta(minutes=rng.randint(5, 600)),
                review_comment="误报：反光/遮挡" if false_alarm else None,
            )
        rows.append(row)
    rows.sort(key=lambda r: r["occurred_at"])
    return rows


def _box(
    rng: random.Random, poly: list[list[int]], kind: RuleKind, conf: float, track: int
) -> dict[str, Any]:
    """A person-sized box whose feet stand inside the zone's bounding box."""
    xs, ys = [p[0] for p in poly], [p[1] for p in poly]
    x = rng.randint(min(xs), max(xs))
    y2 = rng.randint(min(ys), max(ys))
    h = rng.randint(120, 320)
    w = h // 3
    role = "head" if kind == RuleKind.PPE_MISSING else "person"
    return {"xyxy": [max(0, x - w // 2), max(0, y2 - h), min(FRAME[0], x + w // 2), y2],
            "role": role, "conf": conf, "track_id": track}  # fmt: skip
