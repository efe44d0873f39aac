"""Gas analysis on a permit (气体分析): what the latest readings say against the limits, and
readings entered by hand or imported from a detector's CSV export.

Before the start every gas the template asks for needs a reading no older than the limit's
sample age (GB 30871: 30 min) and inside the limit; each refusal names the gas, the value and
the limit. During the work a reading outside its limit suspends the permit at once
(``core.permit.flow.reading_saved``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from core.crud.validate import Problem
from core.permit.rules import aware, limits_for, pick_limit, within
from models.permit import Permit, PermitGasReading
from models.permit_reference import GasLimit, PermitGas, PermitGasUnit

UNIT_TEXT = {
    PermitGasUnit.VOL_PCT: "%vol",
    PermitGasUnit.MG_M3: "mg/m³",
    PermitGasUnit.PPM: "ppm",
    PermitGasUnit.LEL_PCT: "%LEL",
}


@dataclass(frozen=True)
class GasStatus:
    """One required gas: its latest reading, the limit it is held to and what is wrong."""

    gas: str
    reading: PermitGasReading | None
    limit: GasLimit | None
    problem: Problem | None


def limit_text(limit: GasLimit) -> str:
    """``≤ 0.5 %vol`` / ``19.5–21 %vol``, with the clause when known."""
    unit = UNIT_TEXT.get(limit.unit, str(limit.unit))
    if limit.min_value is not None and limit.max_value is not None:
        text = f"{limit.min_value:g}–{limit.max_value:g} {unit}"
    elif limit.max_value is not None:
        text = f"≤ {limit.max_value:g} {unit}"
    else:
        text = f"≥ {limit.min_value:g} {unit}"
    return f"{text} ({limit.clause})" if limit.clause else text


def value_text(reading: PermitGasReading) -> str:
    return f"{reading.value:g} {UNIT_TEXT.get(reading.unit, str(reading.unit))}"


def latest_by_gas(session: Session, permit_id: int) -> dict[str, PermitGasReading]:
    stmt = (
        select(PermitGasReading)
        .where(PermitGasReading.permit_id == permit_id, col(PermitGasReading.deleted_at).is_(None))
        .order_by(col(PermitGasReading.measured_at).desc(), col(PermitGasReading.id).desc())
    )
    latest: dict[str, PermitGasReading] = {}
    for reading in session.exec(stmt):
        latest.setdefault(str(reading.gas), reading)
    return latest


def gas_status(
    session: Session, permit: Permit, type_code: str, gases: list[str], now: datetime
) -> list[GasStatus]:
    """The state of each required gas at ``now``, in the template's order."""
    limits = limits_for(session, type_code)
    latest = latest_by_gas(session, permit.id) if permit.id else {}
    out = []
    for gas in gases:
        reading = latest.get(gas)
        label = f"enum.PermitGas.{gas}"
        if reading is None:
            limit = pick_limit(limits, gas, None)
            out.append(
                GasStatus(gas, None, limit, Problem("gas", "permit.gas_missing", {"gas": label}))
            )
            continue
        limit = pick_limit(limits, gas, reading.medium_lel)
        problem = None
        age = int((aware(now) - aware(reading.measured_at)).total_seconds() // 60)
        max_age = limit.max_sample_age_min if limit else 30
        ok = within(limit, reading.value, gas, reading.unit, reading.medium_lel)
        if ok is False and limit is not None:
            problem = Problem(
                "gas",
                "permit.gas_out_of_limit",
                {"gas": label, "value": value_text(reading), "limit": limit_text(limit)},
            )
        elif age > max_age:
            problem = Problem(
                "gas", "permit.gas_stale", {"gas": label, "minutes": age, "max": max_age}
            )
        out.append(GasStatus(gas, reading, limit, problem))
    return out


def required_gases(template_gases: list[Any], type_requires: bool, session: Session, code: str):
    """The template's list; a type that needs analysis but whose template names no gas is held
    to every gas it has a limit for."""
    gases = [str(g) for g in template_gases or []]
    if gases or not type_requires:
        return gases
    return sorted({str(lim.gas) for lim in limits_for(session, code)})


# --- detector CSV import --------------------------------------------------------------------

GAS_NAMES = {
    "o2": PermitGas.OXYGEN,
    "oxygen": PermitGas.OXYGEN,
    "氧气": PermitGas.OXYGEN,
    "lel": PermitGas.COMBUSTIBLE,
    "ex": PermitGas.COMBUSTIBLE,
    "ch4": PermitGas.COMBUSTIBLE,
    "combustible": PermitGas.COMBUSTIBLE,
    "可燃气体": PermitGas.COMBUSTIBLE,
    "h2s": PermitGas.H2S,
    "硫化氢": PermitGas.H2S,
    "co": PermitGas.CO,
    "一氧化碳": PermitGas.CO,
}
UNIT_NAMES = {
    "%vol": PermitGasUnit.VOL_PCT,
    "vol%": PermitGasUnit.VOL_PCT,
    "%v/v": PermitGasUnit.VOL_PCT,
    "vol_pct": PermitGasUnit.VOL_PCT,
    "%lel": PermitGasUnit.LEL_PCT,
    "lel%": PermitGasUnit.LEL_PCT,
    "lel_pct": PermitGasUnit.LEL_PCT,
    "ppm": PermitGasUnit.PPM,
    "mg/m3": PermitGasUnit.MG_M3,
    "mg/m³": PermitGasUnit.MG_M3,
    "mg_m3": PermitGasUnit.MG_M3,
}
#: What a detector means when its column gives no unit.
DEFAULT_UNIT = {
    PermitGas.OXYGEN: PermitGasUnit.VOL_PCT,
    PermitGas.COMBUSTIBLE: PermitGasUnit.LEL_PCT,
    PermitGas.H2S: PermitGasUnit.PPM,
    PermitGas.CO: PermitGasUnit.PPM,
}
TIME_HEADERS = {"time", "timestamp", "measured_at", "时间", "检测时间", "datetime", "date time"}
HEADER = re.compile(r"^\s*([^(（\[]+?)\s*(?:[(（\[]\s*([^)）\]]*)\s*[)）\]])?\s*$")
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


@dataclass(frozen=True)
class Column:
    index: int
    gas: str
    unit: str


def _columns(header: list[str]) -> tuple[int | None, list[Column]]:
    time_col, gases = None, []
    for i, raw in enumerate(header):
        match = HEADER.match(raw or "")
        if not match:
            continue
        name, unit = match.group(1).strip().lower(), (match.group(2) or "").strip().lower()
        if name in TIME_HEADERS:
            time_col = i
        elif name in GAS_NAMES:
            gas = GAS_NAMES[name]
            gases.append(Column(i, gas, UNIT_NAMES.get(unit, DEFAULT_UNIT[gas])))
    return time_col, gases


def parse_time(text: str, zone: Any) -> datetime | None:
    """Detector clocks show plant-local time; ISO strings with an offset are taken as given."""
    text = (text or "").strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
        for fmt in TIME_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def parse_detector_csv(
    data: bytes, zone: Any, medium_lel: float | None
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Rows of a multi-gas detector's export (one column per gas, e.g. ``时间, O2(%VOL),
    LEL(%LEL), H2S(ppm), CO(ppm)``) as readings; problems name the row (header = row 1)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")  # Chinese Windows exports
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return [], [Problem("file", "permit.csv_empty", {})]
    time_col, columns = _columns(rows[0])
    if time_col is None or not columns:
        return [], [Problem("file", "permit.csv_header", {"header": ", ".join(rows[0])})]
    if medium_lel is None and any(c.unit == PermitGasUnit.LEL_PCT for c in columns):
        return [], [Problem("medium_lel", "permit.lel_needs_medium", {})]
    readings, problems = [], []
    for n, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        at = parse_time(row[time_col] if time_col < len(row) else "", zone)
        if at is None:
            problems.append(Problem("file", "permit.csv_bad_time", {"row": n}))
            continue
        for c in columns:
            cell = row[c.index].strip() if c.index < len(row) else ""
            if not cell:
                continue
            try:
                value = float(cell)
            except ValueError:
                problems.append(Problem("file", "permit.csv_bad_value", {"row": n, "value": cell}))
                continue
            readings.append(
                {
                    "gas": c.gas,
                    "value": value,
                    "unit": c.unit,
                    "measured_at": at,
                    "medium_lel": medium_lel if c.gas == PermitGas.COMBUSTIBLE else None,
                }
            )
    if not readings and not problems:
        problems.append(Problem("file", "permit.csv_empty", {}))
    return readings, problems
