"""Urgency from rules, not from the model.

Four signals that a complaint needs a person soon, each a small set of patterns so that an agent
can read why a message was flagged (the reasons are stored beside the flag):

- `threat_to_leave`: cancelling, switching provider, closing the account, taking the business elsewhere;
- `legal_regulator`: ombudsman, Ofcom, Ofgem, the FCA, trading standards, small claims, a solicitor, court;
- `safety`: fire, smoke, sparks, gas, electric shocks, injuries, medical need or vulnerability;
- `repeated_contact`: the customer says they have already called, written or chased, more than once.

Rules are deliberately phrase-level: single words such as "fire" or "leave" on their own say too
little ("you're on fire today", "leave it at the door").

A match that is negated in its own clause does not count: "I'm not going to the ombudsman",
"there's no smoke, just a smell", "it isn't dangerous", "I don't want to cancel my contract". The
negation has to sit in the few words before the match, after the last clause boundary (punctuation,
"but", "and", "if", ...) and after the last subject ("If you don't fix this I'm cancelling my
contract" is still a threat). Patterns that carry their own negation ("never using you again",
"nobody got back to me", "still no reply") start at it, so they are not affected.
"""

from __future__ import annotations

import re

THREAT_TO_LEAVE = "threat_to_leave"
LEGAL_REGULATOR = "legal_regulator"
SAFETY = "safety"
REPEATED_CONTACT = "repeated_contact"

_NUM = r"(?:two|three|four|five|six|seven|eight|nine|ten|dozen|\d+|several|multiple|numerous|many|countless)"

# Every pattern is lower case and is matched against the lower-cased text.
_RULES: dict[str, re.Pattern[str]] = {
    THREAT_TO_LEAVE: re.compile(
        r"\b(?:"
        r"(?:cancel(?:l?ing)?|terminat(?:e|ing)|end(?:ing)?)\s+(?:my|our|the)\s+(?:contract|account|subscription|"
        r"membership|service|broadband|policy|plan|direct debit|sub)"
        r"|(?:clos(?:e|ing)|shut(?:ting)?)\s+(?:my|our|the)\s+account"
        r"|switch(?:ing)?\s+(?:providers?|suppliers?|networks?|banks?|away)"
        r"|(?:i'?m|i\s+am|i'?ll|i\s+will|we'?ll|we\s+will|going\s+to|gonna|will\s+be|'ll\s+be)\s+switch(?:ing)?\s+(?:to|over)"
        r"|(?:mov(?:e|ing)|tak(?:e|ing))\s+(?:my|our)\s+(?:business|custom|money|account)\s+(?:elsewhere|somewhere)"
        r"|tak(?:e|ing)\s+my\s+business\s+elsewhere|go(?:ing)?\s+elsewhere|(?:find|found)\s+(?:a|another)\s+provider"
        r"|(?:i'?m|i\s+am|we'?re|we\s+are|will\s+be|i'?ll\s+be)\s+leaving(?:\s+you)?"
        r"|(?:never|won'?t|will\s+not|not\s+going\s+to)\s+(?:be\s+)?(?:us(?:e|ing)|shop(?:ping)?|order(?:ing)?|buy(?:ing)?|"
        r"com(?:e|ing))\s+(?:with\s+|from\s+|to\s+|back\s+to\s+)?(?:you|again|here)"
        r"|(?:last|final)\s+(?:time|order)\s+(?:i|we)\s+(?:use|order|buy|shop)"
        r"|port(?:ing)?\s+(?:my\s+)?number|pac\s+code|stac\s+code"
        r")\b"
    ),
    LEGAL_REGULATOR: re.compile(
        r"\b(?:"
        r"ombuds(?:man|men|person)|ofcom|ofgem|ofwat|fca|financial\s+conduct\s+authority|trading\s+standards"
        r"|small\s+claims|solicitors?|lawyers?|legal\s+(?:action|advice|team|proceedings)|court|sue|suing"
        r"|citizens\s+advice|ico|information\s+commissioner|data\s+protection\s+act|gdpr|subject\s+access\s+request"
        r"|watchdog|regulator|consumer\s+rights\s+act|section\s+75|chargeback|letter\s+before\s+action"
        r"|cisas|advertising\s+standards|asa"
        r")\b"
    ),
    SAFETY: re.compile(
        r"\b(?:"
        r"(?:caught|set\s+on|burst\s+into)\s+fire|fire\s+hazard|flames?|smok(?:e|ing|ed)\s+(?:came|coming|pouring)"
        r"|smoke|sparks?|sparking|scorch(?:ed|ing)?|melt(?:ed|ing)|burn(?:t|ed|ing|s)?\s+(?:my|his|her|their|the\s+child)"
        r"|(?:smell(?:s|ing)?(?:\s+of)?|leak(?:ing)?|escape\s+of)\s+gas|gas\s+(?:leak|smell)|carbon\s+monoxide"
        r"|electric(?:al)?\s+shock|electrocut\w*|exploded|explosion|overheat(?:ed|ing|s)?"
        r"|injur(?:ed|y|ies)|(?:ended\s+up|taken|went|rushed|admitted)\s+(?:in|to|into)\s+(?:the\s+)?hospital"
        r"|a\s*&\s*e|ambulance|bleeding|chok(?:e|ed|ing)|allergic\s+reaction"
        r"|unsafe|dangerous|hazard(?:ous)?|safety\s+(?:risk|issue|concern)|live\s+wires?|exposed\s+wires?"
        r"|no\s+(?:heating|heat|hot\s+water)\s+(?:and|with)\s+(?:a\s+)?(?:baby|newborn|elderly|disabled|vulnerable)"
        r"|vulnerable|life\s+support|medical\s+(?:equipment|device|alarm)|oxygen|pacemaker|careline|telecare"
        r"|can'?t\s+(?:call|ring|phone)\s+(?:999|112|911|for\s+help|an\s+ambulance)"
        r")\b"
    ),
    REPEATED_CONTACT: re.compile(
        r"\b(?:"
        rf"{_NUM}\s+(?:calls|emails|e-mails|letters|chats|complaints|phone\s+calls)"
        r"|(?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th))\s+(?:call|email|e-mail|message|letter|complaint|chat)"
        r"|(?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th))\s+time\s+(?:i'?ve|i\s+have|i'?m|i\s+am|of)\s+"
        r"(?:called|rung|phoned|emailed|written|writing|messaged|chased|chasing|contacted|contacting|complained|calling)"
        r"|(?:called|rang|phoned|emailed|e-mailed|written|wrote|messaged|chased|contacted|complained)\s+"
        r"(?:you\s+|u\s+)?(?:again|repeatedly|already|before|twice|multiple|several|numerous|countless|every\s+day|daily|"
        rf"{_NUM})"
        r"|(?:already|still)\s+(?:called|rang|phoned|emailed|chased|complained|contacted|waiting)"
        r"|(?:chasing|chased)\s+(?:this|you|it|up)|keep\s+(?:calling|chasing|ringing|emailing|being\s+told)"
        r"|(?:every|each)\s+time\s+i\s+(?:call|ring|phone|chat|email)|(?:no|nobody|no\s+one|noone)\s+"
        r"(?:has\s+)?(?:ever\s+)?(?:got|gets|came|come|called|rang)\s+back"
        r"|promised\s+(?:a\s+)?call\s*back|still\s+(?:no|not)\s+(?:reply|response|answer|fixed|resolved|sorted)"
        r"|(?:weeks|months)\s+of\s+(?:calls|chasing|emails)"
        r")\b"
    ),
}


# What may sit between a negation and the match it negates: the last clause of the preceding text.
_CLAUSE_BREAK = re.compile(
    r"[.,;:!?()\n]|\s[-–—]\s|\b(?:but|and|or|so|because|cos|if|unless|otherwise|then|though|although|yet|when)\b"
)
# A new subject starts a new statement: "if you don't fix this I'm cancelling" is still a threat.
_SUBJECT = re.compile(r"\b(?:i|i'm|im|i'll|i'd|i've|we|we're|we'll|we've|they|they're|he|she|it's)\b")
# "can't / couldn't / unable to" is not a negation here: "I can't cancel my contract" or "can't port my
# number out" still tells that the customer wants to leave.
_NEGATION = re.compile(r"\b(?:not|no|never|nothing|none|nobody|noone|neither|nor|without)\b|(?<!\bca)(?<!\bcould)n't\b")
_NEGATION_WINDOW = 5  # words before the match


def _negated(lowered: str, start: int) -> bool:
    before = lowered[max(0, start - 80) : start]
    clause = _CLAUSE_BREAK.split(before)[-1]
    subjects = list(_SUBJECT.finditer(clause))
    if subjects:
        clause = clause[subjects[-1].end() :]
    window = " ".join(clause.split()[-_NEGATION_WINDOW:])
    return bool(_NEGATION.search(window))


def urgency_reasons(text: str) -> tuple[str, ...]:
    """The urgency signals present in a message, in a fixed order; empty when none.

    A rule counts when at least one of its matches is not negated (see the module docstring).
    """
    # Patterns are written in lower case: lowering once is ~3x faster than re.IGNORECASE.
    lowered = text.lower().replace("\u2019", "'")
    return tuple(
        reason
        for reason, pattern in _RULES.items()
        if any(not _negated(lowered, match.start()) for match in pattern.finditer(lowered))
    )
