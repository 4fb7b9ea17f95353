"""Complaint references: the format customers read out on the phone, and an even draw."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

from warehouse.references import ALPHABET, SUFFIX_LENGTH, normalise_reference, reference_candidate, reference_typed

FORMAT = re.compile(rf"^CMP-(\d{{8}})-([{ALPHABET}]{{{SUFFIX_LENGTH}}})$")


def test_a_reference_carries_the_day_in_the_internal_zone_and_five_unambiguous_characters(settings) -> None:
    settings.TIME_ZONE = "Europe/London"
    # 23:30 UTC on 30 June is already 1 July in London (summer time).
    match = FORMAT.match(reference_candidate(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)))
    assert match is not None and match.group(1) == "20260701"
    assert not set(match.group(2)) & set("ILOU")


def test_every_character_of_the_alphabet_turns_up_in_every_position() -> None:
    at = datetime(2026, 1, 5, 12, tzinfo=UTC)
    suffixes = [reference_candidate(at).rsplit("-", 1)[1] for _ in range(4000)]
    for position in range(SUFFIX_LENGTH):
        seen = Counter(suffix[position] for suffix in suffixes)
        assert set(seen) == set(ALPHABET)
        # 4,000 draws over 32 characters: 125 expected; a skewed draw would leave some far below.
        assert min(seen.values()) > 60, (position, seen.most_common()[-3:])
    assert len(set(suffixes)) > 3990  # 33.5 million codes a day: repeats in 4,000 draws are rare


def test_what_a_customer_types_is_read_back_as_the_stored_reference() -> None:
    assert normalise_reference(" cmp-20260105-7k2o1 ") == "CMP-20260105-7K201"


def test_a_typed_reference_is_recognised_in_the_forms_people_type_it() -> None:
    for typed in ("CMP-20260105-7K2O1", " cmp-20260105-7k2o1 ", "cmp202601057k2o1", "CMP20260105-7K2O1"):
        assert reference_typed(typed) == "CMP-20260105-7K201", typed
    for other in ("late parcel", "CMP-2026-7K2O1", "20260105-7K2O1 and more", ""):
        assert reference_typed(other) is None, other
