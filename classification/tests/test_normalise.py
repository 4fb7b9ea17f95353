from __future__ import annotations

import pytest

from classification.normalise import normalise_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://acme.co.uk/track?id=1 now", "see xxurl now"),
        ("try www.acme.com or acme.co.uk/help", "try xxurl or xxurl"),
        ("@AcmeSupport hello @bob_2", "xxuser hello xxuser"),
        ("mail ann.b+x@example.co.uk today", "mail xxemail today"),
        ("call 07700 900123 or +44 161 496 0000", "call xxphone or xxphone"),
        ("ring (020) 7946 0000 please", "ring xxphone please"),
        ("order #AC-558213 is late", "order #xxorder is late"),
        ("my account number 30018842 was closed", "my account number xxaccount was closed"),
        ("ref: CMP-20261125-8F3K2 thanks", "ref: xxref thanks"),
        ("my parcel 48213 never came", "my parcel xxnumber never came"),
        ("charged £38.50 and $5 and 45 quid", "charged xxmoney and xxmoney and xxmoney"),
    ],
)
def test_identifiers_become_placeholders(text: str, expected: str) -> None:
    assert normalise_text(text) == expected


def test_an_email_address_is_not_mistaken_for_a_handle() -> None:
    assert normalise_text("write to help@acme.com") == "write to xxemail"


def test_elongations_and_punctuation_runs_are_tamed_but_words_kept() -> None:
    assert normalise_text("sooooo baaaad!!!!!! 😡") == "soo baad!!! 😡"


def test_ordinary_text_dates_and_small_numbers_are_left_alone() -> None:
    text = "On 3 March my 5G router broke at 10:30, 2 days after 12/03/2024. Not happy 🙃"
    assert normalise_text(text) == text


def test_handles_and_url_domains_are_kept_aside_for_the_identity_features() -> None:
    from classification.normalise import identity_tokens

    text = "@AcmeHelp see https://www.Acme.co.uk/track?id=1 and bit.ly/x, cc .@bob_2 (mail ann@example.com)"
    assert identity_tokens(text) == ("url:acme.co.uk", "url:bit.ly", "@acmehelp", "@bob_2")
    assert identity_tokens("no identifiers here, 07700 900123") == ()


def test_the_tokenizer_leaves_the_identities_on_the_doc_but_not_in_the_vocabulary() -> None:
    import spacy

    from classification.tokenizer import IDENTITY_KEY, TOKENIZER_CONFIG

    nlp = spacy.blank("en", config={"nlp": {"tokenizer": TOKENIZER_CONFIG}})
    doc = nlp("@AcmeHelp my parcel is late")
    assert [t.text for t in doc][:1] == ["xxuser"]
    assert doc.user_data[IDENTITY_KEY] == ("@acmehelp",)
    assert "@acmehelp" not in nlp.vocab.strings and "AcmeHelp" not in nlp.vocab.strings
