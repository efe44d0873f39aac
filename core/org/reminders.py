"""Organisation due dates: special-operation and other personnel certificates expiring. The
holder hears 30 days ahead, and so do the managers responsible for the holder's department;
a certificate renewed by a later one of the same kind and work type is no longer due."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, exists
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from core.inbox import DueDate, due_date
from models.org import Certificate

EXPIRY_WARNING_DAYS = 30  # also the cockpit's "expiring certificates" window


def not_renewed(horizon: date) -> ColumnElement[bool]:
    """No later certificate of the holder for the same kind of work replaces this one."""
    renewal = aliased(Certificate)
    return ~exists().where(
        and_(
            renewal.person_id == Certificate.person_id,
            renewal.kind == Certificate.kind,
            renewal.work_type.is_not_distinct_from(Certificate.work_type),
            renewal.expires_on > Certificate.expires_on,
            col(renewal.deleted_at).is_(None),
        )
    )


CERTIFICATE_EXPIRY = due_date(
    DueDate(
        name="certificate_expiry",
        table="certificate",
        column="expires_on",
        label="remind.kind.certificate",
        holder="person_id",
        managers_ahead=True,
        lead_days=EXPIRY_WARNING_DAYS,
        still_due=not_renewed,
    )
)
