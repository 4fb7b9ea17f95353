"""Human-readable complaint references: CMP-<YYYYMMDD in the internal zone>-<5 characters>."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from django.utils import timezone

# Crockford's base32 without I, L, O and U: nothing a customer can misread on the phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SUFFIX_LENGTH = 5
_BITS_PER_CHARACTER = 5  # len(ALPHABET) == 2**5: every character equally likely
assert len(ALPHABET) == 2**_BITS_PER_CHARACTER


def reference_candidate(at: datetime) -> str:
    day = timezone.localtime(at).strftime("%Y%m%d")
    # One draw of 5 bits a character, not one system call a character: a call-log file allocates
    # tens of thousands of references and secrets.choice() was 8% of its job's time.
    bits = secrets.randbits(_BITS_PER_CHARACTER * SUFFIX_LENGTH)
    suffix = "".join(ALPHABET[(bits >> (_BITS_PER_CHARACTER * i)) & (len(ALPHABET) - 1)] for i in range(SUFFIX_LENGTH))
    return f"CMP-{day}-{suffix}"


_LOOK_ALIKES = str.maketrans("OIL", "011")


def normalise_reference(text: str) -> str:
    """What a customer types (lower case, O for 0, spaces) -> the stored form."""
    cleaned = text.strip().upper().replace(" ", "")
    head, _, tail = cleaned.rpartition("-")
    tail = tail.translate(_LOOK_ALIKES)
    return f"{head}-{tail}" if head else tail


# What a person types for a reference: any case, dashes optional, spaces around.
_TYPED_REFERENCE = re.compile(r"^\s*CMP-?(\d{8})-?([0-9A-Z]{5})\s*$", re.IGNORECASE)


def reference_typed(text: str) -> str | None:
    """The stored form of a reference someone typed or pasted ("cmp20261125abcde",
    "CMP-20261125-ABCDO"); None when the text is not a reference."""
    match = _TYPED_REFERENCE.match(text)
    if match is None:
        return None
    day, suffix = match.groups()
    return f"CMP-{day}-{suffix.upper().translate(_LOOK_ALIKES)}"
