"""The text generator: one call, one customer message in a given channel's style."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from simulator.texts import complaints as C
from simulator.texts import lexicon, styles
from simulator.texts.others import ANGRY_NOT_COMPLAINT, NON_COMPLAINTS, REASON_WEIGHTS

# Channel styles the generator writes in (the same names as ingestion's channels, plus the form and calls).
STYLES = (
    "sms",
    "whatsapp",
    "facebook_dm",
    "instagram_dm",
    "facebook_comment",
    "instagram_comment",
    "x_dm",
    "x_mention",
    "web_form",
    "call",
)

# Share of complaints by channel: people use a complaint form to complain, and chat elsewhere.
COMPLAINT_SHARE = {"web_form": 0.85, "call": 0.6, "sms": 0.55, "whatsapp": 0.55}
DEFAULT_COMPLAINT_SHARE = 0.45

CATEGORY_WEIGHTS = {
    "delivery": 0.22,
    "billing": 0.17,
    "service_outage": 0.14,
    "product_quality": 0.12,
    "customer_service": 0.11,
    "pricing_refunds": 0.1,
    "account_access": 0.07,
    "fraud_security": 0.04,
    "other": 0.03,
}


@dataclass(frozen=True)
class Utterance:
    """One synthetic message with what it was written to be (the simulator's ground truth)."""

    text: str
    is_complaint: bool
    category: str = ""  # a taxonomy slug for complaints
    reason: str = ""  # why not, for non-complaints: spam | joke | praise | question | other
    urgent: bool = False
    turns: tuple[dict[str, str], ...] = field(default=())  # call transcripts only


class TextGenerator:
    def __init__(self, seed: int | None = None, complaint_share: float | None = None) -> None:
        self.rng = random.Random(seed)
        self.complaint_share = complaint_share

    def utterance(self, style: str) -> Utterance:
        if style not in STYLES:
            raise ValueError(f"unknown style {style!r}; one of {', '.join(STYLES)}")
        share = self.complaint_share
        if share is None:
            share = COMPLAINT_SHARE.get(style, DEFAULT_COMPLAINT_SHARE)
        if self.rng.random() < share:
            return self._complaint(style)
        return self._non_complaint(style)

    # -- complaints ---------------------------------------------------------------------------
    def _pick_category(self) -> str:
        cats, weights = zip(*CATEGORY_WEIGHTS.items(), strict=True)
        return self.rng.choices(cats, weights)[0]

    def _complaint(self, style: str) -> Utterance:
        rng = self.rng
        category = self._pick_category()
        angry = True
        special = rng.random()
        sentences: list[str]
        if special < 0.07 and category in C.SARCASTIC:
            sentences = [lexicon.fill(rng.choice(C.SARCASTIC[category]), rng)]
        elif special < 0.12:
            category, template = rng.choice(C.PRAISE_WITH_STING)
            sentences = [lexicon.fill(template, rng)]
        elif special < 0.19:
            category, template = rng.choice(C.QUESTION_COMPLAINTS)
            sentences = [lexicon.fill(template, rng)]
        elif special < 0.23 and style in ("web_form", "call", "sms"):
            template = rng.choice(C.POLITE_ONLY)
            category = "billing" if "bill" in template else "delivery" if "order" in template else "product_quality"
            sentences, angry = [lexicon.fill(template, rng)], False
        else:
            sentences, angry = self._composed(category, long=style in ("web_form", "call"))
        urgent = rng.random() < 0.05
        if urgent:
            sentences.append(lexicon.fill(rng.choice(C.URGENT_EXTRAS), rng))
        return self._render(style, sentences, angry=angry, is_complaint=True, category=category, urgent=urgent)

    def _composed(self, category: str, *, long: bool) -> tuple[list[str], bool]:
        rng = self.rng
        tone = rng.choices(("polite", "angry", "weary", "plain"), (0.3, 0.3, 0.15, 0.25))[0]
        fact = lexicon.fill(rng.choice(C.FACTS[category]), rng)
        fact = fact[0].upper() + fact[1:]
        if not fact.endswith(("?", "!", ".")):
            fact += rng.choice((".", ".", "!", "!!", "")) if tone == "angry" else "."
        opener = lexicon.fill(rng.choice(C.OPENERS[tone]), rng)
        if opener and opener[-1].isalpha():  # "Sorry to bother you but" runs on into the fact
            fact = fact[0].lower() + fact[1:]
        sentences = [opener, fact]
        extra = 2 if long else 1
        for pool, chance in ((C.DETAILS, 0.45), (C.IMPACTS, 0.35), (C.ASKS, 0.55), (C.ESCALATIONS, 0.12)):
            for _ in range(extra if pool is C.DETAILS else 1):
                if rng.random() < chance:
                    sentences.append(lexicon.fill(rng.choice(pool), rng))
        if long and rng.random() < 0.5:
            # Long writers add a second grievance about the same thing.
            more = lexicon.fill(rng.choice(C.FACTS[category]), rng)
            sentences.insert(2, f"And {more}.")
        sentences.append(lexicon.fill(rng.choice(C.CLOSERS[tone]), rng))
        if tone == "angry" and rng.random() < 0.3:
            sentences[1] = sentences[1].upper()
        return [s for s in sentences if s], tone in ("angry", "weary")

    # -- everything else ------------------------------------------------------------------------
    def _non_complaint(self, style: str) -> Utterance:
        rng = self.rng
        if rng.random() < 0.06:
            reason, template = rng.choice(ANGRY_NOT_COMPLAINT)
        else:
            reasons, weights = zip(*REASON_WEIGHTS.items(), strict=True)
            reason = rng.choices(reasons, weights)[0]
            if style == "call" and reason == "spam":
                reason = "question"  # robocalls never reach the call-centre transcripts
            template = rng.choice(NON_COMPLAINTS[reason])
        text = lexicon.fill(template, rng)
        if style == "call":
            text = rng.choice(("I'm just ringing because, well, ", "Yeah hi, quick one. ", "")) + text
        if style == "web_form" and len(text) < 12:
            text = lexicon.fill(rng.choice(NON_COMPLAINTS["question"]), rng)
            reason = "question"
        return self._render(style, [text], angry=False, is_complaint=False, reason=reason)

    def _render(
        self,
        style: str,
        sentences: list[str],
        *,
        angry: bool,
        is_complaint: bool,
        category: str = "",
        reason: str = "",
        urgent: bool = False,
    ) -> Utterance:
        rng = self.rng
        turns: tuple[dict[str, str], ...] = ()
        prose = " ".join(s for s in sentences if s).strip()
        if style in ("sms", "whatsapp"):
            text = styles.sms(prose, rng) if style == "sms" else styles.social(prose, rng, angry=angry, mention=False)
        elif style == "x_mention":
            text = styles.tweet(prose, rng, angry=angry)
        elif style in ("facebook_comment", "instagram_comment"):
            text = styles.social(prose, rng, angry=angry, mention=rng.random() < 0.3)
        elif style in ("facebook_dm", "instagram_dm", "x_dm"):
            text = styles.social(prose, rng, angry=angry, mention=False)
        elif style == "web_form":
            text = styles.form(prose, rng)
        else:  # call
            turns = tuple(styles.transcript(sentences, rng))
            text = " ".join(t["text"] for t in turns if t["speaker"] == "customer")
        return Utterance(
            text=text or "hello",
            is_complaint=is_complaint,
            category=category,
            reason=reason,
            urgent=urgent,
            turns=turns,
        )
