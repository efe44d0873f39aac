"""Saved SQL console queries and dashboards of charts: an analyst's own, or shared with their
enterprise.

A saved query or a dashboard is only a description: whoever runs or opens it sees what their
own modules and scope allow, so sharing one never shares data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field

from models.base import EnterpriseScoped, Record


class SavedQuery(EnterpriseScoped, table=True):
    __tablename__ = "saved_query"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    name: str = Field(max_length=100)
    sql: str = Field(max_length=20_000, sa_type=Text)
    owner_id: int = Field(foreign_key="user.id", index=True)
    shared: bool = Field(default=False, index=True)


class Dashboard(EnterpriseScoped, table=True):
    """A named page of charts; only its owner changes it."""

    __tablename__ = "dashboard"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    name: str = Field(max_length=100)
    owner_id: int = Field(foreign_key="user.id", index=True)
    shared: bool = Field(default=False, index=True)


class DashboardChart(Record, table=True):
    """One chart on a dashboard, in ``position`` order: either a chart-builder specification
    (``spec`` = ``analytics.datasets.ChartSpec.as_dict()``) or a pinned saved query
    (``saved_query_id`` with ``spec`` = how to plot its result: kind, x, y, colour)."""

    __tablename__ = "dashboard_chart"

    dashboard_id: int = Field(foreign_key="dashboard.id", index=True)
    position: int = Field(default=0)
    title: str = Field(max_length=100)
    spec: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    saved_query_id: int | None = Field(default=None, foreign_key="saved_query.id", index=True)
