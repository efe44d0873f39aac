"""A property every declared workflow must have: its final state is reached only through its
verification step. Hypothesis walks random sequences of actions through the engine's own
``Workflow.allowed`` (the function menus and ``fire`` use), so a transition added later that
skips the check is found without anyone writing a new test."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.rbac import SYSTEM, Actor
from core.workflow import Workflow


def assert_final_only_through(
    wf: Workflow, finals: set[str], through: set[str], actor: Actor = SYSTEM
) -> None:
    """Every walk from the initial state that ends in one of ``finals`` entered it by one of
    the ``through`` actions (and every walk stays within the declared states)."""
    actions = [t.action for t in wf.transitions]
    states = {wf.initial} | {t.target for t in wf.transitions}

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(actions), max_size=25))
    def walk(steps: list[str]) -> None:
        record = wf.spec.model()
        setattr(record, wf.state_field, wf.initial)
        for action in steps:
            offered = {t.action: t for t in wf.allowed(record, actor)}
            if action not in offered:
                continue
            t = offered[action]
            setattr(record, wf.state_field, t.target)
            assert t.target in states
            if t.target in finals:
                assert action in through, f"{wf.table}: {action} reaches {t.target}"

    walk()
