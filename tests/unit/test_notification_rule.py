"""The notification rule: one e-mail per ranking, at most one resend, always with the same Message-ID."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest

from brobygger.infra import free_port
from services.notifier.adapters.smtp import MailNotSent, SmtpSender
from services.notifier.config import NotifierSettings
from services.notifier.domain.delivery import message_id, next_step
from shared.guard import permanent_reason


def test_a_ranking_never_seen_is_sent() -> None:
    assert next_step(None) == "send"


def test_a_crash_between_sending_and_recording_it_resends_once() -> None:
    assert next_step({"state": "sending", "sends": 1}) == "send"
    assert next_step({"state": "sending"}) == "send"  # a record written before the rule counts as one send


def test_a_second_crash_after_the_resend_never_sends_a_third_time() -> None:
    assert next_step({"state": "sending", "sends": 2}) == "give_up"


def test_a_send_the_server_refused_outright_does_not_count() -> None:
    assert next_step({"state": "not_sent", "sends": 0}) == "send"


def test_sent_or_held_rankings_are_done() -> None:
    assert next_step({"state": "sent", "sends": 1}) == "done"
    assert next_step({"state": "held_for_caseworker"}) == "done"


def test_the_resend_carries_the_same_message_id() -> None:
    ranking = uuid.uuid4()
    first, resend = message_id(ranking, "brobygger.local"), message_id(ranking, "brobygger.local")
    assert first == resend == f"<{ranking}@brobygger.local>"


async def test_a_mail_server_that_cannot_be_reached_is_a_transient_failure_known_not_to_have_sent() -> None:
    settings = NotifierSettings(smtp_port=free_port(), smtp_timeout_s=1)
    message = EmailMessage()
    message["To"] = "someone@example.org"
    message.set_content("hej")
    with pytest.raises(MailNotSent) as caught:
        await SmtpSender(settings).send(message)
    assert permanent_reason(caught.value) is None  # the guard pauses and retries it
    assert "someone@example.org" not in str(caught.value)
