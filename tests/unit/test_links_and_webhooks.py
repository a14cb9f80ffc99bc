"""Signed answer links and webhook targets, signatures and sealed secrets (shared by intake and the notifier)."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import jwt
import pytest

from shared import links
from shared.contracts import SealedSecret
from shared.crypto import KeyRing, KeyUnwrapFailed
from shared.webhooks import (
    SecretUnreadable,
    UnsafeTarget,
    check_target,
    open_secret,
    seal_secret,
    signature,
    verify_signature,
)

SECRET = "a-link-secret-for-tests-0123456789abcdef"
LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=14)


def _answer_link(**kw: object) -> str:
    return links.sign(SECRET, "answer", uuid.uuid4(), LATER, proposal_id=uuid.uuid4(), **kw)  # type: ignore[arg-type]


def test_an_answer_link_names_its_citizen_and_proposal() -> None:
    citizen, proposal = uuid.uuid4(), uuid.uuid4()
    link = links.verify(SECRET, links.sign(SECRET, "answer", citizen, LATER, proposal_id=proposal), "answer")
    assert (link.citizen_id, link.proposal_id, link.purpose) == (citizen, proposal, "answer")


def test_a_tampered_link_is_refused() -> None:
    header, claims, sig = _answer_link().split(".")
    forged = jwt.encode({"purpose": "answer"}, "another-secret-0123456789abcdef0123", algorithm="HS256")
    for token in (f"{header}.{claims}.{sig[:-2]}xx", forged, "not-a-token"):
        with pytest.raises(links.LinkInvalid) as refused:
            links.verify(SECRET, token, "answer")
        assert refused.value.code == "tampered"


def test_an_expired_link_is_refused_by_the_clock_it_is_given() -> None:
    token = _answer_link()
    with pytest.raises(links.LinkInvalid) as refused:
        links.verify(SECRET, token, "answer", now=LATER + dt.timedelta(seconds=1))
    assert refused.value.code == "expired"


def test_a_list_link_never_answers_a_proposal() -> None:
    token = links.sign(SECRET, "list", uuid.uuid4(), LATER)
    with pytest.raises(links.LinkInvalid) as refused:
        links.verify(SECRET, token, "answer")
    assert refused.value.code == "wrong_purpose"


@pytest.mark.parametrize(
    ("url", "addresses", "production", "why"),
    [
        ("http://hr.example.dk/hook", ["93.184.216.34"], True, "https://"),
        ("https://hr.example.dk/hook", ["127.0.0.1"], True, "loopback"),
        ("https://hr.example.dk/hook", ["10.1.2.3"], False, "private"),
        ("https://hr.example.dk/hook", ["192.168.1.10"], False, "private"),
        ("https://hr.example.dk/hook", ["169.254.169.254"], False, "link-local"),
        ("https://hr.example.dk/hook", ["fe80::1"], False, "link-local"),
        ("https://hr.example.dk/hook", ["::ffff:10.0.0.1"], False, "private"),
        ("https://hr.example.dk/hook", ["93.184.216.34", "10.0.0.1"], False, "private"),
        ("https://user:pw@hr.example.dk/hook", ["93.184.216.34"], False, "user name"),
        ("ftp://hr.example.dk/hook", ["93.184.216.34"], False, "https://"),
    ],
)
def test_unsafe_webhook_targets_are_refused_naming_why(
    url: str, addresses: list[str], production: bool, why: str
) -> None:
    with pytest.raises(UnsafeTarget) as refused:
        check_target(url, production=production, resolver=lambda host, port: addresses)
    assert why in str(refused.value) and str(refused.value).startswith("field `url`")


def test_a_host_name_that_cannot_be_a_host_is_refused_not_crashed_on() -> None:
    for url in ("https://" + "ä" * 300 + "/x", "https://a..b/", "http://[::1/x", "https://exa mple.dk/"):
        with pytest.raises(UnsafeTarget):
            check_target(url, production=False)


def test_a_safe_target_is_pinned_to_the_address_that_was_checked() -> None:
    target = check_target(
        "https://hr.example.dk:8443/hook?x=1", production=True, resolver=lambda h, p: ["93.184.216.34"]
    )
    assert target.pinned_url == "https://93.184.216.34:8443/hook?x=1" and target.host == "hr.example.dk"


def test_local_mode_allows_loopback_for_tests() -> None:
    assert (
        check_target("http://127.0.0.1:9000/hook", production=False, resolver=lambda h, p: ["127.0.0.1"]).ip
        == "127.0.0.1"
    )


def _ring() -> KeyRing:
    return KeyRing(current=os.urandom(32))


def test_a_sealed_secret_opens_only_for_its_owner_and_registration() -> None:
    ring = _ring()
    sealed = seal_secret("whsec_x", ring, "company:12345678", "r1")
    assert open_secret(sealed, ring, "company:12345678", "r1") == "whsec_x"
    with pytest.raises(SecretUnreadable):
        open_secret(sealed, ring, "company:87654321", "r1")
    with pytest.raises(SecretUnreadable):
        open_secret(sealed, ring, "company:12345678", "r2")


def test_a_sealed_secret_is_unreadable_without_the_kek_it_was_sealed_under() -> None:
    ring, stranger = _ring(), _ring()
    sealed = seal_secret("whsec_only_with_the_kek", ring, "company:12345678", "r1")
    assert "whsec" not in sealed.model_dump_json() and sealed.key_id == ring.current_id
    with pytest.raises(KeyUnwrapFailed, match="not configured"):
        open_secret(sealed, stranger, "company:12345678", "r1")
    # Someone with another KEK who relabels the secret as theirs still cannot open it.
    relabelled = sealed.model_copy(update={"key_id": stranger.current_id})
    with pytest.raises(SecretUnreadable):
        open_secret(relabelled, stranger, "company:12345678", "r1")


def test_a_secret_sealed_before_a_kek_rotation_opens_while_the_earlier_kek_is_configured() -> None:
    before = _ring()
    sealed = seal_secret("whsec_rotated", before, "association:roklub-holbaek", "r1")
    after = KeyRing(current=os.urandom(32), previous=(before.current,))
    assert open_secret(sealed, after, "association:roklub-holbaek", "r1") == "whsec_rotated"
    assert seal_secret("whsec_new", after, "association:roklub-holbaek", "r2").key_id == after.current_id
    with pytest.raises(KeyUnwrapFailed):
        open_secret(sealed, KeyRing(current=after.current), "association:roklub-holbaek", "r1")


def test_a_secret_sealed_under_the_retired_webhook_key_asks_for_a_new_registration() -> None:
    legacy = SealedSecret(nonce="AAAAAAAAAAAAAAAA", ciphertext="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    with pytest.raises(SecretUnreadable, match="BROBYGGER_WEBHOOK_KEY; register it again"):
        open_secret(legacy, _ring(), "company:12345678", "r1")


def test_a_signature_verifies_only_for_the_same_body_secret_and_a_fresh_timestamp() -> None:
    header = signature("s", 1_800_000_000, b'{"a":1}')
    assert verify_signature("s", header, b'{"a":1}', now=1_800_000_100)
    assert not verify_signature("s", header, b'{"a":2}', now=1_800_000_100)
    assert not verify_signature("t", header, b'{"a":1}', now=1_800_000_100)
    assert not verify_signature("s", header, b'{"a":1}', now=1_800_000_400)
    assert not verify_signature("s", "garbage", b'{"a":1}', now=1_800_000_100)
