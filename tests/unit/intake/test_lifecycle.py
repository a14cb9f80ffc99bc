"""The proposal lifecycle's rules, decided in pure code and stored through an in-memory port."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.intake.adapters.lifecycle_store import ProposalRecord
from services.intake.domain.lifecycle import (
    OUT_OF_THE_RUNNING,
    RULES,
    Action,
    Actor,
    IllegalTransition,
    InvalidTransition,
    NotAllowed,
    Outcome,
    RetractCause,
    State,
    decide,
    expiry_due,
)
from services.intake.lifecycle import UnknownProposal, transition
from tests.unit.intake.fakes import FakeLifecycleStore

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()

HAPPY_PATH: list[tuple[Action, Actor, dict[str, object]]] = [
    (Action.APPROVE, Actor.CASEWORKER, {}),
    (Action.OFFER, Actor.SYSTEM, {}),
    (Action.ACCEPT, Actor.CITIZEN, {}),
    (Action.SHARE, Actor.SYSTEM, {}),
    (Action.INTERESTED, Actor.OWNER, {}),
    (Action.START, Actor.OWNER, {"on_date": TODAY}),
    (Action.END, Actor.CASEWORKER, {"on_date": TODAY, "outcome": Outcome.HIRED}),
]


async def _tracked(store: FakeLifecycleStore) -> uuid.UUID:
    proposal_id = uuid.uuid4()
    await store.open(ProposalRecord(proposal_id, uuid.uuid4(), uuid.uuid4(), State.PROPOSED, NOW))
    return proposal_id


async def test_a_proposal_walks_from_proposed_to_ended_and_keeps_every_step_in_its_history() -> None:
    store = FakeLifecycleStore()
    proposal_id = await _tracked(store)
    for action, actor, extra in HAPPY_PATH:
        await transition(store, proposal_id, action, actor, "actor-1", NOW, **extra)  # type: ignore[arg-type]
    record = await store.get(proposal_id)
    assert record is not None and record.state is State.ENDED
    history = await store.history(proposal_id)
    assert [t.action for t in history] == [a for a, _, _ in HAPPY_PATH]
    assert history[-1].outcome is Outcome.HIRED


async def test_approving_twice_or_after_an_override_is_refused_with_the_current_state() -> None:
    store = FakeLifecycleStore()
    approved = await _tracked(store)
    await transition(store, approved, Action.APPROVE, Actor.CASEWORKER, "cw", NOW)
    with pytest.raises(IllegalTransition) as twice:
        await transition(store, approved, Action.APPROVE, Actor.CASEWORKER, "cw", NOW)
    assert twice.value.current is State.APPROVED

    overridden = await _tracked(store)
    await transition(store, overridden, Action.OVERRIDE, Actor.CASEWORKER, "cw", NOW, reason="not now")
    with pytest.raises(IllegalTransition) as after:
        await transition(store, overridden, Action.APPROVE, Actor.CASEWORKER, "cw", NOW)
    assert after.value.current is State.OVERRIDDEN
    assert "no longer in the running" in str(after.value)


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("action", list(Action))
def test_every_action_is_refused_from_every_state_its_rule_does_not_name(state: State, action: Action) -> None:
    rule = RULES[action]
    actor = next(iter(sorted(rule.actors)))
    kwargs: dict[str, object] = {
        "reason": "r",
        "on_date": TODAY if action in (Action.START, Action.END) else None,
        "outcome": Outcome.COMPLETED if action is Action.END else None,
        "cause": RetractCause.ERASED if action is Action.RETRACT else None,
    }
    if state in rule.sources:
        assert decide(state, action, actor, "x", NOW, **kwargs).target is rule.target  # type: ignore[arg-type]
    else:
        with pytest.raises(IllegalTransition):
            decide(state, action, actor, "x", NOW, **kwargs)  # type: ignore[arg-type]


def test_nothing_leaves_a_finished_state() -> None:
    for state in OUT_OF_THE_RUNNING:
        for action, rule in RULES.items():
            assert state not in rule.sources, f"{action} from {state}"


@pytest.mark.parametrize(
    ("action", "actor"),
    [
        (Action.APPROVE, Actor.CITIZEN),
        (Action.APPROVE, Actor.OWNER),
        (Action.ACCEPT, Actor.OWNER),
        (Action.INTERESTED, Actor.CITIZEN),
        (Action.EXPIRE, Actor.CASEWORKER),
        (Action.SHARE, Actor.CITIZEN),
        (Action.RETRACT, Actor.OWNER),
    ],
)
def test_an_actor_outside_the_rule_is_not_allowed_whatever_the_state(action: Action, actor: Actor) -> None:
    source = next(iter(RULES[action].sources))
    with pytest.raises(NotAllowed):
        decide(source, action, actor, "x", NOW, cause=RetractCause.ERASED, on_date=TODAY, outcome=Outcome.HIRED)


def test_an_override_needs_a_reason_and_the_error_names_the_field() -> None:
    with pytest.raises(InvalidTransition, match="field `reason`"):
        decide(State.PROPOSED, Action.OVERRIDE, Actor.CASEWORKER, "cw", NOW, reason="   ")


def test_start_needs_a_date_and_end_needs_a_date_and_an_outcome() -> None:
    with pytest.raises(InvalidTransition, match="field `date`"):
        decide(State.INTERESTED, Action.START, Actor.OWNER, "o", NOW)
    with pytest.raises(InvalidTransition, match="field `outcome`"):
        decide(State.STARTED, Action.END, Actor.OWNER, "o", NOW, on_date=TODAY)
    with pytest.raises(InvalidTransition, match="field `outcome`"):
        decide(State.INTERESTED, Action.START, Actor.OWNER, "o", NOW, on_date=TODAY, outcome=Outcome.HIRED)


@pytest.mark.parametrize("state", [State.ACCEPTED, State.SHARED, State.INTERESTED, State.STARTED])
def test_a_newer_ranking_never_retracts_an_accepted_proposal_but_an_erasure_does(state: State) -> None:
    with pytest.raises(IllegalTransition, match="accepted"):
        decide(state, Action.RETRACT, Actor.SYSTEM, "matcher", NOW, cause=RetractCause.RERANKED)
    step = decide(state, Action.RETRACT, Actor.SYSTEM, "intake", NOW, cause=RetractCause.ERASED)
    assert step.target is State.RETRACTED and step.releases_capacity


def test_the_owner_is_told_to_delete_only_when_it_already_holds_the_details() -> None:
    for state, told in [(State.OFFERED, False), (State.ACCEPTED, False), (State.SHARED, True), (State.STARTED, True)]:
        step = decide(state, Action.RETRACT, Actor.SYSTEM, "intake", NOW, cause=RetractCause.CONSENT_WITHDRAWN)
        assert step.owner_must_delete is told, state


def test_capacity_is_released_exactly_when_a_proposal_leaves_the_running() -> None:
    released = {
        action
        for action, rule in RULES.items()
        if decide(
            next(iter(rule.sources)),
            action,
            next(iter(rule.actors)),
            "x",
            NOW,
            reason="r",
            on_date=TODAY,
            outcome=Outcome.HIRED if action is Action.END else None,
            cause=RetractCause.ERASED if action is Action.RETRACT else None,
        ).releases_capacity
    }
    assert released == {
        Action.OVERRIDE,
        Action.DECLINE,
        Action.EXPIRE,
        Action.NOT_INTERESTED,
        Action.END,
        Action.RETRACT,
    }


def test_an_offer_expires_after_fourteen_days_by_default() -> None:
    offered = NOW
    assert not expiry_due(offered, NOW + dt.timedelta(days=13, hours=23))
    assert expiry_due(offered, NOW + dt.timedelta(days=14))
    assert expiry_due(offered, NOW + dt.timedelta(days=2), after=dt.timedelta(days=1))


async def test_of_two_racing_callers_exactly_one_wins_and_the_other_sees_the_new_state() -> None:
    store = FakeLifecycleStore()
    proposal_id = await _tracked(store)
    # Both read `proposed`; the second store attempt must fail the compare-and-set.
    first = decide(State.PROPOSED, Action.APPROVE, Actor.CASEWORKER, "a", NOW)
    second = decide(State.PROPOSED, Action.OVERRIDE, Actor.CASEWORKER, "b", NOW, reason="r")
    assert await store.apply(proposal_id, first)
    assert not await store.apply(proposal_id, second)
    with pytest.raises(IllegalTransition) as late:
        await transition(store, proposal_id, Action.OVERRIDE, Actor.CASEWORKER, "b", NOW, reason="r")
    assert late.value.current is State.APPROVED


async def test_an_unknown_proposal_is_reported_as_unknown() -> None:
    with pytest.raises(UnknownProposal):
        await transition(FakeLifecycleStore(), uuid.uuid4(), Action.APPROVE, Actor.CASEWORKER, "cw", NOW)


async def test_tracking_a_proposal_twice_keeps_its_state() -> None:
    store = FakeLifecycleStore()
    proposal_id = await _tracked(store)
    await transition(store, proposal_id, Action.APPROVE, Actor.CASEWORKER, "cw", NOW)
    record = await store.get(proposal_id)
    assert record is not None
    assert not await store.open(record)
    again = await store.get(proposal_id)
    assert again is not None and again.state is State.APPROVED
