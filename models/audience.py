"""Who a published document is for: one row per department, post or role it names.

A document with no rows here is for its whole enterprise. Kept apart from the documents so
the same three kinds of audience serve plans, checklists, contacts, articles and courses,
and so "is this for me" is one indexed EXISTS on every database.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class DocumentAudience(SQLModel, table=True):
    __tablename__ = "document_audience"

    id: int | None = Field(default=None, primary_key=True)
    table_name: str = Field(max_length=50, index=True)
    row_id: int = Field(index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    post_id: int | None = Field(default=None, foreign_key="post.id")
    role: str | None = Field(default=None, max_length=30)
