"""Slot fillers: the concrete details that make two messages about the same thing differ.

A template says "my {item} arrived {damage}"; these lists (and the small functions that draw
numbers, dates and amounts) decide what it actually says.
"""

from __future__ import annotations

import random
import string

BRAND = "Acme"
BRAND_HANDLES = ("@AcmeSupport", "@AcmeUK", "@acme_help", "@Acme")

ITEMS = (
    "kettle",
    "air fryer",
    "sofa",
    "phone case",
    "laptop bag",
    "washing machine",
    "router",
    "trainers",
    "winter coat",
    "baby monitor",
    "desk chair",
    "microwave",
    "blender",
    "duvet",
    "garden hose",
    "headphones",
    "tablet",
    "smart watch",
    "coffee machine",
    "vacuum cleaner",
    "school shoes",
    "mattress",
    "lamp",
    "hair dryer",
    "paint set",
    "dog bed",
    "printer",
    "SIM card",
    "fridge freezer",
    "bike helmet",
    "dining table",
    "set of saucepans",
)
DAMAGE = (
    "smashed",
    "with a cracked screen",
    "with half the parts missing",
    "already used",
    "in the wrong colour",
    "soaking wet",
    "with a massive dent in it",
    "the wrong size",
    "with no charger",
    "leaking",
    "scratched all over",
    "in a box that had been opened",
    "completely dead",
    "with someone else's name on the label",
    "broken in two places",
)
FAULTS = (
    "stopped working after {n} days",
    "trips the electrics every time I switch it on",
    "makes a grinding noise",
    "smells of burning",
    "won't hold a charge",
    "keeps restarting",
    "leaks all over the floor",
    "the stitching came apart",
    "the handle snapped off",
    "the screen flickers",
    "won't connect to anything",
    "overheats after ten minutes",
    "the zip broke the first time I used it",
    "the colour ran in the first wash",
)
COURIERS = ("the courier", "your driver", "DPD", "Evri", "the delivery guy", "Royal Mail", "the van driver")
PLACES = (
    "Leeds",
    "Croydon",
    "Cardiff",
    "Glasgow",
    "Bristol",
    "Norwich",
    "Belfast",
    "Milton Keynes",
    "Brighton",
    "Stockport",
    "Aberdeen",
    "Swindon",
    "Luton",
    "Exeter",
    "Derby",
    "Walsall",
)
FIRST_NAMES = (
    "Ann",
    "Priya",
    "Tom",
    "Kwame",
    "Zofia",
    "Liam",
    "Aisha",
    "Mohammed",
    "Chloe",
    "Dev",
    "Grace",
    "Oluwaseun",
    "Megan",
    "Hamza",
    "Ellie",
    "Connor",
    "Sinead",
    "Raj",
    "Beth",
    "Marek",
    "Fatima",
    "Jack",
    "Nia",
    "Ibrahim",
    "Holly",
    "Wojciech",
    "Sophie",
    "Callum",
    "Amara",
    "Yusuf",
)
SURNAMES = (
    "Smith",
    "Patel",
    "Mensah",
    "Nowak",
    "Murphy",
    "Khan",
    "Jones",
    "Okafor",
    "Evans",
    "Hughes",
    "O'Neill",
    "Begum",
    "Taylor",
    "Kowalski",
    "Ahmed",
    "Campbell",
    "Williams",
    "Adeyemi",
    "Reid",
)
STAFF = ("Jade", "Kev", "Sam", "the manager", "a woman called Lou", "Darren", "your agent", "Mo", "Tanya")
SERVICES = ("broadband", "the app", "mobile data", "the website", "wifi", "my landline", "online banking", "TV box")
PAYMENT_WAYS = ("direct debit", "card", "Apple Pay", "PayPal", "bank transfer", "my credit card")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "yesterday", "last week")
EMOJI_ANGRY = ("😡", "🤬", "😤", "🙄", "😠", "💀", "🤦", "😒")
EMOJI_SAD = ("😢", "😭", "😞", "🥲", "😩")
EMOJI_HAPPY = ("🙏", "😊", "👏", "❤️", "🙌", "👍", "😂", "🥳", "✨")
HASHTAGS_ANGRY = ("#fail", "#customerservice", "#neveragain", "#shambles", "#ripoff", "#joke", "#sortitout")
HASHTAGS_NICE = ("#thankyou", "#greatservice", "#happycustomer", "#impressed")


def order_number(rng: random.Random) -> str:
    style = rng.randrange(4)
    if style == 0:
        return str(rng.randrange(10_000, 99_999))
    if style == 1:
        return f"ACM-{rng.randrange(100_000, 999_999)}"
    if style == 2:
        return f"#{rng.randrange(1_000_000, 9_999_999)}"
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(8))


def account_number(rng: random.Random) -> str:
    return f"{rng.randrange(10_000_000, 99_999_999)}"


def amount(rng: random.Random) -> str:
    pounds = rng.choice((4, 9, 12, 15, 19, 23, 30, 42, 49, 60, 75, 89, 120, 149, 210, 399))
    pence = rng.choice(("", ".99", ".50", f".{rng.randrange(10, 99)}"))
    return f"£{pounds}{pence}"


def count(rng: random.Random, low: int = 2, high: int = 9) -> int:
    return rng.randrange(low, high + 1)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def date_words(rng: random.Random) -> str:
    month = rng.choice(("Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"))
    return rng.choice((f"{ordinal(rng.randrange(1, 29))} {month}", f"{rng.randrange(1, 29)}/{rng.randrange(1, 13)}"))


def uk_mobile(rng: random.Random) -> str:
    # Ofcom's drama range 07700 900000-900999: realistic and never a real subscriber.
    return f"+447700900{rng.randrange(0, 1000):03d}"


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(SURNAMES)


def fill(template: str, rng: random.Random) -> str:
    """Replace every {slot} in a template with a fresh draw."""
    slots = {
        "item": lambda: rng.choice(ITEMS),
        "item2": lambda: rng.choice(ITEMS),
        "damage": lambda: rng.choice(DAMAGE),
        "fault": lambda: fill(rng.choice(FAULTS), rng),
        "courier": lambda: rng.choice(COURIERS),
        "place": lambda: rng.choice(PLACES),
        "staff": lambda: rng.choice(STAFF),
        "service": lambda: rng.choice(SERVICES),
        "payment": lambda: rng.choice(PAYMENT_WAYS),
        "day": lambda: rng.choice(DAYS),
        "date": lambda: date_words(rng),
        "order": lambda: order_number(rng),
        "account": lambda: account_number(rng),
        "amount": lambda: amount(rng),
        "amount2": lambda: amount(rng),
        "n": lambda: str(count(rng)),
        "nth": lambda: ordinal(count(rng, 2, 6)),
        "hours": lambda: str(rng.choice((2, 3, 4, 5, 6, 8, 12, 24, 36, 48, 72))),
        "minutes": lambda: str(rng.choice((20, 35, 40, 45, 50, 55, 70, 90, 120))),
        "name": lambda: rng.choice(FIRST_NAMES),
        "brand": lambda: BRAND,
        "code": lambda: f"{rng.randrange(100_000, 999_999)}",
        "url": lambda: (
            rng.choice(("bit.ly/", "tinyurl.com/", "cutt.ly/", "t.ly/"))
            + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(6))
        ),
    }
    out = template
    for _ in range(12):  # templates nest at most a few levels; bounded all the same
        start = out.find("{")
        if start < 0:
            break
        end = out.find("}", start)
        if end < 0:
            break
        key = out[start + 1 : end]
        value = slots[key]() if key in slots else key
        out = out[:start] + value + out[end + 1 :]
    return out
