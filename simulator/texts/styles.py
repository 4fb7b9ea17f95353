"""How each channel writes: SMS shorthand, social-media noise, tidy form prose, spoken transcripts."""

from __future__ import annotations

import random

from simulator.texts import lexicon

SMS_SHORTHAND = (
    ("you", "u"),
    ("your", "ur"),
    ("are", "r"),
    ("please", "pls"),
    ("thanks", "thx"),
    ("because", "cos"),
    ("tomorrow", "tmrw"),
    ("message", "msg"),
    ("people", "ppl"),
    ("before", "b4"),
    ("anyone", "any1"),
    ("really", "rly"),
    ("nothing", "nothin"),
    ("days", "dys"),
    ("with", "w/"),
    ("about", "abt"),
)

TYPO_SWAPS = (
    ("the", "teh"),
    ("received", "recieved"),
    ("definitely", "definately"),
    ("separate", "seperate"),
    ("your", "you're"),
    ("there", "their"),
    ("address", "adress"),
    ("delivery", "delivey"),
    ("tomorrow", "tommorow"),
    ("account", "acount"),
    ("which", "wich"),
    ("until", "untill"),
)

FILLERS = ("um", "erm", "so", "like", "you know", "basically", "yeah", "I mean", "right")
AGENT_LINES = (
    "Thank you for calling {brand}, you're speaking to {name}, how can I help?",
    "Can I take your name and postcode please?",
    "Okay, let me just pull that up for you.",
    "I'm really sorry to hear that.",
    "Bear with me one moment.",
    "I can see that on the system now.",
    "Is there anything else I can help with today?",
    "I'll raise that with the team for you.",
)


def _replace_words(text: str, pairs: tuple[tuple[str, str], ...], rng: random.Random, share: float) -> str:
    words = text.split(" ")
    table = dict(pairs)
    for i, word in enumerate(words):
        bare = word.strip(".,!?").lower()
        if bare in table and rng.random() < share:
            words[i] = word.lower().replace(bare, table[bare])
    return " ".join(words)


def typos(text: str, rng: random.Random, share: float = 0.25) -> str:
    text = _replace_words(text, TYPO_SWAPS, rng, share)
    if len(text) > 20 and rng.random() < 0.25:
        # One slipped key: two neighbouring letters swapped somewhere in the middle.
        i = rng.randrange(5, len(text) - 5)
        if text[i].isalpha() and text[i + 1].isalpha():
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def sms(text: str, rng: random.Random) -> str:
    text = _replace_words(text, SMS_SHORTHAND, rng, 0.6)
    if rng.random() < 0.5:
        text = text.lower()
    if rng.random() < 0.4:
        text = text.replace(". ", " ").rstrip(".")
    if rng.random() < 0.3:
        text = typos(text, rng)
    return text[:640]  # four segments is about what people send


def social(text: str, rng: random.Random, *, angry: bool, mention: bool) -> str:
    parts = []
    if mention:
        parts.append(rng.choice(lexicon.BRAND_HANDLES))
    parts.append(text if rng.random() < 0.7 else text.lower())
    if rng.random() < 0.5:
        parts.append(rng.choice(lexicon.EMOJI_ANGRY if angry else lexicon.EMOJI_HAPPY) * rng.choice((1, 1, 2, 3)))
    if rng.random() < 0.3:
        parts.append(rng.choice(lexicon.HASHTAGS_ANGRY if angry else lexicon.HASHTAGS_NICE))
    out = " ".join(p for p in parts if p)
    if rng.random() < 0.25:
        out = typos(out, rng)
    return out


def tweet(text: str, rng: random.Random, *, angry: bool) -> str:
    out = social(text, rng, angry=angry, mention=True)
    return out if len(out) <= 280 else out[:277].rsplit(" ", 1)[0] + "…"


def form(text: str, rng: random.Random) -> str:
    # People who fill in a form write in sentences; some paste a whole letter.
    text = text[0].upper() + text[1:] if text else text
    if text and text[-1] not in ".!?":
        text += "."
    return text


def transcript(customer_sentences: list[str], rng: random.Random) -> list[dict[str, str]]:
    """A call as turns: the agent greets and prompts, the customer explains with spoken fillers."""
    turns = [{"speaker": "agent", "text": lexicon.fill(AGENT_LINES[0], rng)}]
    if rng.random() < 0.6:
        name = " ".join(lexicon.person(rng))
        turns.append({"speaker": "customer", "text": f"Hi, yeah, it's {name}."})
        turns.append({"speaker": "agent", "text": lexicon.fill(rng.choice(AGENT_LINES[1:4]), rng)})
    for sentence in customer_sentences:
        spoken = sentence
        if rng.random() < 0.5:
            spoken = f"{rng.choice(FILLERS).capitalize()}, {spoken[0].lower()}{spoken[1:]}" if spoken else spoken
        if rng.random() < 0.3:
            spoken = spoken.replace(", ", f", {rng.choice(FILLERS)}, ", 1)
        turns.append({"speaker": "customer", "text": spoken})
        if rng.random() < 0.6:
            turns.append({"speaker": "agent", "text": lexicon.fill(rng.choice(AGENT_LINES[2:]), rng)})
    turns.append(
        {"speaker": "customer", "text": rng.choice(("Okay, thanks.", "Right. Bye.", "Fine, thank you.", "Okay."))}
    )
    return turns
