"""Sentiment markers in front of listed words, and the tokenizer versions that do or do not add them."""

from __future__ import annotations

import spacy

from classification.sentiment import NEGATIVE_WORDS, POSITIVE_WORDS, sentiment_marked
from classification.tokenizer import TOKENIZER_CONFIG, TOKENIZER_CONFIG_WITHOUT_SENTIMENT


def test_a_marker_goes_in_front_of_every_listed_word_whatever_its_case() -> None:
    assert sentiment_marked("I am LIVID about this dreadful helpline") == (
        "I am xxneg LIVID about this xxneg dreadful helpline"
    )
    # In front, so that a negation and the marker make one bigram for every positive word.
    assert sentiment_marked("not happy, not impressed") == "not xxpos happy, not xxpos impressed"
    assert sentiment_marked("Thanks, brilliant 👍") == "xxpos Thanks, xxpos brilliant  xxpos 👍"
    assert sentiment_marked("ur app keeps crashing 😡").endswith("xxneg 😡")


def test_only_whole_words_are_marked() -> None:
    assert sentiment_marked("hopelessly badminton worst-case greatest") == "hopelessly badminton worst-case greatest"
    assert sentiment_marked("a message with no sentiment word") == "a message with no sentiment word"


def test_the_lists_do_not_overlap_and_leave_out_words_that_need_their_sentence() -> None:
    assert not NEGATIVE_WORDS & POSITIVE_WORDS
    assert not {"joke", "fire", "sick", "fine"} & (NEGATIVE_WORDS | POSITIVE_WORDS)


def test_the_v2_tokenizer_marks_sentiment_and_v1_as_older_models_were_saved_does_not() -> None:
    marked = spacy.blank("en", config={"nlp": {"tokenizer": TOKENIZER_CONFIG}})
    plain = spacy.blank("en", config={"nlp": {"tokenizer": TOKENIZER_CONFIG_WITHOUT_SENTIMENT}})
    text = "@AcmeHelp the worst service, I'm livid"
    assert [t.text for t in marked(text)] == [
        "xxuser",
        "the",
        "xxneg",
        "worst",
        "service",
        ",",
        "I",
        "'m",
        "xxneg",
        "livid",
    ]
    assert [t.text for t in plain(text)] == ["xxuser", "the", "worst", "service", ",", "I", "'m", "livid"]
