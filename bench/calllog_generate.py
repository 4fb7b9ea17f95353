"""A generated canonical call-log file: N calls, transcripts of about 100 words, streamed to disk.

    python bench/calllog_generate.py OUT.jsonl [--calls 100000] [--seed 4]

About 40% of the calls are complaints (eight kinds), the rest questions, praise and chit-chat, each
built from interchangeable sentence parts so that no two transcripts are alike. Deterministic for a
seed. Written line by line: memory does not grow with N.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

GREETINGS = [
    "Thank you for calling Acme, my name is {agent}, how can I help you today?",
    "Good {part}, you're through to Acme customer services, {agent} speaking, what can I do for you?",
    "Hello, this is {agent} at Acme, thanks for holding, how can I help?",
]
COMPLAINTS = {
    "billing": [
        "I've been charged twice for my {month} bill, {amount} pounds went out on the {day} and again the next day.",
        "There is a direct debit of {amount} pounds on my statement that I never agreed to.",
        "My bill this month is {amount} pounds when it is normally about half that and nobody can explain why.",
    ],
    "delivery": [
        "My order {order} was marked as delivered on {weekday} but nothing ever arrived at my door.",
        "The parcel for order {order} is now {days} days late and the tracking has not moved since {weekday}.",
        "The courier left my order {order} in the rain and the box was soaked through and damaged.",
    ],
    "service_outage": [
        "My broadband has been down since {weekday} and I work from home, this is costing me money.",
        "The app keeps crashing every time I try to log in and I cannot pay anything.",
        "There has been no signal on my phone for {days} days and I have rung you three times already.",
    ],
    "product_quality": [
        "The kettle I bought {days} days ago has stopped working and the handle came off in my hand.",
        "The jacket from order {order} fell apart at the seams the second time I wore it.",
        "The washing machine you sold me leaks all over the kitchen floor on every wash.",
    ],
    "customer_service": [
        "I was promised a call back on {weekday} and nobody rang, this is the fourth time I've been let down.",
        "The person I spoke to yesterday was really rude and hung up on me halfway through.",
        "I have been on hold for over {minutes} minutes today and passed between four departments.",
    ],
    "account_access": [
        "I'm locked out of my account, the reset code never arrives and I cannot get in at all.",
        "Someone changed the email on my account and now I cannot log in to see my orders.",
    ],
    "fraud_security": [
        "There are {count} payments on my card to your company that I did not make, I think I've been scammed.",
        "I got a text pretending to be you asking for my bank details and now money has gone from my account.",
    ],
    "pricing_refunds": [
        "I returned order {order} {days} days ago and I still have not had my refund of {amount} pounds.",
        "You put my price up by {amount} pounds a month without telling me, that is not what I signed up for.",
    ],
}
COMPLAINT_ENDINGS = [
    "I want this sorted out today or I am cancelling.",
    "This is not good enough and I would like it put right.",
    "Honestly I am really fed up with the whole thing.",
    "Can you please fix this, I have wasted so much time already.",
]
QUESTIONS = [
    "Could you tell me what time the {city} store opens on {weekday}?",
    "I wanted to check whether you deliver to {city} and how long it usually takes.",
    "Do you have the {product} in a larger size, and can I reserve one?",
    "How do I change the address on my account before my next order?",
    "Is it possible to add a second person to my account so they can call you too?",
]
PRAISE = [
    "I just wanted to say the engineer who came out on {weekday} was brilliant and really polite.",
    "Your colleague {agent2} sorted everything out for me last week and I wanted to say thank you.",
    "The delivery came a day early and everything was perfect, really impressed.",
]
OTHER = [
    "I'm ringing on behalf of my mother who is a customer, she asked me to update her phone number.",
    "I think I dialled the wrong number, I was after the pharmacy next door, sorry about that.",
    "I'm just returning a missed call from this number, I'm not sure what it was about.",
]
SMALL_TALK = [
    "I've had an account with you for about {years} years now.",
    "I'm calling from work so I might have to go quickly.",
    "I did try the website first but could not find the answer.",
    "My reference is {order} if that helps you find me.",
]
AGENT_REPLIES = [
    "I'm sorry to hear that, let me pull up your account and have a look at what has happened there for you.",
    "Thanks for explaining, I can see the details on my screen now, give me one moment to check a few things.",
    "Okay, I understand, I'll make a note on your account and see what we can do about that straight away.",
]
CLOSINGS = [
    "Okay, thank you for your help.",
    "Right, thanks, I'll wait to hear from you then.",
    "Great, that's all I needed, bye.",
]
AGENT_CLOSINGS = [
    "You're welcome, is there anything else I can help with today? Have a lovely day.",
    "No problem at all, I've updated everything, thanks for calling Acme and goodbye.",
]
AGENTS = ["Jamal", "Priya", "Tom", "Aisha", "Marek", "Sian", "Li", "Owen"]
CITIES = ["Leeds", "Cardiff", "Glasgow", "Bristol", "Norwich", "Belfast"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
MONTHS = ["January", "February", "March", "April", "May", "June"]
PRODUCTS = ["winter coat", "desk lamp", "running shoes", "phone case"]


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        agent=rng.choice(AGENTS),
        agent2=rng.choice(AGENTS),
        part=rng.choice(["morning", "afternoon"]),
        month=rng.choice(MONTHS),
        amount=rng.randint(12, 480),
        day=rng.choice(["3rd", "4th", "12th", "28th"]),
        order=rng.randint(10_000, 99_999),
        weekday=rng.choice(WEEKDAYS),
        days=rng.randint(2, 21),
        minutes=rng.randint(20, 90),
        count=rng.randint(2, 6),
        city=rng.choice(CITIES),
        product=rng.choice(PRODUCTS),
        years=rng.randint(2, 15),
    )


def call(rng: random.Random, number: int, start: datetime) -> dict[str, object]:
    kind = rng.random()
    if kind < 0.40:
        category = rng.choice(list(COMPLAINTS))
        customer = [
            _fill(rng, rng.choice(COMPLAINTS[category])),
            _fill(rng, rng.choice(SMALL_TALK)),
            rng.choice(COMPLAINT_ENDINGS),
        ]
    else:
        pool = QUESTIONS if kind < 0.70 else PRAISE if kind < 0.85 else OTHER
        customer = [_fill(rng, rng.choice(pool)), _fill(rng, rng.choice(SMALL_TALK))]
    turns = [
        {"speaker": "agent", "text": _fill(rng, rng.choice(GREETINGS))},
        {"speaker": "customer", "text": " ".join(customer)},
        {"speaker": "agent", "text": rng.choice(AGENT_REPLIES)},
        {"speaker": "customer", "text": _fill(rng, rng.choice(SMALL_TALK))},
        {"speaker": "agent", "text": "Thanks, that is everything I need."},
        {"speaker": "customer", "text": rng.choice(CLOSINGS)},
        {"speaker": "agent", "text": rng.choice(AGENT_CLOSINGS)},
    ]
    at = start + timedelta(seconds=number * 3)
    return {
        "call_id": f"BENCH-{number:07d}",
        "timestamp": at.isoformat(),
        "call_duration": rng.randint(30, 900),
        "caller": f"+4477009{rng.randint(0, 99999):05d}",
        "agent": rng.choice(AGENTS).lower(),
        "queue": rng.choice(["Billing", "Deliveries", "Faults", "General"]),
        "transcript": turns,
    }


def generate(path: Path, *, calls: int, seed: int = 4) -> dict[str, float]:
    rng = random.Random(seed)
    start = datetime(2025, 10, 25, 8, 0, tzinfo=UTC)
    words = 0
    with open(path, "w", encoding="utf-8") as out:
        for number in range(calls):
            record = call(rng, number, start)
            turns: list[dict[str, object]] = record["transcript"]  # type: ignore[assignment]
            words += sum(len(str(t["text"]).split()) for t in turns)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return {"calls": calls, "mean_words": words / max(calls, 1), "bytes": path.stat().st_size}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    print(json.dumps(generate(args.out, calls=args.calls, seed=args.seed)))
