"""Phrase banks for the example study: codebook, survey comments and interview talk.

Data only (plus the tiny ``fill`` helper). ``{slot}`` placeholders are filled from ``SLOTS``.
Banks are keyed by ``(code, polarity)``; the polarity is ``"pos"`` or ``"neg"``.
"""

from __future__ import annotations

import re

import numpy as np

# --- codebook ---------------------------------------------------------------------------------
# (code, parent, description); parents first. Coders apply the children and use a parent only
# when the talk fits the category but none of its children.
CODEBOOK: list[tuple[str, str | None, str]] = [
    (
        "systems",
        None,
        "Talk about the platform's place in the customer's HR tech stack (ATS, HRIS, payroll, SSO, "
        "API) that is not about fragmentation, e.g. a connector that works or setting one up.",
    ),
    (
        "fragmented_systems",
        "systems",
        "Data and work split across tools that do not talk to each other: missing or broken "
        "ATS/HRIS sync, re-keying or copy-pasting records, exporting spreadsheets between systems.",
    ),
    (
        "service",
        None,
        "Support, onboarding and training experiences that are neither about response speed nor "
        "about the account manager, e.g. help articles or an onboarding session.",
    ),
    (
        "slow_support",
        "service",
        "Support that is slow or does not resolve the problem: long waits, tickets left open, "
        "canned replies, repeated escalations.",
    ),
    (
        "account_manager",
        "service",
        "The relationship with a named or dedicated account/customer-success manager, positive "
        "or negative (responsiveness, turnover, proactive check-ins).",
    ),
    (
        "talent",
        None,
        "The hiring process in general when none of the talent children fits, e.g. hiring volume "
        "or how the team splits recruiting work.",
    ),
    (
        "search_experience",
        "talent",
        "Finding and shortlisting candidates on the platform: search, filters, matching, "
        "shortlists, positive or negative.",
    ),
    (
        "candidate_quality",
        "talent",
        "Whether candidates match the brief: skills, seniority, vetting, interview pass rates, "
        "positive or negative.",
    ),
    (
        "time_to_hire",
        "talent",
        "How long hiring takes from opening a role to a signed offer or start date, including "
        "comparisons of speed with agencies or other channels.",
    ),
    (
        "commercial",
        None,
        "Prices, invoices and contracts with the platform when not a surprise, e.g. clear "
        "pricing or a neutral description of the plan.",
    ),
    (
        "pricing_surprises",
        "commercial",
        "Unexpected or unclear charges: hidden fees, invoices that differ from the quote, "
        "price changes at renewal, currency or per-country fees.",
    ),
    (
        "cross_border_compliance",
        "commercial",
        "Employment law, contracts, tax, payroll or misclassification when hiring in other "
        "countries, whether the platform helps or not.",
    ),
]

# --- slots ------------------------------------------------------------------------------------
SLOTS: dict[str, list[str]] = {
    "ats": [
        "our ATS",
        "Greenhouse",
        "Workday",
        "SuccessFactors",
        "the HRIS",
        "BambooHR",
        "our HR system",
        "Lever",
        "Personio",
        "our payroll system",
    ],
    "rekey": ["re-key", "re-enter", "copy-paste", "retype", "manually enter"],
    "record": [
        "candidate details",
        "offer data",
        "every new hire",
        "contract details",
        "start dates",
        "the same data",
        "salary info",
    ],
    "tools": [
        "five different tools",
        "three systems",
        "a pile of spreadsheets",
        "too many tabs",
        "four logins",
    ],
    "wait": ["three days", "a week", "over a week", "48 hours", "days", "two weeks"],
    "ticket": ["ticket", "support request", "case", "simple question"],
    "am": ["account manager", "customer success manager", "CSM", "account rep"],
    "am_name": ["Sarah", "Daniel", "Ines", "Tom", "Rafael", "Anika", "Grace"],
    "roles": [
        "software engineers",
        "data analysts",
        "designers",
        "sales reps",
        "support agents",
        "developers",
        "product managers",
        "finance people",
    ],
    "country": [
        "Germany",
        "Brazil",
        "India",
        "the Philippines",
        "Poland",
        "Mexico",
        "Japan",
        "Canada",
        "Spain",
        "Singapore",
        "Colombia",
        "Vietnam",
        "Kenya",
        "Portugal",
    ],
    "long": ["months", "ten weeks", "forever", "over two months", "90+ days", "eight weeks"],
    "hires": ["five", "ten", "twenty", "thirty", "a dozen"],
    "short": ["two weeks", "under a month", "ten days", "three weeks"],
}

# --- survey comments --------------------------------------------------------------------------
COMMENTS: dict[tuple[str, str], list[str]] = {
    ("fragmented_systems", "neg"): [
        "We have to {rekey} {record} into {ats}.",
        "Nothing syncs with {ats}, so we {rekey} everything.",
        "Integration with {ats} is basically nonexistent.",
        "Our data already lives in {tools} and the platform adds one more.",
        "No proper integration with {ats}, lots of manual work.",
        "The {ats} connector breaks every few weeks and we end up exporting CSVs.",
        "Too many systems that don't talk to each other.",
        "Having to {rekey} {record} in two places wastes time and causes errors.",
        "It doesn't connect to {ats}, which makes reporting a nightmare.",
        "Fragmented workflow: search here, offers in {ats}, contracts by email.",
        "We keep {record} in sync by hand because there is no real integration.",
    ],
    ("slow_support", "neg"): [
        "Support takes {wait} to answer a {ticket}.",
        "Tickets sit open for {wait} with no update.",
        "Slow support, and the first answer is usually a canned reply.",
        "When something breaks nobody picks up; we waited {wait} for a fix.",
        "Support is slow and keeps asking for the same screenshots.",
        "Chat support disappears outside US hours.",
        "Had to escalate twice before anyone looked at our {ticket}.",
    ],
    ("account_manager", "pos"): [
        "Our {am} {am_name} is fantastic and always follows up.",
        "Great {am}, really understands our hiring plans.",
        "{am_name}, our {am}, made onboarding painless.",
        "The account team is responsive and proactive.",
        "Having a dedicated {am} makes all the difference.",
        "Our {am} checks in every month and actually gets things fixed.",
    ],
    ("account_manager", "neg"): [
        "We've had three different account managers in a year.",
        "Our {am} rarely replies to emails.",
    ],
    ("search_experience", "pos"): [
        "Search is fast and the filters are spot on.",
        "Finding {roles} in {country} takes minutes.",
        "Really easy to find {roles} anywhere.",
        "The search filters (skills, timezone, rate) save us hours.",
        "Easy to search and shortlist.",
        "Love how quickly we can build a shortlist of {roles}.",
    ],
    ("search_experience", "neg"): [
        "Search filters are clunky and miss obvious matches.",
        "Searching for {roles} returns a lot of irrelevant profiles.",
        "Hard to filter by timezone or language.",
        "The search keeps resetting when you go back a page.",
    ],
    ("candidate_quality", "pos"): [
        "Candidates are consistently strong.",
        "The {roles} we hired have been excellent.",
        "Most candidates we interview are a real fit.",
        "Great talent pool, especially for {roles}.",
        "Vetted candidates mean fewer wasted interviews.",
    ],
    ("candidate_quality", "neg"): [
        "Too many candidates don't match the brief.",
        "Profiles look good but the skills don't hold up in interviews.",
        "Candidate quality dropped this year.",
        "We interview a lot of {roles} who aren't senior enough.",
    ],
    ("time_to_hire", "pos"): [
        "We filled two roles for {roles} in {short}.",
        "Our time-to-hire went down a lot.",
        "Hiring is much faster than with agencies.",
    ],
    ("time_to_hire", "neg"): [
        "It still takes {long} to close a hire.",
        "Hiring is slow from shortlist to signed offer.",
        "Offers take too long to go out.",
    ],
    ("pricing_surprises", "neg"): [
        "Unexpected fees on the invoice.",
        "Pricing is confusing, we got charged for seats we didn't use.",
        "Hidden costs for contracts in {country}.",
        "The invoice never matches the quote.",
        "Pricing changed at renewal without warning.",
        "Currency conversion fees nobody told us about.",
        "Hard to forecast costs, every month the bill is different.",
    ],
    ("cross_border_compliance", "pos"): [
        "Hiring in {country} without our own entity was straightforward.",
        "They handle contracts and payroll compliance in {country} for us.",
        "Compliance across countries is handled really well.",
        "Local contracts for {country} were ready in a day.",
    ],
    ("cross_border_compliance", "neg"): [
        "Compliance in {country} is still on us, the platform gives no guidance.",
        "Contract templates don't fit {country} labour law.",
        "We got different answers about tax rules in {country}.",
        "Misclassification risk in {country} worries our legal team.",
    ],
    ("generic", "pos"): [
        "Great platform overall.",
        "Does exactly what we need.",
        "Very happy with the service so far.",
        "Would recommend it to other HR teams.",
        "Solid product, our recruiters like it.",
    ],
    ("generic", "mid"): [
        "It's fine for what we need.",
        "Does the job, nothing special.",
        "Some things are good, some not.",
        "Okay overall but room to improve.",
        "Decent, but we're still evaluating it.",
    ],
    ("generic", "neg"): [
        "Not worth the money for us right now.",
        "We are looking at alternatives.",
        "Too many small frustrations add up.",
        "Not what we were promised in the demo.",
    ],
}

# Openers by (NPS group, polarity of the first theme); one ending in ":" or "but" runs on.
OPENERS: dict[tuple[str, str], list[str]] = {
    ("detractor", "neg"): [
        "Honestly, it's been frustrating.",
        "Not great.",
        "Disappointed so far.",
        "Main issue for us:",
        "Where to start.",
    ],
    ("detractor", "pos"): ["To be fair,"],
    ("passive", "neg"): ["Mostly fine, but", "It's okay, but", "Mixed feelings."],
    ("passive", "pos"): ["It's okay.", "Good in parts."],
    ("promoter", "neg"): ["Love the product overall, but", "Only one gripe:"],
    ("promoter", "pos"): ["Love it.", "Really happy with it.", "Big fan.", "Great experience."],
}
CLOSERS: dict[str, list[str]] = {
    "detractor": [
        "Fix this and we might stay.",
        "We're reviewing the contract.",
        "Can't recommend it as it is.",
    ],
    "passive": ["Would be a 9 if that improved.", "Getting there.", "Keep improving."],
    "promoter": ["Keep it up!", "Already recommended it to two peers.", "Thanks team."],
}

# --- interviews -------------------------------------------------------------------------------
QUESTIONS: dict[str, list[str]] = {
    "intro": [
        "Thanks for making time, {name}. As mentioned, we record for research only and quotes "
        "are anonymised. Could you start by telling me about your role?",
        "Hi {name}, thanks for joining. Before we start: this is recorded for research and "
        "nothing is attributed to you. What does your role look like day to day?",
        "Great to meet you, {name}. To set the scene, can you tell me a bit about your job and "
        "your team?",
    ],
    "process": [
        "Can you walk me through how a typical hire works for you, from opening a role?",
        "How does your hiring process usually run, end to end?",
        "Tell me about the last role you filled. What happened, step by step?",
    ],
    "search": [
        "How do you find candidates on the platform?",
        "Let's talk about search. What's it like to look for people on the platform?",
        "When you're building a shortlist, how does the search work for you?",
    ],
    "candidates": [
        "And the candidates themselves, how well do they match what you need?",
        "How would you describe the quality of the candidates you see?",
        "What about the people you end up interviewing, are they a fit?",
    ],
    "integrations": [
        "How does the platform fit with your other systems, like your ATS or HRIS?",
        "Which other HR tools do you use alongside it, and how do they connect?",
        "Tell me about integrations. What happens to the data once you make a hire?",
    ],
    "support": [
        "Have you needed help from support? How did that go?",
        "Tell me about the last time you contacted support or your account team.",
        "What has your experience with support and account management been like?",
    ],
    "pricing": [
        "How do you feel about pricing and invoicing?",
        "Let's talk about cost. Is it clear what you pay for?",
        "How predictable is what you pay each month?",
    ],
    "compliance": [
        "You hire across countries. How does the platform help with compliance?",
        "What about contracts, tax and local labour law when you hire abroad?",
        "How do you handle compliance when you hire in a new country?",
    ],
    "recommend": [
        "In the survey you gave us a {nps} out of 10. What would make you recommend us?",
        "You scored us {nps} on recommending. What's behind that, and what would change it?",
        "Last question on the survey: you gave a {nps}. What would it take to make it a 10?",
    ],
    "close": [
        "That's everything from me. Thank you so much, {name}, this was really helpful.",
        "Great, we're at time. Thanks a lot for your honesty, {name}.",
        "Thank you, {name}. Anything else you'd like to add before we wrap up?",
    ],
}
PROBES: list[str] = [
    "Can you give me an example?",
    "Could you say a bit more about that?",
    "How does that compare with what you used before?",
    "Mm-hm. Tell me more about that.",
    "Why do you think that is?",
    "And how does that affect your team?",
    "Interesting. Anything else on that?",
    "What does that look like in practice?",
]
CONTRASTS: list[str] = ["That said,", "But to be fair,", "On the other hand,", "But"]
FILLERS: list[str] = ["Yeah, so", "Um,", "I mean,", "Honestly,", "Right, so", "Well,", "Hmm,"]

CITIES: dict[str, list[str]] = {
    "North America": ["Toronto", "Chicago", "Austin", "Denver", "Boston", "Seattle"],
    "EMEA": ["Berlin", "Amsterdam", "Dublin", "Madrid", "Warsaw", "Nairobi", "Lisbon"],
    "APAC": ["Singapore", "Sydney", "Bangalore", "Manila", "Tokyo", "Seoul"],
    "LATAM": ["São Paulo", "Mexico City", "Bogotá", "Buenos Aires", "Santiago"],
}
FIRST_NAMES: dict[str, list[str]] = {
    "North America": ["Megan", "Jordan", "Tyler", "Ashley", "Marcus", "Dana", "Kevin", "Laura"],
    "EMEA": ["Sophie", "Lukas", "Amara", "Henrik", "Chiara", "Olivier", "Fatima", "Niamh"],
    "APAC": ["Priya", "Wei", "Kenji", "Siti", "Arjun", "Mei", "Minji", "Rohan"],
    "LATAM": ["Camila", "Mateo", "Valentina", "João", "Lucía", "Diego", "Renata"],
}
ROLE_PHRASES: dict[str, list[str]] = {
    "Talent acquisition": [
        "I lead talent acquisition",
        "I'm a senior recruiter",
        "I run our recruiting team",
    ],
    "HR operations": [
        "I'm head of HR operations",
        "I manage HR ops",
        "I look after people operations",
    ],
    "Hiring manager": [
        "I'm an engineering manager",
        "I manage the data team",
        "I run a product team and hire for it",
    ],
    "Executive": ["I'm the COO", "I'm VP of People", "I'm one of the co-founders"],
}
SIZE_PHRASES: dict[str, str] = {
    "1-49": "a small startup of about {k} people",
    "50-249": "a company of around {k} people",
    "250-999": "a mid-sized firm, roughly {k} staff",
    "1000+": "a big group, over {k} employees",
}
SIZE_HEADCOUNT: dict[str, list[int]] = {
    "1-49": [20, 30, 40],
    "50-249": [80, 120, 200],
    "250-999": [300, 500, 800],
    "1000+": [1500, 4000, 12000],
}
CONTEXT: list[str] = [
    "We hire mostly {roles}, spread over a few countries.",
    "Most of our hiring is {roles}, and more and more of it is remote.",
    "This year we're growing the team, mainly {roles}.",
]
NEUTRAL: list[str] = [
    "We're growing the team this year, so volume is going up.",
    "It depends a bit on the quarter, to be fair.",
    "I'd have to check the exact numbers with my team.",
    "We also use referrals a lot, so the platform is one channel of several.",
    "That's been pretty consistent since we started.",
]

TALK: dict[tuple[str, str], list[str]] = {
    ("fragmented_systems", "neg"): [
        "Everything we do here we then {rekey} into {ats}, it's double work.",
        "The offer is made on the platform, but then we type {record} again in {ats}.",
        "We end up with {tools}, and nobody trusts which one is up to date.",
        "There's an export, but it's a CSV we clean by hand every Friday.",
        "Last month someone mistyped a start date when copying it over, and payroll was wrong.",
        "Our recruiters spend maybe half a day a week just moving data between systems.",
        "The connector to {ats} was promised at signing and it still isn't there.",
    ],
    ("systems", "pos"): [
        "We connected it to {ats} in the first week and it just syncs.",
        "The API is decent, our IT team set it up without much fuss.",
        "Single sign-on works, and new hires flow into {ats} automatically.",
        "The integration isn't fancy, but it does what we need.",
    ],
    ("slow_support", "neg"): [
        "I opened a {ticket} and waited {wait} before anyone replied.",
        "You get a canned answer first, then you have to explain it all again.",
        "We had to escalate through our {am} to get anything moving.",
        "Support works US hours, so from here we basically lose a day every time.",
        "The ticket got closed as solved when nothing was fixed.",
    ],
    ("account_manager", "pos"): [
        "Our {am}, {am_name}, is great and really knows our plans.",
        "{am_name} checks in every month and chases things internally for us.",
        "Honestly the {am} is the main reason we stayed.",
        "When we expanded to {country}, our {am} set up a call with the legal team the next day.",
    ],
    ("account_manager", "neg"): [
        "We've had three {am}s in a year, so every time we start from zero.",
        "Our {am} is friendly but doesn't follow up on anything.",
    ],
    ("service", "pos"): [
        "The onboarding sessions were really good, the team learned it fast.",
        "The help centre articles usually answer my questions.",
        "When I do write in, support is friendly and they solve it.",
    ],
    ("search_experience", "pos"): [
        "Search is probably the best part, the filters are spot on.",
        "I can find {roles} in {country} in a few minutes.",
        "The shortlist feature saves us a lot of back and forth.",
        "Filtering by timezone and language is exactly what we needed.",
    ],
    ("search_experience", "neg"): [
        "Search is clunky, you get a lot of irrelevant profiles.",
        "The filters reset every time you go back, which drives me crazy.",
        "Searching for {roles} with niche skills basically doesn't work.",
        "I end up using keyword tricks just to get decent matches.",
    ],
    ("talent", "mid"): [
        "We post the role, screen a shortlist, then two interview rounds and an offer.",
        "Recruiters source, the hiring manager interviews, and HR does the paperwork.",
        "We hire maybe {hires} people a quarter, so it's a steady pipeline.",
        "Usually it's a screening call, a task, and a final round with the team.",
    ],
    ("candidate_quality", "pos"): [
        "The candidates are strong, most of them pass our technical round.",
        "We've hired some excellent {roles} through it.",
        "Vetting is good, so we waste far fewer interviews than before.",
    ],
    ("candidate_quality", "neg"): [
        "A lot of profiles look good on paper but don't hold up in interviews.",
        "We see many {roles} who aren't senior enough for what we asked.",
        "Quality has dropped, maybe one in ten is a real fit.",
    ],
    ("time_to_hire", "pos"): [
        "We filled our last role in {short}, agencies took twice that.",
        "Time-to-hire is much better than before, honestly.",
        "From opening a role to an offer is usually {short} now.",
    ],
    ("time_to_hire", "neg"): [
        "It still takes us {long} from opening a role to a signed offer.",
        "Roles stay open too long, and we lose people to faster companies.",
        "The offer stage drags on, approvals go back and forth for weeks.",
    ],
    ("commercial", "pos"): [
        "Pricing is pretty clear, we know what we pay per hire.",
        "We're on the annual plan, it's fine and the invoice is easy to read.",
        "Cost is okay, comparable with what we paid agencies.",
    ],
    ("pricing_surprises", "neg"): [
        "The invoice never matches the quote, there's always some extra fee.",
        "We got charged per-country fees for {country} that nobody mentioned.",
        "At renewal the price went up and we only noticed on the invoice.",
        "Finance keeps asking me what the currency conversion charges are, and I can't tell them.",
    ],
    ("cross_border_compliance", "pos"): [
        "Hiring in {country} without an entity was easy, they handled the contracts.",
        "Payroll and tax in {country} are taken care of, which is a huge relief.",
        "Their local contract templates saved our legal team a lot of time.",
    ],
    ("cross_border_compliance", "neg"): [
        "When we hired in {country}, the compliance side was all on us.",
        "Nobody could tell us clearly how tax works for contractors in {country}.",
        "Our legal team worries about misclassification, and the platform doesn't help.",
        "The contract templates don't fit {country} labour law, so we rewrite them.",
    ],
}
# "What would make you recommend it": a fix for each pain point, a reason for each praise.
FIXES: dict[str, list[str]] = {
    "fragmented_systems": [
        "If it synced properly with {ats}, I'd recommend it tomorrow.",
        "Fix the integration, so we stop re-keying everything.",
    ],
    "slow_support": [
        "Faster support, really, answers in hours not {wait}.",
        "Support that actually solves the ticket the first time.",
    ],
    "pricing_surprises": [
        "No more surprises on the invoice.",
        "Pricing I can explain to finance without a spreadsheet.",
    ],
    "cross_border_compliance": ["Real help with compliance in countries like {country}."],
    "search_experience": ["Search that understands what we're looking for."],
    "candidate_quality": ["Better vetted candidates, fewer mismatches."],
    "account_manager": ["An account manager who stays longer than six months."],
}
PRAISES: dict[str, list[str]] = {
    "search_experience": ["I already recommend it, mainly because search is so quick."],
    "candidate_quality": ["The candidates, mostly. We've made great hires."],
    "account_manager": ["Our {am}, honestly. {am_name} makes it feel like a partnership."],
    "cross_border_compliance": ["It takes the compliance headache away when we hire abroad."],
    "systems": ["It fits into our stack, so there's no extra admin."],
    "time_to_hire": ["Speed. We hire in {short} instead of {long}."],
}


def lower_first(sentence: str) -> str:
    """Lower-case the first letter unless it starts with "I" or a person's name."""
    first = sentence.split(" ")[0].strip(",")
    if (
        sentence[:1].isupper()
        and first != "I"
        and not first.startswith("I'")
        and first not in SLOTS["am_name"]
    ):
        return sentence[0].lower() + sentence[1:]
    return sentence


_SLOT = re.compile(r"\{(\w+)\}")


def fill(template: str, rng: np.random.Generator, **fixed: str) -> str:
    """Fill ``{slot}`` placeholders: ``fixed`` values first, else a random choice from SLOTS."""

    def pick(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in fixed:
            return str(fixed[name])
        return str(rng.choice(SLOTS[name]))

    return _SLOT.sub(pick, template)
