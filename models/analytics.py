"""Saved SQL console queries: an analyst's own, or shared with their enterprise.

A saved query is only text: whoever runs it sees what their own scope allows, so sharing a
query never shares data.
"""

from __future__ import annotations

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field

from models.base import EnterpriseScoped


class SavedQuery(EnterpriseScoped, table=True):
    __tablename__ = "saved_query"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    name: str = Field(max_length=100)
    sql: str = Field(max_length=20_000, sa_type=Text)
    owner_id: int = Field(foreign_key="user.id", index=True)
    shared: bool = Field(default=False, index=True)
