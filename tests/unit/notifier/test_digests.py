"""The citizen's digest: one message per batch of newly approved proposals, in Danish and their language."""

from __future__ import annotations

import datetime as dt
import smtplib
import uuid

from services.notifier import handlers, sending
from services.notifier.adapters.mime import text_of
from services.notifier.domain.compose import Contact
from shared import links
from shared.contracts import DeliveryFailed, NotificationSent, OpportunityKind
from shared.settings import LOCAL_LINK_SECRET
from tests.unit.notifier.fakes import proposal, transitioned, world


async def _approve(w, citizen_id: uuid.UUID, n: int = 1, **kw: object) -> list:  # type: ignore[no-untyped-def]
    ps = [proposal(w.opportunity(), rank=i + 1) for i in range(n)]
    for p in ps:
        await handlers.on_transition(w.deps, transitioned(citizen_id, p, "approved", **kw))  # type: ignore[arg-type]
    return ps


async def test_approvals_made_together_go_out_as_one_message_after_the_quiet_moment() -> None:
    w = world(digest_quiet_s=60)
    citizen = w.citizen()
    await _approve(w, citizen, 3)
    assert await sending.sweep(w.deps) == 0, "nothing before the quiet moment has passed"
    w.clock.now += 61
    assert await sending.sweep(w.deps) == 1
    assert len(w.mail.sent) == 1
    notice = w.published.of(NotificationSent)[0]
    assert len(notice.proposal_ids) == 3 and notice.message_id == w.mail.sent[0]["Message-ID"]


async def test_nothing_is_sent_when_nothing_new_was_approved() -> None:
    w = world(digest_quiet_s=0)
    w.citizen()
    w.clock.now += 3600
    assert await sending.sweep(w.deps) == 0 and not w.mail.sent


async def test_the_same_approval_delivered_twice_is_one_proposal_in_one_message() -> None:
    w = world(digest_quiet_s=0)
    citizen = w.citizen()
    p = proposal(w.opportunity())
    event = transitioned(citizen, p, "approved")
    await handlers.on_transition(w.deps, event)
    await handlers.on_transition(w.deps, event)
    await sending.sweep(w.deps)
    await handlers.on_transition(w.deps, event)  # redelivered after the message went out
    w.clock.now += 2 * 24 * 3600
    await sending.sweep(w.deps)
    assert len(w.mail.sent) == 1 and w.published.of(NotificationSent)[0].proposal_ids == [p.proposal_id]
    assert w.deps.counters["duplicates_skipped"] == 2, "once while waiting, once after the digest carried it"


async def test_a_second_batch_waits_a_day_after_the_first_message() -> None:
    w = world(digest_quiet_s=0)
    citizen = w.citizen()
    await _approve(w, citizen)
    assert await sending.sweep(w.deps) == 1
    await _approve(w, citizen)
    w.clock.now += 3600
    assert await sending.sweep(w.deps) == 0, "at most one message a day"
    w.clock.now += 24 * 3600
    assert await sending.sweep(w.deps) == 1 and len(w.mail.sent) == 2
    assert w.mail.sent[0]["Message-ID"] != w.mail.sent[1]["Message-ID"]


async def test_a_message_shows_five_proposals_and_links_the_full_list_of_all() -> None:
    w = world(digest_quiet_s=0)
    citizen = w.citizen()
    await _approve(w, citizen, 7)
    await sending.sweep(w.deps)
    text = text_of(w.mail.sent[0])
    danish = text.split("— English —")[0]
    assert danish.count("Svar ja eller nej her:") == 5
    assert "Der er 2 forslag mere på hele listen." in danish
    list_url = next(line.split(": ", 1)[1] for line in danish.splitlines() if line.startswith("Se alle dine forslag:"))
    link = links.verify(LOCAL_LINK_SECRET, list_url.split("t=", 1)[1], "list")
    assert link.citizen_id == citizen
    assert len(w.published.of(NotificationSent)[0].proposal_ids) == 7


async def test_each_proposal_says_what_where_when_why_and_what_yes_and_no_mean_without_english_labels() -> None:
    w = world(digest_quiet_s=0)
    citizen = w.citizen(language="en")
    await _approve(w, citizen)
    await sending.sweep(w.deps)
    danish, english = text_of(w.mail.sent[0]).split("— English —")
    for words in (
        "Job: “Køkkenmedhjælper”",
        "Hvor: “Fjordkøkkenet ApS”, Holbæk",
        "Hvornår: 25 timer om ugen (mandag, tirsdag)",
        "Hvorfor: 2 af dine færdigheder passer.",
        "Hvis du siger ja:",
        "Hvis du siger nej:",
    ):
        assert words in danish, words
    assert "food preparation" not in danish and "clean kitchen" not in danish, "no English skill labels in Danish"
    assert "Where: “Fjordkøkkenet ApS”, Holbæk" in english and "12 minutes from home by bike." in english


async def test_a_clash_with_her_hours_and_a_commute_guessed_from_the_postcode_are_said_before_she_answers() -> None:
    w = world(digest_quiet_s=0)
    citizen = w.citizen(language="en")
    doubtful = proposal(
        w.opportunity(), rank=1, hours_fit=False, flags=["hours_overlap", "hours_exceed", "commute_from_postcode"]
    )
    clear = proposal(w.opportunity(), rank=2)
    for p in (doubtful, clear):
        await handlers.on_transition(w.deps, transitioned(citizen, p, "approved"))
    await sending.sweep(w.deps)
    danish, english = text_of(w.mail.sent[0]).split("— English —")
    first, second = danish.split("\n2. ")
    assert "12 minutter hjemmefra på cykel. Rejsetiden er anslået ud fra dit postnummer." in first
    assert "Bemærk: Arbejdstiden passer ikke helt med dine andre aftaler. Det er flere timer om ugen" in first
    assert "Bemærk" not in second and "anslået" not in second, "only the flagged proposal carries the doubts"
    assert "The travel time is estimated from your postcode." in english
    assert "Note: The working hours clash a little with your other appointments." in english
    html = w.mail.sent[0].get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "<strong>Bemærk:</strong> Arbejdstiden passer ikke helt med dine andre aftaler." in html


async def test_the_message_says_at_what_times_days_with_the_same_hours_together() -> None:
    from shared.contracts import OpportunityRegistered
    from tests.samples import opportunity_payload

    w = world(digest_quiet_s=0)
    citizen = w.citizen(language="uk")
    slots = [("wed", "08:00", "12:30"), ("mon", "08:00", "12:30"), ("sat", "10:00", "14:00")]
    payload = opportunity_payload(
        schedule={"hours_per_week": 13, "slots": [{"day": d, "start": a, "end": b} for d, a, b in slots]}
    )
    event = OpportunityRegistered(correlation_id="c", opportunity_id=uuid.uuid4(), opportunity=payload)  # type: ignore[arg-type]
    await handlers.on_opportunity_event(w.deps, event)
    await handlers.on_transition(w.deps, transitioned(citizen, proposal(event.opportunity_id), "approved"))
    await sending.sweep(w.deps)
    danish, ukrainian = text_of(w.mail.sent[0]).split("— Українська —")
    assert "Hvornår: 13 timer om ugen (mandag, onsdag kl. 8–12:30; lørdag kl. 10–14)" in danish
    assert "з 8 до 12:30" in ukrainian and "з 10 до 14" in ukrainian


async def test_half_hours_are_written_as_each_language_writes_them_never_rounded() -> None:
    """A 37.5-hour course read "38 timer om ugen": rounded, and in Danish the mark is a comma."""
    from shared.contracts import OpportunityRegistered
    from tests.samples import opportunity_payload

    w = world(digest_quiet_s=0)
    citizen = w.citizen(language="uk")
    week = [{"day": d, "start": "08:00", "end": "15:30"} for d in ("mon", "tue", "wed", "thu", "fri")]
    event = OpportunityRegistered(
        correlation_id="c",
        opportunity_id=uuid.uuid4(),
        opportunity=opportunity_payload(schedule={"hours_per_week": 37.5, "slots": week}),  # type: ignore[arg-type]
    )
    await handlers.on_opportunity_event(w.deps, event)
    await handlers.on_transition(w.deps, transitioned(citizen, proposal(event.opportunity_id), "approved"))
    await sending.sweep(w.deps)
    danish, ukrainian = text_of(w.mail.sent[0]).split("— Українська —")
    assert "Hvornår: 37,5 timer om ugen (" in danish, danish
    assert "37,5" in ukrainian and "38" not in ukrainian.split("(")[0], ukrainian


async def test_a_matching_previous_job_is_said_as_work_done_before_and_never_counted_as_a_skill() -> None:
    from shared.contracts.events import SkillReason

    w = world(digest_quiet_s=0)
    citizen = w.citizen()
    missing = SkillReason(provenance="missing", label_en="use kitchen equipment")
    both = proposal(
        w.opportunity(),
        rank=1,
        matched_skills=["madlavning"],
        matched_previous_jobs=["kok"],
        skills=[SkillReason(provenance="stated", words="madlavning", label_en="cook"), missing],
    )
    title_only = proposal(w.opportunity(), rank=2, matched_skills=[], matched_previous_jobs=["kok"], skills=[missing])
    # A ranking made before `matched_previous_jobs` kept the title among the skills.
    older = proposal(w.opportunity(), rank=3, matched_skills=["kok"], skills=[missing])
    for p in (both, title_only, older):
        await handlers.on_transition(w.deps, transitioned(citizen, p, "approved"))
    await sending.sweep(w.deps)
    danish = text_of(w.mail.sent[0]).split("— English —")[0]
    first, rest = danish.split("\n2. ")
    second, third = rest.split("\n3. ")
    assert "Hvorfor: En af dine færdigheder passer." in first, first
    assert "Hvorfor: Det ligner det arbejde, du havde før." in second, second
    assert "Hvorfor: Det ligner det arbejde, du havde før." in third, third


async def test_a_course_builds_on_what_she_knows_it_does_not_ask_for_her_skills() -> None:
    from shared.contracts.events import SkillReason

    w = world(digest_quiet_s=0)
    citizen = w.citizen(language="uk")
    stated = [SkillReason(provenance="stated", words="kørsel", label_en="drive vehicles")]
    course = proposal(w.opportunity(), rank=1, skills=stated, commute_minutes=None).model_copy(
        update={"kind": OpportunityKind.EDUCATION_STEP, "title": "Kørekort til lastbil"}
    )
    done_before = proposal(w.opportunity(), rank=2, matched_skills=[], matched_previous_jobs=["chauffør"]).model_copy(
        update={"kind": OpportunityKind.EDUCATION_STEP, "title": "Truckcertifikat"}
    )
    job = proposal(w.opportunity(), rank=3, skills=stated)
    for p in (course, done_before, job):
        await handlers.on_transition(w.deps, transitioned(citizen, p, "approved"))
    await sending.sweep(w.deps)
    danish, ukrainian = text_of(w.mail.sent[0]).split("— Українська —")
    items = {part.split("”")[0]: part for part in danish.split("\n\n") if ": “" in part}
    items = {title.split("“")[-1]: part for title, part in items.items()}
    assert "Hvorfor: Det bygger på noget, du allerede kan." in items["Kørekort til lastbil"], items
    assert "færdigheder" not in items["Kørekort til lastbil"]
    assert "Hvorfor: Det passer til det arbejde, du havde før." in items["Truckcertifikat"], items
    assert "Hvorfor: En af dine færdigheder passer." in items["Køkkenmedhjælper"]  # a job still counts them
    assert "Це спирається на те, що ви вже вмієте." in ukrainian, ukrainian


async def test_a_club_on_the_course_evenings_says_it_is_at_the_same_time_two_jobs_do_not() -> None:
    from shared.contracts import OpportunityRegistered
    from tests.samples import opportunity_payload

    w = world(digest_quiet_s=0, digest_max_items=6)
    citizen = w.citizen(language="ar")

    async def registered(kind: OpportunityKind, title: str, slots: list[tuple[str, str, str]]) -> uuid.UUID:
        payload = opportunity_payload(
            schedule={"hours_per_week": 5, "slots": [{"day": d, "start": a, "end": b} for d, a, b in slots]}
        )
        event = OpportunityRegistered(correlation_id="c", opportunity_id=uuid.uuid4(), opportunity=payload)  # type: ignore[arg-type]
        await handlers.on_opportunity_event(w.deps, event)
        p = proposal(event.opportunity_id).model_copy(update={"kind": kind, "title": title})
        await handlers.on_transition(w.deps, transitioned(citizen, p, "approved"))
        return event.opportunity_id

    await registered(OpportunityKind.ORDINARY_JOB, "Lager", [("mon", "08:00", "16:00"), ("tue", "08:00", "16:00")])
    await registered(OpportunityKind.ORDINARY_JOB, "Rengøring", [("mon", "09:00", "12:00")])
    await registered(OpportunityKind.EDUCATION_STEP, "Kørekort", [("tue", "17:00", "19:30"), ("thu", "17:00", "19:30")])
    await registered(OpportunityKind.ASSOCIATION_ACTIVITY, "Fodbold", [("thu", "19:00", "21:00")])
    await registered(OpportunityKind.ASSOCIATION_ACTIVITY, "Strikkeklub", [("tue", "19:30", "21:00")])
    await registered(OpportunityKind.ASSOCIATION_ACTIVITY, "Aftensang", [("thu", "19:00", "20:00")])
    await sending.sweep(w.deps)
    danish, arabic = text_of(w.mail.sent[0]).split("— العربية —")
    items = {part.split("”")[0].split("“")[-1]: part for part in danish.split("\n\n") if ": “" in part}
    numbers = {title: part.split(".")[0].strip().split()[-1] for title, part in items.items()}
    course, football = numbers["Kørekort"], numbers["Fodbold"]
    assert int(course) < int(football) < int(numbers["Aftensang"]), numbers
    assert f"Bemærk: Det er på samme tid som forslag {course}." in items["Fodbold"], items["Fodbold"]
    # Every item above it that clashes is named, not only the first.
    assert f"Bemærk: Det er på samme tid som forslag {course} og {football}." in items["Aftensang"], items
    assert "samme tid" not in items["Strikkeklub"], "19:30 is when the course ends: no overlap"
    assert "samme tid" not in items["Rengøring"] and "samme tid" not in items["Kørekort"], items
    assert f"إنه في نفس وقت الاقتراح {course}." in arabic
    assert f"إنه في نفس وقت الاقتراحين {course} و{football}." in arabic


async def test_the_citizens_language_follows_danish_and_arabic_is_right_to_left_in_html() -> None:
    w = world(digest_quiet_s=0)
    citizen = w.citizen(language="ar")
    await _approve(w, citizen)
    await sending.sweep(w.deps)
    message = w.mail.sent[0]
    assert message["Content-Language"] == "da, ar"
    text = text_of(message)
    assert text.index("Hej Amina") < text.index("مرحبًا Amina")
    assert "(mandag, tirsdag)" in text and "(الاثنين، الثلاثاء)" in text, "Arabic lists with its own comma"
    assert "“Fjordkøkkenet ApS”، Holbæk" in text
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert '<section lang="ar" dir="rtl"' in html and '<section lang="da" dir="ltr"' in html


async def test_the_approving_caseworker_is_named_from_the_directory_else_the_municipality_else_the_default() -> None:
    w = world(digest_quiet_s=0)
    w.deps.directory = {"cw-7": Contact("Mette Hansen", "+45 72 36 00 07", "mh@holb.dk")}
    w.deps.municipalities = {"316": Contact("Jobcentret Holbæk", "+45 72 36 36 36")}
    named, auto, elsewhere = (
        w.citizen(email="a@x.dk"),
        w.citizen(email="b@x.dk"),
        w.citizen(email="c@x.dk", municipality="101"),
    )
    await _approve(w, named, actor_id="cw-7")
    await _approve(w, auto, actor_role="system", actor_id="intake")
    await _approve(w, elsewhere, actor_id="cw-unknown")
    await sending.sweep(w.deps)
    texts = {m["To"]: text_of(m) for m in w.mail.sent}
    assert "Kontakt Mette Hansen. Telefon: +45 72 36 00 07. E-mail: mh@holb.dk" in texts["a@x.dk"]
    assert "Kontakt Jobcentret Holbæk. Telefon: +45 72 36 36 36." in texts["b@x.dk"]
    assert "Kontakt Jobcentret." in texts["c@x.dk"]


async def test_a_private_channel_citizen_is_sent_nothing() -> None:
    w = world(digest_quiet_s=0)
    citizen = w.citizen(channel="private")
    await _approve(w, citizen, private=True)
    late = w.citizen(channel="private")  # turned private after the approval went out
    await _approve(w, late)
    w.clock.now += 10
    await sending.sweep(w.deps)
    assert not w.mail.sent and not w.published.of(NotificationSent)


async def test_a_proposal_retracted_before_its_digest_is_not_sent() -> None:
    w = world(digest_quiet_s=60)
    citizen = w.citizen()
    kept, dropped = await _approve(w, citizen, 2)
    await handlers.on_transition(w.deps, transitioned(citizen, dropped, "retracted", actor_role="system"))
    w.clock.now += 61
    await sending.sweep(w.deps)
    assert w.published.of(NotificationSent)[0].proposal_ids == [kept.proposal_id]


async def test_a_crash_mid_send_resends_once_with_the_same_message_id_and_never_a_third_time() -> None:
    w = world(digest_quiet_s=0)
    citizen = w.citizen()
    await _approve(w, citizen)
    w.mail.record_before_failing = True
    w.mail.fail_with = [smtplib.SMTPServerDisconnected("gone"), smtplib.SMTPServerDisconnected("gone again")]
    await sending.sweep(w.deps)
    await _approve(w, citizen)  # a new approval meanwhile must not change the interrupted message
    w.clock.now += 100
    await sending.sweep(w.deps)
    w.clock.now += 100
    await sending.sweep(w.deps)
    ids = [m["Message-ID"] for m in w.mail.sent]
    assert len(ids) == 2 and len(set(ids)) == 1, ids
    assert len(w.published.of(NotificationSent)) == 1, "given up after the resend, announced once"


async def test_a_mail_server_that_is_down_is_retried_with_backoff_then_dead_lettered_for_the_caseworker() -> None:
    w = world(digest_quiet_s=0, retry_initial_s=10, retry_max_attempts=3)
    citizen = w.citizen()
    await _approve(w, citizen)
    w.mail.fail_with = [ConnectionRefusedError()] * 3
    await sending.sweep(w.deps)
    assert w.store.schedules[citizen] == w.clock.now + 10
    w.clock.now += 10
    await sending.sweep(w.deps)
    assert w.store.schedules[citizen] == w.clock.now + 20, "the wait doubles"
    w.clock.now += 20
    await sending.sweep(w.deps)
    failed = w.published.of(DeliveryFailed)
    assert len(failed) == 1 and failed[0].recipient == "citizen" and failed[0].attempts == 3
    assert "mail server" in failed[0].reason and not w.mail.sent


async def test_nothing_is_sent_about_an_erased_citizen() -> None:
    w = world(digest_quiet_s=60)
    citizen = w.citizen()
    await _approve(w, citizen)
    w.keys.erased.add(citizen)
    w.clock.now += 61
    await sending.sweep(w.deps)
    assert not w.mail.sent and not w.published.events


async def test_a_companys_text_cannot_put_a_live_link_or_pose_as_the_jobcentre() -> None:
    w = world(digest_quiet_s=0)
    citizen = w.citizen()
    p = proposal(w.opportunity()).model_copy(
        update={
            "title": "Køkkenmedhjælper LOG IND: http://evil.example/mitid eller www.evil.example",
            "owner_name": "Jobcentret \u202eHolbæk\u202c - skriv til svar@evil.example",
        }
    )
    await handlers.on_transition(w.deps, transitioned(citizen, p, "approved"))
    await sending.sweep(w.deps)
    message = w.mail.sent[0]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    for body in (text_of(message), html):
        for live in ("http://evil", "www.evil", "evil.example", "svar@evil", "\u202e"):
            assert live not in body, live
    danish = text_of(message).split("— English —")[0]
    assert "“Jobcentret Holbæk - skriv til svar[at]evil[.]example”" in danish
    assert "ikke af jobcentret" in danish and "CPR-nummer" in danish


async def test_one_digest_failing_unexpectedly_holds_up_no_other_in_the_same_sweep() -> None:
    w = world(digest_quiet_s=0, sweep_concurrency=4)
    for citizen in (w.citizen(), w.citizen()):
        await _approve(w, citizen)
    w.mail.fail_with = [RuntimeError("a bug in one message")]
    assert await sending.sweep(w.deps) == 1, "the other citizen's digest went out"
    assert await sending.sweep(w.deps) == 1, "the failed one is tried again next round"
    assert len(w.mail.sent) == 2 and len({n.citizen_id for n in w.published.of(NotificationSent)}) == 2


async def test_an_association_says_it_matches_an_interest_or_is_a_place_to_practise_danish_never_skills() -> None:
    """An association's `matched_skills` are the citizen's interests: the message must not call them skills."""
    w = world(digest_quiet_s=0)
    citizen = w.citizen()
    club, cafe = (
        proposal(w.opportunity(), rank=n, **extra).model_copy(
            update={"kind": OpportunityKind.ASSOCIATION_ACTIVITY, "title": title}
        )
        for n, title, extra in (
            (1, "Syklub for kvinder", {"matched_skills": ["syning"]}),
            (2, "Sprogcafé", {"matched_skills": []}),
        )
    )
    for p in (club, cafe):
        await handlers.on_transition(w.deps, transitioned(citizen, p, "approved"))
    await sending.sweep(w.deps)
    danish, english = text_of(w.mail.sent[0]).split("— English —")
    assert "færdighed" not in danish and "skill" not in english
    assert "Hvorfor: Det passer til en af dine interesser." in danish
    assert "Hvorfor: Her kan du øve dansk sammen med andre." in danish
    assert "It matches one of your interests." in english and "Here you can practise Danish with others." in english


async def test_a_job_approved_by_hand_is_shown_before_associations_approved_earlier() -> None:
    """Associations are approved automatically as the ranking arrives; the job a caseworker approves
    later must still be among the five shown, first, not behind the link to the full list."""
    w = world(digest_quiet_s=60)
    citizen = w.citizen()
    start = dt.datetime.now(dt.UTC)
    for n in range(5):
        club = proposal(w.opportunity(), rank=n + 1).model_copy(
            update={"kind": OpportunityKind.ASSOCIATION_ACTIVITY, "title": f"Forening {n + 1}"}
        )
        await handlers.on_transition(w.deps, transitioned(citizen, club, "approved", actor_role="system", at=start))
    job = proposal(w.opportunity(), rank=1)
    later = start + dt.timedelta(seconds=30)
    await handlers.on_transition(w.deps, transitioned(citizen, job, "approved", at=later))
    w.clock.now += 120
    assert await sending.sweep(w.deps) == 1
    danish = text_of(w.mail.sent[0]).split("— English —")[0]
    items = [line for line in danish.splitlines() if line[:1].isdigit() and ". " in line]
    assert items[0] == "1. Job: “Køkkenmedhjælper”", items
    assert [line.split(": ", 1)[1] for line in items[1:]] == [f"“Forening {n}”" for n in range(1, 5)]
    assert "Der er et forslag mere på hele listen." in danish
