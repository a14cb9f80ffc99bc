"""A proposal's lifecycle: which transitions exist, who may make them, and what each one means.

Pure: no FastAPI, no Redis, no clock. Intake decides every transition against the proposal's current
state (`decide`), stores it atomically (a compare-and-set on the state it read), and publishes it as
an event; the notifier and the matcher only follow.

    proposed ─approve─▶ approved ─offer─▶ offered ─accept─▶ accepted ─share─▶ shared ─interested─▶ interested
       │                   │                 ├─decline─▶ declined                  └─not_interested─▶ not_interested
       └─override─▶ overridden               └─expire──▶ expired        interested ─start─▶ started ─end─▶ ended

`retract` takes any proposal that is still running out of the running. A newer ranking may retract
only a proposal that is not yet accepted; a withdrawn opportunity, an erasure or a withdrawn consent
retract it whatever its state, short of a finished one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    OVERRIDDEN = "overridden"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    SHARED = "shared"
    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"
    STARTED = "started"
    ENDED = "ended"
    RETRACTED = "retracted"


class Action(StrEnum):
    APPROVE = "approve"
    OVERRIDE = "override"
    OFFER = "offer"
    ACCEPT = "accept"
    DECLINE = "decline"
    EXPIRE = "expire"
    SHARE = "share"
    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"
    START = "start"
    END = "end"
    RETRACT = "retract"


class Actor(StrEnum):
    """Who acts: the roles of intake's callers, plus the system itself (auto-approval, expiry, sharing)."""

    CASEWORKER = "caseworker"
    CITIZEN = "citizen"
    OWNER = "owner"  # the company or association that owns the opportunity
    ADMIN = "admin"
    SYSTEM = "system"


class Outcome(StrEnum):
    HIRED = "hired"
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"


class RetractCause(StrEnum):
    RERANKED = "reranked"  # a newer ranking no longer holds it
    OPPORTUNITY_WITHDRAWN = "opportunity_withdrawn"
    ERASED = "erased"
    CONSENT_WITHDRAWN = "consent_withdrawn"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[State]
    target: State
    actors: frozenset[Actor]


def _rule(sources: set[State], target: State, actors: set[Actor]) -> Rule:
    return Rule(frozenset(sources), target, frozenset(actors))


_STAFF = {Actor.CASEWORKER, Actor.ADMIN}

RULES: dict[Action, Rule] = {
    Action.APPROVE: _rule({State.PROPOSED}, State.APPROVED, _STAFF | {Actor.SYSTEM}),
    Action.OVERRIDE: _rule({State.PROPOSED}, State.OVERRIDDEN, _STAFF),
    # The citizen was told (a message went out), or a caseworker handed it over in person.
    Action.OFFER: _rule({State.APPROVED}, State.OFFERED, _STAFF | {Actor.SYSTEM}),
    # A caseworker may record the answer a citizen gave in person.
    Action.ACCEPT: _rule({State.OFFERED}, State.ACCEPTED, {Actor.CITIZEN, *_STAFF}),
    Action.DECLINE: _rule({State.OFFERED}, State.DECLINED, {Actor.CITIZEN, *_STAFF}),
    Action.EXPIRE: _rule({State.OFFERED}, State.EXPIRED, {Actor.SYSTEM}),
    Action.SHARE: _rule({State.ACCEPTED}, State.SHARED, {Actor.SYSTEM}),
    Action.INTERESTED: _rule({State.SHARED}, State.INTERESTED, {Actor.OWNER, *_STAFF}),
    Action.NOT_INTERESTED: _rule({State.SHARED}, State.NOT_INTERESTED, {Actor.OWNER, *_STAFF}),
    Action.START: _rule({State.INTERESTED}, State.STARTED, {Actor.OWNER, *_STAFF}),
    Action.END: _rule({State.STARTED}, State.ENDED, {Actor.OWNER, *_STAFF}),
    Action.RETRACT: _rule(
        {
            State.PROPOSED,
            State.APPROVED,
            State.OFFERED,
            State.ACCEPTED,
            State.SHARED,
            State.INTERESTED,
            State.STARTED,
        },
        State.RETRACTED,
        {Actor.SYSTEM, *_STAFF},
    ),
}

#: States from which a newer ranking may still retract a proposal (before the citizen's yes).
RERANK_RETRACTABLE = frozenset({State.PROPOSED, State.APPROVED, State.OFFERED})

#: States in which a proposal no longer holds a place in the capacity ledger.
OUT_OF_THE_RUNNING = frozenset(
    {State.OVERRIDDEN, State.DECLINED, State.EXPIRED, State.NOT_INTERESTED, State.ENDED, State.RETRACTED}
)

#: States whose capacity hold never times out (the safety-net expiry does not apply).
COMMITTED = frozenset({State.ACCEPTED, State.SHARED, State.INTERESTED, State.STARTED})

#: States in which the owner holds the details the citizen agreed to share.
OWNER_HOLDS_DETAILS = frozenset({State.SHARED, State.INTERESTED, State.STARTED})

DEFAULT_OFFER_EXPIRY = dt.timedelta(days=14)


class IllegalTransition(Exception):
    """The action is not possible from the proposal's current state (answered 409 with the state)."""

    def __init__(self, action: Action, current: State, why: str) -> None:
        super().__init__(f"cannot {action.value} a proposal that is {current.value}: {why}")
        self.action = action
        self.current = current


class NotAllowed(Exception):
    """This kind of actor may never take this action (answered 403)."""


class InvalidTransition(ValueError):
    """The transition lacks something it needs (a reason, a date, an outcome); names the field."""


@dataclass(frozen=True)
class Transition:
    """One decided step, as it is stored in the proposal's history and published as an event."""

    action: Action
    source: State
    target: State
    actor: Actor
    actor_id: str
    at: dt.datetime
    reason: str = ""
    on_date: dt.date | None = None
    outcome: Outcome | None = None
    cause: RetractCause | None = None

    @property
    def releases_capacity(self) -> bool:
        """True when this step takes the proposal out of the running: its place is free again."""
        return self.target in OUT_OF_THE_RUNNING and self.source not in OUT_OF_THE_RUNNING

    @property
    def owner_must_delete(self) -> bool:
        """True when the owner already holds the citizen's details and must now delete them."""
        return self.target is State.RETRACTED and self.source in OWNER_HOLDS_DETAILS


def decide(
    current: State,
    action: Action,
    actor: Actor,
    actor_id: str,
    at: dt.datetime,
    *,
    reason: str = "",
    on_date: dt.date | None = None,
    outcome: Outcome | None = None,
    cause: RetractCause | None = None,
) -> Transition:
    """The transition `action` makes from `current`, or the exception that says why it cannot be made."""
    rule = RULES[action]
    if actor not in rule.actors:
        raise NotAllowed(f"a {actor.value} may not {action.value} a proposal")
    reason = reason.strip()
    _check_fields(action, reason=reason, on_date=on_date, outcome=outcome, cause=cause)
    if current not in rule.sources:
        raise IllegalTransition(action, current, _why_not(action, current))
    if action is Action.RETRACT and cause is RetractCause.RERANKED and current not in RERANK_RETRACTABLE:
        raise IllegalTransition(action, current, "a newer ranking never retracts a proposal the citizen accepted")
    return Transition(
        action=action,
        source=current,
        target=rule.target,
        actor=actor,
        actor_id=actor_id,
        at=at,
        reason=reason,
        on_date=on_date,
        outcome=outcome,
        cause=cause,
    )


def _check_fields(
    action: Action, *, reason: str, on_date: dt.date | None, outcome: Outcome | None, cause: RetractCause | None
) -> None:
    if action is Action.OVERRIDE and not reason:
        raise InvalidTransition("field `reason`: an override needs a reason")
    if action in (Action.START, Action.END) and on_date is None:
        raise InvalidTransition(f"field `date`: {action.value} needs the date it happened")
    if action is Action.END and outcome is None:
        raise InvalidTransition("field `outcome`: end needs one of " + ", ".join(o.value for o in Outcome))
    if action is not Action.END and outcome is not None:
        raise InvalidTransition(f"field `outcome`: only end takes an outcome, not {action.value}")
    if action is Action.RETRACT and cause is None:
        raise InvalidTransition("field `cause`: retract needs its cause")


def _why_not(action: Action, current: State) -> str:
    if current in OUT_OF_THE_RUNNING:
        return "it is no longer in the running"
    expected = " or ".join(sorted(s.value for s in RULES[action].sources))
    return f"it must be {expected}"


def expiry_due(offered_at: dt.datetime, now: dt.datetime, after: dt.timedelta = DEFAULT_OFFER_EXPIRY) -> bool:
    """True when an offer made at `offered_at` has gone unanswered for `after` by `now`."""
    return now - offered_at >= after
