"""The text generator writes varied messages in each channel's style, and is not the training corpus."""

from __future__ import annotations

import collections

import pytest

from ingestion.textclean import clean_text
from simulator.texts import STYLES, TextGenerator


def sample(style: str, n: int = 400, seed: int = 11) -> list:  # type: ignore[type-arg]
    gen = TextGenerator(seed=seed)
    return [gen.utterance(style) for _ in range(n)]


def test_the_same_seed_writes_the_same_messages_and_another_seed_different_ones() -> None:
    assert [u.text for u in sample("sms", 50, seed=1)] == [u.text for u in sample("sms", 50, seed=1)]
    assert [u.text for u in sample("sms", 50, seed=1)] != [u.text for u in sample("sms", 50, seed=2)]


@pytest.mark.parametrize("style", STYLES)
def test_every_style_mixes_complaints_and_other_messages_without_repeating_itself(style: str) -> None:
    messages = sample(style)
    complaints = [u for u in messages if u.is_complaint]
    assert 0.3 < len(complaints) / len(messages) < 0.95
    # Varied: most messages are unique, and complaints spread over the categories.
    assert len({u.text for u in messages}) > 0.8 * len(messages)
    assert len({u.category for u in complaints}) >= 6
    assert {u.reason for u in messages if not u.is_complaint} >= {"question", "praise", "other"}
    assert all(u.text.strip() for u in messages)


def test_channel_limits_and_shapes_hold() -> None:
    assert all(len(u.text) <= 280 for u in sample("x_mention"))
    assert all(len(u.text) <= 640 for u in sample("sms"))
    assert all(len(clean_text(u.text)) >= 10 for u in sample("web_form"))  # the form's minimum
    calls = sample("call", 100)
    assert all(u.turns and u.turns[0]["speaker"] == "agent" for u in calls)
    assert all(any(t["speaker"] == "customer" for t in u.turns) for u in calls)


def test_social_messages_carry_the_channel_s_noise() -> None:
    mentions = sample("x_mention")
    assert sum("@" in u.text for u in mentions) == len(mentions)  # a mention names the brand
    emoji = sum(any(ord(c) > 0x2000 for c in u.text) for u in sample("instagram_comment"))
    assert emoji > 50


def test_the_category_mix_is_skewed_like_real_traffic() -> None:
    counts = collections.Counter(u.category for u in sample("web_form", 2000) if u.is_complaint)
    assert counts.most_common(1)[0][0] in ("delivery", "billing")
    assert counts["fraud_security"] < counts["delivery"] / 2


def test_generated_texts_are_not_taken_from_the_classifier_corpus() -> None:
    """The simulator must not echo the classifier's training data (that would flatter the classifier)."""
    from classification.corpus import corpus_rows

    corpus = {clean_text(row.text).lower() for row in corpus_rows()}
    generated = {clean_text(u.text).lower() for style in STYLES for u in sample(style, 300)}
    assert len(corpus) > 1000
    # Two-word replies ("ok thanks", "STOP") are everybody's; anything with content must be ours.
    assert {t for t in generated & corpus if len(t) >= 25} == set()
