"""Complaint material per category: what went wrong, what it cost the customer, what they want.

A complaint is assembled from a fact, sometimes a detail, an impact and an ask, in an order and
a tone that vary; the hard cases (sarcasm, politeness, praise with a sting, a question that is
really a complaint) have their own templates because they do not decompose that way.
"""

from __future__ import annotations

FACTS: dict[str, tuple[str, ...]] = {
    "billing": (
        "you've charged me twice for the same bill this month ({amount} both times)",
        "my {payment} went out on the {nth} AND the {nth}",
        "I cancelled on {date} and you're still taking money off me",
        "the bill says {amount2} but the contract was {amount} a month",
        "you took a payment from my account even though I paid by {payment} already",
        "got charged a late fee of {amount} when the payment went through on time",
        "my bill has jumped to {amount} with no explanation whatsoever",
        "there's a charge on my statement for a service I never signed up for",
        "the refund you promised has turned into ANOTHER charge",
        "my account shows I owe {amount} but I have the receipts showing I paid",
        "the direct debit failed because YOU changed the bank details on my account",
        "been billed for {n} months for a line that was disconnected",
    ),
    "service_outage": (
        "{service} has been down since {day}",
        "no {service} for {hours} hours now",
        "{service} keeps dropping out every {minutes} minutes",
        "the app crashes the second I open it",
        "your website won't let me log in, just a spinning wheel",
        "{service} is crawling, getting 0.5mbps when I pay for 500",
        "payment page throws an error every time I try to check out",
        "the app update wiped my saved addresses",
        "{service} has been going off every evening for {n} days",
        "no signal at all in {place} since the weekend",
        "the TV box just shows error E{n}0{n} and a black screen",
    ),
    "delivery": (
        "order {order} was marked as delivered but nothing came",
        "my parcel has been 'out for delivery' for {n} days",
        "{courier} left my {item} in the bin",
        "{courier} threw the box over the gate in the rain",
        "ordered a {item} and got a {item2} instead",
        "the delivery slot was {day} 8-12 and nobody turned up",
        "my order {order} is {n} days late and tracking hasn't moved",
        "half of order {order} is missing",
        "{courier} says he knocked but I was in all day and there's no card",
        "I paid for next day delivery and it's been a week",
        "the tracking link for {order} just says 'label created' since {date}",
        "you cancelled my order without telling me and kept the money",
    ),
    "product_quality": (
        "the {item} I bought {fault}",
        "my {item} arrived {damage}",
        "brand new {item} and it {fault}",
        "the {item} is nothing like the pictures, cheap and flimsy",
        "second {item} in a month that {fault}",
        "the {item} came {damage} and the replacement came {damage}",
        "your own-brand {item} {fault}, it's dangerous honestly",
        "the {item} started peeling after one week",
    ),
    "customer_service": (
        "I've been on hold for {minutes} minutes, TWICE",
        "{staff} at the {place} store was incredibly rude to me",
        "I was promised a call back within 24 hours, that was {n} days ago",
        "your chat agent just closed the chat on me mid conversation",
        "every time I ring I get passed to a different department",
        "{staff} laughed at me when I asked for a refund",
        "I've emailed {n} times and had zero replies",
        "was told three different things by three different people",
        "your staff in {place} refused to help and told me to 'go online'",
        "the complaints line just hangs up after the menu",
    ),
    "account_access": (
        "I'm locked out of my account and the reset email never arrives",
        "the verification code doesn't come through to my phone",
        "my account got closed for no reason",
        "I can't change my address, the page just errors",
        "your app keeps saying my password is wrong after I reset it {n} times",
        "someone else's details are showing on MY account",
        "can't log in since you forced the new 2-step thing",
        "my loyalty points ({n}00 of them) have vanished from my account",
    ),
    "fraud_security": (
        "there are {n} payments on my account I didn't make",
        "someone has ordered stuff on my account and sent it to {place}",
        "I got a text pretending to be you and now money's gone from my card",
        "my account was hacked and you did nothing when I reported it",
        "a transaction of {amount} I don't recognise went through last night",
        "someone changed my email address on the account without me knowing",
        "I reported a scam call using your name and nobody followed it up",
    ),
    "pricing_refunds": (
        "I returned the {item} on {date} and still no refund",
        "you've put my price up by {amount} mid contract",
        "the voucher you sent me doesn't work anywhere",
        "the price at the till was {amount2} not the {amount} on the shelf",
        "refund was approved {n} weeks ago and I still haven't got it",
        "I was charged {amount} to cancel, nobody mentioned that fee",
        "the 'free' upgrade has added {amount} to my bill",
        "you refused my refund because I didn't have the box",
    ),
    "other": (
        "the car park at the {place} store is a death trap, no lights at all",
        "your ads keep showing up even though I've opted out of everything",
        "I keep getting marketing emails after unsubscribing {n} times",
        "the toilets at the {place} branch have been out of order for weeks",
        "your lorry blocks our street every single morning",
    ),
}

DETAILS: tuple[str, ...] = (
    "Order ref {order}.",
    "Account number {account}.",
    "I've got screenshots of everything.",
    "This is the {nth} time I've had to contact you about this.",
    "I rang on {day} and was told it would be sorted.",
    "Your chat bot was no help at all.",
    "I've been a customer for {n} years.",
    "Reference number {code}.",
    "Spoke to {staff} who said someone would ring me back.",
)

IMPACTS: tuple[str, ...] = (
    "I work from home so this is costing me money.",
    "I had to take a day off work to wait in.",
    "I'm now overdrawn because of this.",
    "It was a birthday present and now it's ruined.",
    "My elderly mum relies on this.",
    "I can't pay my bills without it.",
    "That's my food shopping money gone.",
    "I've wasted hours of my life on this.",
    "My kids have no internet for school.",
    "I'm disabled and can't keep going into the store.",
)

ASKS: tuple[str, ...] = (
    "I want a full refund.",
    "Please sort this out today.",
    "I want my money back, simple as that.",
    "Can someone actually call me back this time?",
    "I'd like a replacement sent out ASAP.",
    "Fix it or I'm cancelling.",
    "I expect compensation for this.",
    "Please escalate this to a manager.",
    "Just tell me when it'll be fixed.",
    "Refund the {amount} please.",
)

ESCALATIONS: tuple[str, ...] = (
    "If this isn't sorted by {day} I'm going to the ombudsman.",
    "I'll be reporting this to Trading Standards.",
    "I'm taking my business elsewhere.",
    "Next step is small claims court.",
    "I'm leaving after {n} years, done.",
    "I'll be contacting my solicitor.",
)

OPENERS: dict[str, tuple[str, ...]] = {
    "polite": (
        "Hi there,",
        "Hello,",
        "Good morning,",
        "Hi, hope you can help.",
        "Sorry to bother you but",
        "Hi team,",
        "Dear {brand},",
    ),
    "angry": (
        "Absolutely disgusted.",
        "Unbelievable.",
        "This is a joke.",
        "Are you kidding me?",
        "Honestly what is wrong with you lot.",
        "I am FURIOUS.",
        "Worst company ever.",
    ),
    "weary": (
        "Here we go again.",
        "Third message about this.",
        "Still waiting.",
        "Sigh.",
        "Not this again.",
        "Once more, since nobody reads these:",
    ),
    "plain": ("", "", ""),
}

CLOSERS: dict[str, tuple[str, ...]] = {
    "polite": ("Thanks in advance.", "Many thanks.", "Kind regards.", "Thank you.", "Cheers."),
    "angry": ("Disgraceful.", "Sort it out.", "Never again.", "Shocking.", "Pathetic."),
    "weary": ("Waiting.", "Again.", "Not holding my breath.", "Thanks for nothing."),
    "plain": ("", ""),
}

# The hard cases: whole messages, because sarcasm and politeness do not decompose into parts.
SARCASTIC: dict[str, tuple[str, ...]] = {
    "delivery": (
        "Love how my parcel has been to {place} and back twice. Great tour. Shame it never came to me.",
        "Wow, 'delivered' to my doorstep apparently. Must be an invisible {item}.",
        "Thanks {courier} for leaving my {item} in a puddle, really the personal touch.",
    ),
    "service_outage": (
        "Cool, {service} down again. Really loving the {hours} hour digital detox you're giving me.",
        "Nothing says premium service like no {service} for the {nth} evening running.",
    ),
    "billing": (
        "Oh brilliant, charged twice. Very generous of me to pay you double I suppose.",
        "Nice to see my bill went up {amount} for the privilege of worse service.",
    ),
    "customer_service": (
        "{minutes} minutes of hold music. At least the music's good I guess.",
        "Great to be promised a call back for the {nth} time. Any year now.",
    ),
    "product_quality": ("What a bargain, a {item} that {fault}. Really built to last.",),
}

POLITE_ONLY: tuple[str, ...] = (
    "Hello, I'm sorry to bother you. I think there may be a mistake on my last bill, I appear to have "
    "been charged {amount} twice. Would you mind having a look when you get a chance? Thank you.",
    "Hi, hope you're well. My order {order} hasn't arrived yet and it was due on {day}. I don't want to "
    "be a pain but could you check where it is? Many thanks.",
    "Good afternoon. Just to let you know the {item} I bought last week {fault}. Would it be possible "
    "to arrange a replacement? Kind regards.",
)

PRAISE_WITH_STING: tuple[tuple[str, str], ...] = (
    ("delivery", "Your staff in {place} are lovely but the delivery was {n} days late and the {item} came {damage}."),
    ("customer_service", "The product is great, shame your customer service is non-existent. {minutes} mins on hold."),
    ("billing", "Love the app, but you've charged me {amount} twice and nobody will refund it."),
    ("service_outage", "Usually really reliable, but {service} has been down since {day} and nobody can tell me why."),
)

QUESTION_COMPLAINTS: tuple[tuple[str, str], ...] = (
    ("delivery", "Why does my tracking say delivered when there's nothing here?? Order {order}"),
    ("billing", "How can you justify charging me {amount} for a month I didn't even have service?"),
    ("pricing_refunds", "When exactly am I getting the refund you promised on {date}?"),
    ("customer_service", "Is anyone actually going to ring me back or shall I just give up?"),
    ("account_access", "How am I meant to log in when the code never arrives??"),
    ("service_outage", "Is {service} ever coming back or should I switch provider?"),
)

URGENT_EXTRAS: tuple[str, ...] = (
    "The {item} sparked and there was smoke, it could have set the house on fire.",
    "I'm vulnerable and have no heating because of this.",
    "I'm going to the ombudsman and my solicitor if I don't hear back today.",
    "My card has been used fraudulently and the money is still leaving my account.",
)
