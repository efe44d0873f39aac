"""Who reads and who is reminded: the two managers a due date reaches (enterprise 1's safety
manager, the head of its department A), and what an actor's lists and inbox hold."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.config import Settings
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.rbac import Actor, actor_for
from models.enums import Role
from models.notification import Notification
from tests import factories
from tests.factories import Org


def managers(engine: Engine, settings: Settings, org: Org, prefix: str) -> dict[str, Actor]:
    """``manager`` (safety manager of enterprise 1) and ``dept_head_a``, committed once per
    test module (``prefix`` keeps the user names apart)."""
    with Session(engine) as session:
        made = {
            "manager": factories.user(
                session,
                settings,
                f"{prefix}_manager",
                Role.SAFETY_MANAGER,
                park_id=org.park,
                enterprise_id=org.ent1,
            ),
            "dept_head_a": factories.user(
                session,
                settings,
                f"{prefix}_dept_head_a",
                Role.DEPT_HEAD,
                park_id=org.park,
                enterprise_id=org.ent1,
                department_id=org.dept_a,
            ),
        }
        session.commit()
        return {name: actor_for(session, u) for name, u in made.items()}


def ids(session: Session, table: str, actor: Actor) -> set[int]:
    """The ids of ``table`` the actor's lists show."""
    return {row.id for row in session.exec(visible(get_spec(table), actor)).all()}


def notices(session: Session, table: str, row_id: int) -> list[tuple[int, str]]:
    """(user, message key) of every notice about one record."""
    stmt = select(Notification.user_id, Notification.key).where(
        Notification.table_name == table, Notification.row_id == row_id
    )
    return sorted(session.exec(stmt.order_by(col(Notification.id))).all())
