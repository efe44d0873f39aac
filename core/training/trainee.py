"""Who is learning: training is done by people, never by an account alone."""

from __future__ import annotations

from sqlmodel import Session

from core.rbac import Actor, PermissionDenied
from models.enums import Action, Module
from models.org import Person


def trainee(session: Session, actor: Actor, refusal: str) -> Person:
    """The person behind the account; an admin account without a person, or a wall screen,
    gets ``refusal`` (a catalogue key naming what they tried: studying, an exam)."""
    person = session.get(Person, actor.person_id or -1) if not actor.screen_only else None
    if person is None:
        raise PermissionDenied(refusal)
    actor.require(Module.TRAINING, Action.VIEW)
    return person
