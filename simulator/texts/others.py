"""Messages that are not complaints, by the reason the classifier should give.

Some sound angry without complaining, some ask questions, some only praise: the traffic is
only realistic if a good share of it is like this.
"""

from __future__ import annotations

NON_COMPLAINTS: dict[str, tuple[str, ...]] = {
    "praise": (
        "Massive thanks to {staff} at the {place} store, sorted my problem in five minutes!",
        "Just wanted to say the new app is so much better, well done",
        "Parcel arrived a day early and beautifully packed, thank you",
        "Shoutout to the driver who waited while I found my keys, legend",
        "Best customer service I've had in years, {name} on the phone was brilliant",
        "Honestly impressed, refund was in my account the next morning",
        "The {item} is fantastic, exactly as described. Will buy again",
        "Thanks for fixing {service} so quickly last night",
        "Your {place} team went above and beyond today, please pass on my thanks",
        "10/10 would recommend, smooth from order to delivery",
    ),
    "question": (
        "Do you deliver to {place} on Sundays?",
        "What time does the {place} store close today?",
        "Can I change the delivery address on order {order}?",
        "Is the {item} compatible with the older model?",
        "How do I add someone to my account?",
        "What's the cut off for next day delivery?",
        "Do you price match?",
        "Are you hiring at the {place} branch?",
        "Can I pay by {payment}?",
        "Is there a student discount?",
        "How long does a refund normally take to show up?",
        "Where can I find my bill online?",
        "Hi, does the {item} come with a warranty?",
    ),
    "spam": (
        "CONGRATULATIONS! You've won a £1000 gift card. Claim now at {url}",
        "Earn £500 a day from home!!! DM me to find out how",
        "Follow me for crypto signals 🚀🚀 {url}",
        "Cheap followers and likes, 10k for £5, message now",
        "URGENT: your parcel is held, pay the £1.99 fee at {url}",
        "Hot singles in {place} want to meet you {url}",
        "I made {amount} in one hour with this trick {url}",
        "Get the best loan rates today, bad credit OK, reply YES",
    ),
    "joke": (
        "My cat just walked across the keyboard and ordered {n} {item}s. Respect to your checkout, it's very fast",
        "if {brand} was a vegetable it'd be a cute-cumber",
        "Me: I'll only buy one thing. Also me: {n} items in the basket",
        "Raging that my team lost again, anyway does anyone at {brand} support Villa",
        "the {item} is so good my husband wants to marry it, should I be worried",
        "who at {brand} writes the tweets, give them a pay rise 😂",
        "absolutely fuming that I've eaten all the biscuits I bought from you. no self control",
        "ok but why is your hold music actually a banger",
    ),
    "other": (
        "ok thanks",
        "Please ignore my last message, all sorted now",
        "STOP",
        "Sorry wrong number",
        "test",
        "👍",
        "Will do, speak soon",
        "My reference is {code}",
        "Yes that's fine",
        "Happy new year to all the staff!",
        "Thanks, got it",
    ),
}

# How the not-complaint share splits by reason; ordinary traffic is mostly questions and chat.
REASON_WEIGHTS: dict[str, float] = {"question": 0.32, "praise": 0.22, "other": 0.2, "joke": 0.13, "spam": 0.13}

# Angry tone, but no complaint against the company: the classic false positive.
ANGRY_NOT_COMPLAINT: tuple[tuple[str, str], ...] = (
    (
        "other",
        "SO angry right now, the bus was late AGAIN, not your fault, just needed to shout. "
        "Anyway thanks for the coffee",
    ),
    ("question", "Furious with the weather! Do you still do the rain covers for the pushchair?"),
    ("joke", "I hate you {brand}, I've spent all my wages in your sale 😂😂"),
)
