from __future__ import annotations

import pytest

from classification.urgency import LEGAL_REGULATOR, REPEATED_CONTACT, SAFETY, THREAT_TO_LEAVE, urgency_reasons


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Sort it or I'm cancelling my contract", THREAT_TO_LEAVE),
        ("I will be switching to another provider next week", THREAT_TO_LEAVE),
        ("Please close my account, I'm done", THREAT_TO_LEAVE),
        ("never using you again", THREAT_TO_LEAVE),
        ("Going to take my business elsewhere", THREAT_TO_LEAVE),
        ("I'm taking this to the ombudsman", LEGAL_REGULATOR),
        ("I've reported you to Ofcom", LEGAL_REGULATOR),
        ("the FCA will hear about this", LEGAL_REGULATOR),
        ("trading standards have been told", LEGAL_REGULATOR),
        ("I'll see you in the small claims court", LEGAL_REGULATOR),
        ("my solicitor is writing to you", LEGAL_REGULATOR),
        ("the charger melted and there was smoke everywhere", SAFETY),
        ("I can smell gas near your meter", SAFETY),
        ("my son got an electric shock from the kettle", SAFETY),
        ("exposed wires on the cabinet outside the school", SAFETY),
        ("My telecare alarm has no line and I am vulnerable", SAFETY),
        ("This is the third time I've called about this", REPEATED_CONTACT),
        ("I have emailed you 4 times with no answer", REPEATED_CONTACT),
        ("promised a call back that never came", REPEATED_CONTACT),
        ("nobody ever got back to me", REPEATED_CONTACT),
        ("already chased this twice", REPEATED_CONTACT),
    ],
)
def test_each_signal_is_recognised(text: str, reason: str) -> None:
    assert reason in urgency_reasons(text)


@pytest.mark.parametrize(
    "text",
    [
        "leave the parcel at the door please",
        "you're on fire today, great service",
        "the app crashed 6 times this morning",
        "I cancelled my contract last year and switched to paperless",
        "my order is late",
        "",
    ],
)
def test_everyday_phrases_are_not_urgent(text: str) -> None:
    assert urgency_reasons(text) == ()


def test_several_signals_are_all_reported_in_a_fixed_order() -> None:
    text = "Fourth call about this. Fix the sparking socket or I go to the ombudsman and cancel my contract."
    assert urgency_reasons(text) == (THREAT_TO_LEAVE, LEGAL_REGULATOR, SAFETY, REPEATED_CONTACT)


@pytest.mark.parametrize(
    "text",
    [
        "I'm not going to the ombudsman, I just want it fixed",
        "no smoke, just a smell of dust",
        "There is no gas leak, the engineer checked",
        "it isn't dangerous but it's ugly",
        "I don't want to cancel my contract",
        "I'm not saying I'm leaving, the prices are just too high",
        "nobody was injured thankfully",
        "I am not vulnerable, my mum is fine",
    ],
)
def test_a_negated_signal_is_not_urgent(text: str) -> None:
    assert urgency_reasons(text) == ()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("If you don't fix this I'm cancelling my contract", THREAT_TO_LEAVE),
        ("no smoke but sparks came out of the socket", SAFETY),
        ("I can't cancel my contract online, let me out", THREAT_TO_LEAVE),
        ("can't port my number out, the PIN doesn't match", THREAT_TO_LEAVE),
        ("Not happy. I'm going to the ombudsman", LEGAL_REGULATOR),
        ("never using you again", THREAT_TO_LEAVE),
        ("still no reply to my emails", REPEATED_CONTACT),
    ],
)
def test_a_negation_elsewhere_does_not_hide_a_signal(text: str, reason: str) -> None:
    assert reason in urgency_reasons(text)
