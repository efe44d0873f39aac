"""Charts without SQL: datasets declared once, and a chart specification (dataset, measure,
dimensions, filters, time window, chart type) turned into one scoped DuckDB aggregation.

A :class:`Dataset` is a business table seen by an analyst: its time column, the dimensions it
can be split by (``analytics.dimensions.Split``: the same keys and labels as the trend
dashboards), and its numeric fields. A measure is the row count or ``sum`` / ``avg`` / ``max``
/ ``min`` of a numeric field; a rate is the average of a 0/100 field (closure rate = average of
"closed (%)"). A :class:`ChartSpec` is plain data, stored as JSON on a dashboard; its window is
relative ("last 12 months"), so a saved chart always shows current figures, and it is read
under the *viewer's* modules and scope, so sharing a chart never shares data.

Example:
    >>> spec = ChartSpec("hazards", x="category", colour="level", window="90d")
    >>> chart_data(con, actor, spec, today=date(2026, 12, 2))  # doctest: +SKIP
    ChartData(frame=shape (21, 3) [x, colour, value], truncated=False)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import Any, Literal, get_args

import polars as pl

from analytics.dataset_catalogue import DATASETS, HOUR, PERIOD, WEEKDAY, Dataset
from analytics.dimensions import (
    distinct_labels,
    label_of,
    labels,
    window_sql,
)
from analytics.duck import Connection, local_ts, scoped
from analytics.trends import GRAINS, Grain, periods
from core.i18n import Translatable, t
from core.rbac import Actor
from models.enums import Action

KINDS = ("bar", "line", "area", "pie", "heatmap", "table", "number")
MAX_X = 30  # categories on one axis; the largest are kept
MAX_COLOURS = 10
MAX_FILTER_VALUES = 200


class InvalidChart(Translatable):
    """A chart specification that names something its dataset does not have."""


class ChartRefused(Translatable):
    """A chart over a module the viewer may not see."""


Window = Literal["30d", "90d", "12m", "ytd", "3y"]
WINDOWS: tuple[Window, ...] = get_args(Window)


@dataclass(frozen=True)
class ChartSpec:
    """What to draw; plain data (``as_dict`` / ``from_dict``) for storage on a dashboard."""

    dataset: str
    measure: str = "count"
    x: str = PERIOD
    colour: str | None = None
    grain: Grain = "month"
    window: Window = "12m"
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    kind: str = "bar"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["filters"] = {k: list(v) for k, v in self.filters}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChartSpec:
        """A spec from stored JSON, checked (:class:`InvalidChart` names what is wrong)."""
        try:
            filters = tuple(
                (str(k), tuple(map(str, v))) for k, v in data.get("filters", {}).items()
            )
            spec = cls(
                dataset=str(data["dataset"]),
                measure=str(data.get("measure", "count")),
                x=str(data.get("x", PERIOD)),
                colour=None if data.get("colour") in (None, "") else str(data["colour"]),
                grain=data.get("grain", "month"),
                window=data.get("window", "12m"),
                filters=filters,
                kind=str(data.get("kind", "bar")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidChart("chart.invalid.format") from exc
        return spec.checked()

    @property
    def source(self) -> Dataset:
        if self.dataset not in DATASETS:
            raise InvalidChart("chart.invalid.dataset", name=self.dataset)
        return DATASETS[self.dataset]

    def checked(self) -> ChartSpec:
        """This spec, if everything it names exists; a ``number`` chart drops its dimensions,
        a ``pie`` its colour."""
        ds = self.source
        if self.measure not in ds.measures:
            raise InvalidChart("chart.invalid.measure", name=self.measure)
        for dim in (self.x, self.colour):
            if dim is not None and dim not in ds.all_dimensions:
                raise InvalidChart("chart.invalid.dimension", name=dim)
        for dim, values in self.filters:
            if dim not in ds.dimensions:
                raise InvalidChart("chart.invalid.dimension", name=dim)
            if not values or len(values) > MAX_FILTER_VALUES:
                raise InvalidChart("chart.invalid.filter", name=dim, max=MAX_FILTER_VALUES)
        if self.grain not in GRAINS:
            raise InvalidChart("chart.invalid.grain", name=self.grain)
        if self.window not in WINDOWS:
            raise InvalidChart("chart.invalid.window", name=self.window)
        if self.kind not in KINDS:
            raise InvalidChart("chart.invalid.kind", name=self.kind)
        if self.kind == "heatmap" and self.colour is None:
            raise InvalidChart("chart.invalid.heatmap")
        if self.colour is not None and self.colour == self.x:
            raise InvalidChart("chart.invalid.same_dimension")
        if self.kind == "number":
            return replace(self, x=PERIOD, colour=None)
        return replace(self, colour=None) if self.kind == "pie" else self


def window_dates(window: Window, today: date) -> tuple[date, date]:
    """The local days a relative window covers, ending ``today``; month windows start on the
    first of a month (the last 12 months are this month and the 11 before it)."""
    if window in ("30d", "90d"):
        return today - timedelta(days=int(window[:-1]) - 1), today
    if window == "ytd":
        return today.replace(month=1, day=1), today
    months = today.year * 12 + today.month - 1 - (11 if window == "12m" else 35)
    return date(months // 12, months % 12 + 1, 1), today


def available(actor: Actor) -> list[str]:
    """The datasets whose module the actor may view."""
    return [k for k, d in DATASETS.items() if actor.can(d.module, Action.VIEW)]


@dataclass(frozen=True)
class ChartData:
    """``frame``: ``x``, ``colour`` (when split) and ``value``; ``truncated`` when categories
    beyond the largest ``MAX_X`` (or ``MAX_COLOURS`` colours) were left out."""

    frame: pl.DataFrame
    truncated: bool = False


def _time_key(ds: Dataset, dim: str, grain: Grain, zone: str) -> str:
    local = f"CAST(r.{ds.time} AS DATE)" if ds.local_date else local_ts(f"r.{ds.time}", zone)
    if dim == PERIOD:
        return f"CAST(date_trunc('{grain}', {local}) AS DATE)"
    if dim == WEEKDAY:
        return f"CAST(isodow({local}) - 1 AS INTEGER)"
    return f"CAST(hour({local}) AS INTEGER)"


def _key(ds: Dataset, dim: str, spec: ChartSpec, zone: str) -> str:
    return ds.dimensions[dim].key if dim in ds.dimensions else _time_key(ds, dim, spec.grain, zone)


def _aggregate(ds: Dataset, measure: str) -> str:
    if measure == "count":
        return "count(*)"
    agg, number = measure.split(":")
    return f"{agg}({ds.numbers[number].sql})"


def _query(ds: Dataset, spec: ChartSpec, actor: Actor, today: date, zone: str) -> str:
    used = [d for d in (spec.x, spec.colour) if d in ds.dimensions]
    used += [d for d, _ in spec.filters]
    joins = dict.fromkeys(ds.dimensions[d].join for d in used if ds.dimensions[d].join)
    start, end = window_dates(spec.window, today)
    where = [window_sql(f"r.{ds.time}", ds.local_date, start, end, zone), f"({ds.where})"]
    where += [
        f"CAST({ds.dimensions[d].key} AS VARCHAR) IN (SELECT unnest(${i + 1}))"
        for i, (d, _) in enumerate(spec.filters)
    ]
    x = "NULL" if spec.kind == "number" else _key(ds, spec.x, spec, zone)
    colour = _key(ds, spec.colour, spec, zone) if spec.colour else "NULL"
    return (
        f"SELECT {x} AS x, {colour} AS c, "
        f"CAST({_aggregate(ds, spec.measure)} AS DOUBLE) AS value "
        f"FROM {scoped(ds.table, actor)} r {' '.join(joins)} "
        f"WHERE {' AND '.join(where)} GROUP BY ALL"
    )


def chart_data(
    con: Connection,
    actor: Actor,
    spec: ChartSpec,
    *,
    today: date,
    zone: str = "Asia/Shanghai",
    lang: str = "zh-CN",
) -> ChartData:
    """The chart's figures under the actor's modules and scope; raises :class:`ChartRefused`
    for a dataset the actor may not view. Periods without rows count 0 (a sum 0, an average
    or extreme stays empty); weekdays and hours are named and ordered."""
    spec = spec.checked()
    ds = spec.source
    if not actor.can(ds.module, Action.VIEW):
        raise ChartRefused("chart.refused.module", dataset=t(f"dataset.{ds.key}", lang))
    params = [list(v) for _, v in spec.filters]
    found = con.execute(_query(ds, spec, actor, today, zone), params).pl()
    if spec.kind == "number":
        return ChartData(_total(found, spec))
    frame, truncated = _named(con, found, ds, spec, lang)
    if spec.x == PERIOD:
        frame = _fill_periods(frame, spec, today)
    return ChartData(frame, truncated)


def _labelled(
    con: Connection, keys: pl.Series, ds: Dataset, dim: str, lang: str, alias: str
) -> pl.Series:
    if dim == PERIOD:
        return keys.alias(alias).cast(pl.Date)
    if dim == WEEKDAY:
        names = [t(f"trends.weekday.{d}", lang) for d in range(7)]
        return pl.Series(alias, [None if k is None else names[k] for k in keys.to_list()])
    if dim == HOUR:
        return keys.alias(alias).cast(pl.Int64)
    split = ds.dimensions[dim]
    return label_of(keys, labels(con, split, set(keys.to_list()), lang), lang, alias)


def _merge(frame: pl.DataFrame, keys: list[str], measure: str) -> pl.DataFrame:
    """Rows that now share a label (two keys without a name) merged by the measure's rule."""
    agg = measure.split(":")[0]
    rule = {"count": pl.sum, "sum": pl.sum, "avg": pl.mean, "max": pl.max, "min": pl.min}[agg]
    return frame.group_by(keys, maintain_order=True).agg(rule("value"))


def _named(
    con: Connection, found: pl.DataFrame, ds: Dataset, spec: ChartSpec, lang: str
) -> tuple[pl.DataFrame, bool]:
    if spec.x in ds.time_dimensions:  # labels keep the order of the keys
        found = found.sort("x", "c", nulls_last=True)
    columns = [_labelled(con, found["x"], ds, spec.x, lang, "x")]
    if spec.colour:
        columns.append(_labelled(con, found["c"], ds, spec.colour, lang, "colour"))
    keys = [c.name for c in columns]
    frame = _merge(pl.DataFrame([*columns, found["value"]]), keys, spec.measure)
    truncated = False
    for key, most in (("x", MAX_X), ("colour", MAX_COLOURS)):
        if key not in keys or (spec.x == PERIOD and key == "x"):
            continue
        totals = frame.group_by(key).agg(pl.col("value").sum().alias("total"))
        if totals.height > most:
            kept = totals.sort("total", descending=True).head(most)[key]
            frame, truncated = frame.filter(pl.col(key).is_in(kept.implode())), True
    return _ordered(frame, ds, spec), truncated


def _ordered(frame: pl.DataFrame, ds: Dataset, spec: ChartSpec) -> pl.DataFrame:
    """Time in its own order (already sorted by key); categories largest first."""
    if spec.x in ds.time_dimensions:
        return frame
    totals = frame.group_by("x").agg(pl.col("value").sum().alias("_t"))
    return (
        frame.join(totals, on="x")
        .sort(["_t", "x"], descending=[True, False], nulls_last=True)
        .drop("_t")
    )


def _fill_periods(frame: pl.DataFrame, spec: ChartSpec, today: date) -> pl.DataFrame:
    start, end = window_dates(spec.window, today)
    grid = periods(start, end, spec.grain).rename("x").to_frame()
    if spec.colour:
        grid = grid.join(frame.select("colour").unique(), how="cross")
    keys = grid.columns
    filled = grid.join(frame, on=keys, how="left")
    if spec.measure == "count" or spec.measure.startswith("sum:"):
        filled = filled.with_columns(pl.col("value").fill_null(0.0))
    return filled.sort(keys)


def _total(found: pl.DataFrame, spec: ChartSpec) -> pl.DataFrame:
    """A ``number`` chart's one figure over the whole window (no rows: a count or sum is 0)."""
    value = found["value"][0] if found.height else None
    if value is None and (spec.measure == "count" or spec.measure.startswith("sum:")):
        value = 0.0
    return pl.DataFrame({"value": [value]}, schema={"value": pl.Float64})


def dimension_values(
    con: Connection, actor: Actor, dataset: str, dim: str, lang: str
) -> list[tuple[str, str]]:
    """``(key, label)`` of every value a filter on ``dim`` offers, by label (keys as text, as
    :class:`ChartSpec` stores them): an enum's members, or the rows of the names table the
    actor may see — read from that small table, never by scanning the dataset."""
    split = DATASETS[dataset].dimensions[dim]
    if split.enum is not None:
        return [(m.name, t(f"enum.{split.enum.__name__}.{m.value}", lang)) for m in split.enum]
    sql = (
        f"SELECT CAST(n.{split.by} AS VARCHAR), {split.name_sql(lang)} AS label, "
        f"{split.owner_sql()} FROM {scoped(split.names or '', actor)} n WHERE {split.choices} "
        f"ORDER BY label, 3 LIMIT {MAX_FILTER_VALUES}"
    )
    return list(distinct_labels(con.sql(sql).fetchall()).items())
