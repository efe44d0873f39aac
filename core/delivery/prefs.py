"""What each user wants delivered outside the app, per channel, and their e-mail address.

A preference is ``all``, ``important`` (warnings and errors: what is due or overdue, a major
hazard) or ``none``. Without a choice a user gets the important notices by e-mail (once they
have an address: without one nothing is mailed), and every notice goes to the webhooks (a team
chat is opted into by whoever configured it).
"""

from __future__ import annotations

from sqlmodel import Session

from core import audit
from core.config import EMAIL
from core.i18n import Translatable
from core.rbac import Actor
from models.accounts import User

CHANNELS: tuple[str, ...] = ("email", "webhook")
CHOICES: tuple[str, ...] = ("all", "important", "none")
IMPORTANT = frozenset({"warning", "error"})
DEFAULTS = {"email": "important", "webhook": "all"}


def preference(user: User, channel: str) -> str:
    """The user's choice for ``channel``, or its default."""
    chosen = (user.notify_prefs or {}).get(channel)
    return chosen if chosen in CHOICES else DEFAULTS[channel]


def wants(user: User, channel: str, severity: str) -> bool:
    """Does the user want a notice of this severity on this channel?"""
    choice = preference(user, channel)
    return choice == "all" or (choice == "important" and severity in IMPORTANT)


def save_preferences(session: Session, actor: Actor, email: str, choices: dict[str, str]) -> None:
    """The actor sets their own address and choices; an address change is audited (it decides
    where reminders about the plant go)."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise Translatable("error.not_found")
    address = email.strip() or None
    if address is not None and (len(address) > 200 or not EMAIL.fullmatch(address)):
        raise Translatable("delivery.bad_email", address=address)
    unknown = {c: v for c, v in choices.items() if c not in CHANNELS or v not in CHOICES}
    if unknown:
        raise Translatable("delivery.bad_choice", choice=", ".join(map(str, unknown.values())))
    before = {"email": user.email, "notify_prefs": user.notify_prefs or {}}
    after = {"email": address, "notify_prefs": {**(user.notify_prefs or {}), **choices}}
    if before == after:
        return
    user.email, user.notify_prefs = after["email"], after["notify_prefs"]
    session.add(user)
    audit.record(
        session,
        actor,
        "update",
        table_name="user",
        row_id=user.id,
        enterprise_id=user.enterprise_id,
        before=before,
        after=after,
    )
