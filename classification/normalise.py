"""Rule-based normalisation before the classifier sees a text.

Identifiers that say nothing about *what kind* of message it is (a URL, an @handle, an e-mail
address, a phone number, an order or account number, an amount of money) become placeholder words.
The model then learns "mentions an order number" once instead of memorising thousands of numbers,
and no personal identifier ends up as a feature in a saved model.

Placeholders are plain lower-case words (`xxurl`, `xxuser`, ...) so that spaCy's tokenizer keeps
each one as a single token.
"""

from __future__ import annotations

import re

URL = "xxurl"
USER = "xxuser"
EMAIL = "xxemail"
PHONE = "xxphone"
ORDER = "xxorder"
ACCOUNT = "xxaccount"
REFERENCE = "xxref"
NUMBER = "xxnumber"
MONEY = "xxmoney"

PLACEHOLDERS = (URL, USER, EMAIL, PHONE, ORDER, ACCOUNT, REFERENCE, NUMBER, MONEY)

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_URL = re.compile(
    r"(?:\bhttps?://|\bwww\.)[^\s<>\"]+"
    # bare domains with a path or a common TLD, e.g. acme.co.uk/help or bit.ly/xyz
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|co\.uk|org|net|io|ly|uk|me|info|biz)(?:/[^\s<>\"]*)?(?![\w.])",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{1,30}\b")
# UK-style and international numbers: +44 7700 900123, 07700900123, 0161 496 0000, (020) 7946 0000.
_PHONE = re.compile(
    r"(?<![\w£$€.])(?:\+\d{1,3}[\s-]?(?:\(0\))?[\s-]?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\w.])"
)
_MONEY = re.compile(
    r"[£$€]\s?\d{1,3}(?:,\d{3})*(?:\.\d{1,2})?(?:k|m|bn)?\b"
    r"|\b\d+(?:\.\d{1,2})?\s?(?:quid|pounds|gbp|eur|euros|usd|dollars|p)\b",
    re.IGNORECASE,
)
_KEYWORD_ID = re.compile(
    r"\b(?P<kind>order|account|acct|a/c|ref(?:erence)?|case|ticket|booking|invoice|tracking|customer|membership|policy)"
    r"(?P<mid>\s*(?:no\.?|num(?:ber)?|id|ref(?:erence)?)?\s*[:#]?\s*)"
    r"(?P<id>#?[A-Za-z]{0,4}[-/]?\d[\dA-Za-z/-]{2,})",
    re.IGNORECASE,
)
# A code that mixes letters and digits (AC-558213, #AC558213, GB12ABCD) or a long run of digits.
_CODE = re.compile(
    r"(?<![\w£$€])#?(?=[A-Za-z0-9/-]*\d)(?=[A-Za-z0-9/-]*[A-Za-z])[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)+\b"
    r"|(?<![\w£$€])#?[A-Za-z]{1,4}\d{4,}\b"
)
_LONG_NUMBER = re.compile(r"(?<![\w£$€.,])#?\d{5,}(?![\w.,]\d)")
_ELONGATED = re.compile(r"([A-Za-z])\1{2,}")
_PUNCT_RUN = re.compile(r"([!?.])\1{3,}")

_KIND = {
    "order": ORDER,
    "account": ACCOUNT,
    "acct": ACCOUNT,
    "a/c": ACCOUNT,
    "customer": ACCOUNT,
    "membership": ACCOUNT,
    "policy": ACCOUNT,
}


def _keyword_id(match: re.Match[str]) -> str:
    kind = match.group("kind").lower()
    return f"{match.group('kind')}{match.group('mid') or ' '}{_KIND.get(kind, REFERENCE)}"


_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?([^/?#:\s]+)", re.IGNORECASE)


def identity_tokens(text: str) -> tuple[str, ...]:
    """The @handles (lower case) and URL domains of a text, in order, for the model's identity features.

    The normaliser turns every handle into `xxuser`, which is what generalises on this project's
    traffic; but on other people's data *which* account a message addresses (a brand's support desk,
    a friend, a celebrity) can predict the label, and an off-the-shelf model sees it. The features
    layer adds these as extra hashed features beside the placeholder (see classification/features.py).
    E-mail addresses are not included.
    """
    out: list[str] = []
    without_email = _EMAIL.sub(" ", text)
    for match in _URL.finditer(without_email):
        domain = _DOMAIN.match(match.group(0))
        if domain:
            out.append("url:" + domain.group(1).lower().rstrip("."))
    for match in _HANDLE.finditer(_URL.sub(" ", without_email)):
        out.append(match.group(0).lower())
    return tuple(out)


def normalise_text(text: str) -> str:
    """Replace identifiers with placeholders and tame elongations; everything else is kept.

    The order matters: e-mail addresses before handles (both contain "@"), URLs before codes,
    phone numbers before generic long numbers.
    """
    text = _EMAIL.sub(EMAIL, text)
    text = _URL.sub(URL, text)
    text = _HANDLE.sub(USER, text)
    text = _MONEY.sub(MONEY, text)
    text = _KEYWORD_ID.sub(_keyword_id, text)
    text = _PHONE.sub(PHONE, text)
    text = _CODE.sub(REFERENCE, text)
    text = _LONG_NUMBER.sub(NUMBER, text)
    # "sooooo baaaad" -> "soo baad": one spelling for every length of elongation.
    text = _ELONGATED.sub(r"\1\1", text)
    return _PUNCT_RUN.sub(r"\1\1\1", text)
