"""The workflow engine: state machines declared as data, one function that fires a step.

A workflow lists its transitions (action, from-states, to-state, who may fire it, what it
needs). ``allowed`` is a pure function of the record and the actor, so menus, to-do lists and
tests agree with ``fire``, which re-checks everything, changes the state with a conditional
update (two people pressing "verify" at once cannot both win), applies the step's field
changes, stores the attached files, appends exactly one ``WorkflowEvent`` and audits it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, SQLModel, col, select

from core import attachments, audit, i18n, installed
from core.config import get_settings
from core.crud.registry import TableSpec, get_spec
from core.crud.service import ValidationFailed, get_row, guard_scope, prepare
from core.crud.validate import Problem, is_blank
from core.db import utcnow
from core.i18n import Translatable
from core.rbac import Actor, PermissionDenied
from models.workflow import WorkflowEvent

#: Decides whether ``actor`` may fire a transition on ``record`` beyond the module grant.
Who = Callable[[Any, Actor], bool]
#: Field changes of a step: gets the session, the record (state already changed), the
#: validated payload and the actor; raises ``ValidationFailed`` to refuse.
Apply = Callable[[Session, Any, dict[str, Any], Actor], None]


#: What another domain does when a record of a workflow-bearing table is opened or stepped
#: (dynamic risk follows the hazards on a risk point); called inside the step's transaction.
Listener = Callable[[Session, Any, WorkflowEvent, Actor], None]
_LISTENERS: dict[str, list[Listener]] = {}


def listen(table: str, listener: Listener) -> Listener:
    """Have ``listener`` called after every event of ``table``'s records, so the domain that
    owns the table never imports the domains that react to it."""
    bucket = _LISTENERS.setdefault(table, [])
    if listener not in bucket:
        bucket.append(listener)
    return listener


def _tell_listeners(
    session: Session, table: str, record: Any, event: WorkflowEvent, actor: Actor
) -> None:
    installed.load()
    for listener in _LISTENERS.get(table, ()):
        listener(session, record, event, actor)


class IllegalTransition(Translatable):
    """The step does not exist from the record's current state (or someone was faster)."""


@dataclass(frozen=True)
class Transition:
    """One arrow of the state machine.

    ``permission`` is the module action the actor needs; ``who`` can widen it (the hazard's
    owner may rectify without the edit grant) and ``roles`` narrow it (only managers void).
    ``required`` and ``fields`` are the record fields the step asks for (a form shows them).
    """

    action: str
    sources: tuple[str, ...]
    target: str
    permission: str
    who: Who | None = None
    roles: frozenset[str] | None = None
    required: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    comment_required: bool = False
    comment_label: str = "workflow.comment"  # what the step's text box asks for
    files_required: bool = False
    takes_files: bool = False
    apply: Apply | None = None

    @property
    def form_fields(self) -> tuple[str, ...]:
        """What a form for this step asks for: the required fields, then the optional ones."""
        return self.required + tuple(f for f in self.fields if f not in self.required)

    @property
    def asks_files(self) -> bool:
        return self.files_required or self.takes_files

    def permits(self, record: Any, actor: Actor, module: str) -> bool:
        if self.roles is not None and not (actor.is_admin or actor.roles & self.roles):
            return False
        if actor.can(module, self.permission):
            return True
        return self.who is not None and self.who(record, actor)


@dataclass(frozen=True)
class Workflow:
    """A table's state machine; ``on_change`` runs after every fired step (side effects that
    belong to the domain, such as notifications), after the other domains' listeners.
    ``seal_on``: states whose records are sealed evidence (``core.audit.seal``): reaching one
    writes the record's hash into the audit chain, and every later app change re-seals it."""

    table: str
    transitions: tuple[Transition, ...]
    state_field: str = "state"
    on_change: Callable[[Session, Any, WorkflowEvent, Actor], None] | None = None
    extra_checks: tuple[Callable[[Transition, Any, Actor], str | None], ...] = ()
    seal_on: frozenset[str] = frozenset()

    @property
    def spec(self) -> TableSpec:
        return get_spec(self.table)

    def action_key(self, action: str) -> str:
        """Catalogue key of a step's name: the table's own wording where it has one
        (``workflow.action.drill.cancel`` "取消演练"), else the shared one ("取消")."""
        own = f"workflow.action.{self.table}.{action}"
        return own if i18n.has(own) else f"workflow.action.{action}"

    def transition(self, action: str) -> Transition:
        for t in self.transitions:
            if t.action == action:
                return t
        raise IllegalTransition("workflow.unknown_action", action=self.action_key(action))

    def state_of(self, record: Any) -> str:
        return str(getattr(record, self.state_field))

    def state_key(self, state: str) -> str:
        """Catalogue key of a state's name (the enum's label, as lists show it)."""
        enum = self.spec.model.model_fields[self.state_field].annotation
        return f"enum.{enum.__name__}.{state}"

    def refusal(self, t: Transition, record: Any, actor: Actor) -> str | None:
        """Catalogue key saying why ``actor`` may not fire ``t`` now, or ``None``."""
        if self.state_of(record) not in t.sources:
            return "workflow.illegal"
        if not t.permits(record, actor, self.spec.module):
            return "workflow.not_allowed"
        for check in self.extra_checks:
            if key := check(t, record, actor):
                return key
        return None

    @property
    def finished(self) -> frozenset[str]:
        """States with no way out: nothing is due any more."""
        sources = {s for t in self.transitions for s in t.sources}
        return frozenset({t.target for t in self.transitions} - sources)

    def days_late(self, record: Any, today: date) -> int | None:
        """Days past the record's ``deadline`` while it is still open (0 or less: not yet
        late); None when it has no deadline or is finished."""
        deadline = getattr(record, "deadline", None)
        if deadline is None or self.state_of(record) in self.finished:
            return None
        return (today - deadline).days

    def allowed(self, record: Any, actor: Actor) -> list[Transition]:
        """The steps ``actor`` may take on ``record`` right now (pure; for menus and tests)."""
        return [t for t in self.transitions if self.refusal(t, record, actor) is None]

    @property
    def initial(self) -> str:
        """The state a new record starts in (the state column's default)."""
        return str(self.spec.model.model_fields[self.state_field].default)


def publishing_flow(table: str, *, state_field: str = "state") -> Workflow:
    """The life of a published document (``models.enums.DocumentState``): editors publish a
    draft to its audience and withdraw it again; the audience reads only what is published."""
    draft, published, withdrawn = "draft", "published", "withdrawn"
    return Workflow(
        table=table,
        state_field=state_field,
        transitions=(
            Transition("publish", (draft, withdrawn), published, "edit"),
            Transition("withdraw", (published,), withdrawn, "edit", comment_required=True),
        ),
    )


_FLOWS: dict[str, Workflow] = {}


def declare(wf: Workflow) -> Workflow:
    """Register a table's workflow, so its detail page offers the steps and the engine knows
    the table is stateful; called at import time of the domain's ``flow.py``."""
    if wf.table in _FLOWS and _FLOWS[wf.table] is not wf:
        raise ValueError(f"workflow for {wf.table!r} declared twice")
    _FLOWS[wf.table] = wf
    if wf.seal_on:
        audit.declare_sealed(wf.table, when=audit.state_in(wf.state_field, wf.seal_on))
    return wf


def flow_for(table: str) -> Workflow | None:
    """The declared workflow of ``table``, if it has one."""
    installed.load()
    return _FLOWS.get(table)


def all_flows() -> list[Workflow]:
    installed.load()
    return list(_FLOWS.values())


def step_values(
    session: Session, table: str, actor: Actor, payload: dict[str, Any]
) -> dict[str, Any]:
    """A step's payload through the table's field specs (types, lengths, choices, references
    in the actor's scope), for the step's ``apply``; refuses with every problem at once."""
    values, _custom, problems = prepare(session, get_spec(table), actor, payload, partial=True)
    if problems:
        raise ValidationFailed(problems)
    return values


def _missing(t: Transition, payload: dict[str, Any], comment: str | None, files: Sequence[Any]):
    problems = [
        Problem(n, "validation.required", {}) for n in t.required if is_blank(payload.get(n))
    ]
    if t.comment_required and is_blank(comment):
        problems.append(Problem("comment", "workflow.comment_required", {}))
    if t.files_required and not files:
        problems.append(Problem("files", "workflow.files_required", {}))
    return problems


def store_files(
    session: Session, wf: Workflow, record: Any, actor: Actor, files: Iterable[tuple[str, bytes]]
) -> list[int]:
    settings = get_settings()
    ids = []
    for filename, data in files:
        item = attachments.store(
            session,
            data=data,
            filename=filename,
            table_name=wf.table,
            row_id=record.id,
            enterprise_id=getattr(record, "enterprise_id", None),
            actor_id=actor.user_id,
            settings=settings,
        )
        ids.append(item.id)
    return ids


def fire(
    session: Session,
    wf: Workflow,
    row_id: int,
    action: str,
    actor: Actor,
    *,
    payload: dict[str, Any] | None = None,
    comment: str | None = None,
    files: Sequence[tuple[str, bytes]] = (),
) -> WorkflowEvent:
    """Take one step on a record the actor can see; returns the event it appended.

    Refusals: ``IllegalTransition`` (wrong state), ``PermissionDenied`` (not this actor's
    step), ``ValidationFailed`` (missing fields, comment or files; or the step's own checks).
    Nothing is written when any of them is raised.
    """
    payload = dict(payload or {})
    spec = wf.spec
    record = get_row(session, spec, actor, row_id, include_deleted=False)
    t = wf.transition(action)
    key = wf.refusal(t, record, actor)
    source = wf.state_of(record)
    if key == "workflow.illegal":
        raise IllegalTransition(key, action=wf.action_key(action), state=wf.state_key(source))
    if key is not None:
        raise PermissionDenied(key, action=wf.action_key(action))
    if t.who is None or not t.who(record, actor):
        # Reading a row (its subject, its audience) is not acting on it.
        guard_scope(session, spec, actor, record.model_dump(warnings=False))
    problems = _missing(t, payload, comment, files)
    if problems:
        raise ValidationFailed(problems)
    try:
        with session.begin_nested():  # a refusal inside a step's own checks undoes the step
            audit.acting_as(session, actor)  # seals written by this step's flushes are theirs
            before = audit.snapshot(record)
            model: type[SQLModel] = spec.model
            state_col = getattr(model, wf.state_field)
            claimed = session.execute(
                update(model)
                .where(model.id == row_id, state_col == source)
                .values({wf.state_field: t.target, "updated_at": utcnow()})
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                raise IllegalTransition("workflow.stale", action=wf.action_key(action))
            session.refresh(record)
            if t.apply is not None:
                t.apply(session, record, payload, actor)
            session.add(record)
            session.flush()
            attachment_ids = store_files(session, wf, record, actor, files)
            audit.reseal(session, wf.table, [row_id], actor)  # the state moved by SQL, not the ORM
            event = WorkflowEvent(
                table_name=wf.table,
                row_id=row_id,
                from_state=source,
                to_state=t.target,
                action=action,
                actor_id=actor.user_id,
                actor_name=actor.username,
                comment=comment or None,
                data=audit.jsonable(payload),
                attachment_ids=attachment_ids,
                enterprise_id=getattr(record, "enterprise_id", None),
            )
            session.add(event)
            session.flush()
            after = audit.snapshot(record)
            audit.record(
                session,
                actor,
                "transition",
                table_name=wf.table,
                row_id=row_id,
                enterprise_id=event.enterprise_id,
                before={k: before.get(k) for k in audit.changes(before, after)},
                after=audit.changes(before, after),
                detail={"action": action, "from": source, "to": t.target, "event_id": event.id},
            )
            _tell_listeners(session, wf.table, record, event, actor)
            if wf.on_change is not None:
                wf.on_change(session, record, event, actor)
    except Exception:
        session.expire(record)  # a rolled-back savepoint leaves the loaded state stale
        raise
    return event


def opening_event(
    session: Session, table: str, record: Any, actor: Actor, action: str, **kw: Any
) -> WorkflowEvent:
    """The first event of a record (reported, applied, imported): no from-state."""
    event = WorkflowEvent(
        table_name=table,
        row_id=record.id,
        from_state=None,
        to_state=str(record.state),
        action=action,
        actor_id=actor.user_id,
        actor_name=actor.username,
        enterprise_id=getattr(record, "enterprise_id", None),
        **kw,
    )
    session.add(event)
    session.flush()
    _tell_listeners(session, table, record, event, actor)
    return event


def opener(table: str, action: str) -> Callable[[Session, Any, Actor], None]:
    """An ``after_create`` hook for ``table``: every entry path (form, import, programmatic)
    starts the record's history with one ``action`` event."""

    def opened(session: Session, record: Any, actor: Actor) -> None:
        opening_event(session, table, record, actor, action)

    return opened


def events(session: Session, table: str, row_id: int) -> list[WorkflowEvent]:
    """A record's history, oldest first (callers check the record is visible)."""
    stmt = (
        select(WorkflowEvent)
        .where(WorkflowEvent.table_name == table, WorkflowEvent.row_id == row_id)
        .order_by(col(WorkflowEvent.ts), col(WorkflowEvent.id))
    )
    return list(session.exec(stmt).all())
