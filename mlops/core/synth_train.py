"""Offline synthetic generator for the TRAINING set.

Compositional: each intent has scenarios made of parts (lead, body, detail, ask), each part a
template with nested alternatives ``{a|b|}`` and vocabulary slots ``<slot>``. A message is the
parts of one scenario, optionally shuffled, sometimes with a conversational start ("Quick
question -") or an intent-neutral aside, then roughened by a style (polished / casual / messy:
contractions, fragments, typos, autocorrect slips, abbreviations, ALL CAPS urgency, run-ons) and
dressed by a channel (email greeting, signature and quoted reply, web-form fields, SMS brevity,
voicemail transcript with fillers and spoken numbers). The style mix depends on the channel (SMS
messiest, email cleanest) and averages ~40% polished / ~40% casual / ~20% messy.

Genres covered on purpose, besides practice messages: plain first-turn booking requests, bare
first-person symptom statements, and British hospital / GP feedback comments (A&E waits, staff
attitude, discharge, food, parking), with British phrasing spread over every intent so that it
is not a shortcut to "complaint".

The test generator (synth_test.py) is deliberately independent: its own templates, vocabularies,
abbreviation set and mechanics. Nothing here is shared with it, so a model trained on this data
and scored on that data is measured on generalisation, not on recall of one generator's style.

Labels follow ../shared/design/TAXONOMY.md, including its disambiguation rules; the boundary
cases are generated on purpose (the scenarios commented "Rule N" below).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from clarioscope.taxonomy import CHANNELS, INTENTS
from mlops.core.data import Example

# --------------------------------------------------------------------------------------------
# Template engine: "{a|b|}" picks one alternative (empty = optional), "<slot>" draws from VOCAB.
# Templates are compiled once; rendering is a walk over the compiled tree.
# --------------------------------------------------------------------------------------------

_Node = str | tuple[str, object]
_Seq = list[_Node]

_COMPILED: dict[str, _Seq] = {}


def _parse(text: str, i: int, stops: str) -> tuple[_Seq, int]:
    seq: _Seq = []
    buf: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch in stops:
            break
        if ch == "{":
            if buf:
                seq.append("".join(buf))
                buf = []
            alternatives: list[_Seq] = []
            i += 1
            while True:
                sub, i = _parse(text, i, "|}")
                alternatives.append(sub)
                if i >= len(text):
                    raise ValueError(f"unclosed '{{' in template: {text!r}")
                if text[i] == "|":
                    i += 1
                    continue
                i += 1
                break
            seq.append(("alt", alternatives))
        elif ch == "<":
            end = text.index(">", i)
            if buf:
                seq.append("".join(buf))
                buf = []
            seq.append(("slot", text[i + 1 : end]))
            i = end + 1
        else:
            buf.append(ch)
            i += 1
    if buf:
        seq.append("".join(buf))
    return seq, i


def _compile(template: str) -> _Seq:
    seq = _COMPILED.get(template)
    if seq is None:
        seq, _ = _parse(template, 0, "")
        _COMPILED[template] = seq
    return seq


SlotValue = Sequence[str] | Callable[[random.Random], str]

# Slots whose value stays the same within one message (one doctor, one patient, one child).
_STICKY = frozenset(
    {"doctor", "name", "kid", "practice", "med", "insurer", "procedure", "date", "surname"}
)


class _Renderer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.memo: dict[str, str] = {}

    def reset(self) -> None:
        self.memo = {}

    def render(self, template: str) -> str:
        return self._walk(_compile(template))

    def _walk(self, seq: _Seq) -> str:
        out: list[str] = []
        for node in seq:
            if isinstance(node, str):
                out.append(node)
                continue
            kind, payload = node
            if kind == "alt":
                alternatives = payload
                assert isinstance(alternatives, list)
                out.append(self._walk(self.rng.choice(alternatives)))
            else:
                assert isinstance(payload, str)
                out.append(self._slot(payload))
        return "".join(out)

    def _slot(self, name: str) -> str:
        if name in _STICKY and name in self.memo:
            return self.memo[name]
        source = VOCAB[name]
        value = source(self.rng) if callable(source) else self.render(self.rng.choice(source))
        if name in _STICKY:
            self.memo[name] = value
        return value


# --------------------------------------------------------------------------------------------
# Vocabulary (training generator only; synth_test.py has its own, disjoint for named entities).
# --------------------------------------------------------------------------------------------


def _amount(rng: random.Random) -> str:
    value = rng.choice([rng.randint(45, 400), rng.randint(120, 2400), rng.randint(25, 180)])
    if rng.random() < 0.25:
        return f"${value:,}.{rng.choice(['00', '50', '17', '80', '35'])}"
    return f"${value:,}"


def _small_amount(rng: random.Random) -> str:
    return f"${rng.choice([10, 15, 20, 25, 30, 35, 40, 50, 60, 75])}"


def _temp(rng: random.Random) -> str:
    whole = rng.choice([100, 101, 101, 102, 102, 103, 104])
    return f"{whole}.{rng.randint(1, 9)}" if rng.random() < 0.4 else str(whole)


def _phone(rng: random.Random) -> str:
    return f"{rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"


def _date(rng: random.Random) -> str:
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    style = rng.random()
    if style < 0.45:
        return f"{month}/{day}"
    months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    suffix = "th" if 10 < day < 14 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    if style < 0.8:
        return f"{months[month - 1]} {day}{suffix}"
    return f"{months[month - 1]} {day}"


def _dob(rng: random.Random) -> str:
    return f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{rng.randint(1948, 2006)}"


def _time(rng: random.Random) -> str:
    hour = rng.choice([8, 9, 9, 10, 10, 11, 1, 2, 2, 3, 3, 4])
    minute = rng.choice(["00", "15", "30", "30", "45"])
    meridian = "am" if hour >= 8 and hour != 12 and hour < 12 else "pm"
    form = rng.random()
    if form < 0.45:
        return f"{hour}:{minute}"
    if form < 0.8:
        return f"{hour}:{minute} {meridian}" if minute != "00" else f"{hour}{meridian}"
    return f"{hour} {meridian}" if minute == "00" else f"{hour}:{minute}{meridian}"


def _count(rng: random.Random) -> str:
    return rng.choice(["two", "three", "four", "five", "3", "4", "6", "several", "multiple"])


def _minutes(rng: random.Random) -> str:
    return str(rng.choice([5, 10, 10, 15, 15, 20, 25, 30]))


# fmt: off
VOCAB: dict[str, SlotValue] = {
    "doctor": [
        "Dr. Patel", "Dr. Nguyen", "Dr. Okafor", "Dr. Lindqvist", "Dr. Ramirez", "Dr. Chen",
        "Dr. Goldberg", "Dr. Adeyemi", "Dr. Kowalski", "Dr. Haddad", "Dr. Brennan",
        "Dr. Castillo", "Dr. Yamamoto", "Dr. Fischer", "Dr. Mensah", "Dr. O'Neill",
        "Dr. Sorensen", "Dr. Ivanova", "Dr. Bhatt", "Dr. Whitaker", "Dr. Delgado", "Dr. Park",
        "Dr. Abernathy", "Dr. Rossi", "Dr. Kaur", "Dr. Murphy", "Dr. Levin", "Dr. Osei",
        "Dr. Hargrove", "Dr. Tanaka",
    ],
    "clinician": [
        "<doctor>", "<doctor>", "the doctor", "my doctor", "the nurse", "the PA", "my provider",
        "the nurse practitioner", "the hygienist", "the physician",
    ],
    "name": [
        "Maria", "James", "Aisha", "Tom", "Priya", "Kevin", "Jessica", "Luis", "Hannah", "Omar",
        "Brittany", "Greg", "Mei", "Carlos", "Danielle", "Tyrone", "Sofia", "Matt", "Linda",
        "Ahmed", "Rachel", "Derek", "Yolanda", "Ethan", "Nicole", "Raj", "Becky", "Marcus",
        "Elena", "Steve", "Fatima", "Jon", "Keisha", "Paul", "Grace", "Victor", "Amber", "Sean",
        "Tammy", "Wei",
    ],
    "surname": [
        "Johnson", "Garcia", "Smith", "Lee", "Brown", "Martinez", "Wilson", "Taylor", "Thomas",
        "Moore", "Jackson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Young",
        "Allen", "King", "Wright", "Lopez", "Hill", "Scott", "Green", "Adams", "Baker",
    ],
    "practice": [
        "Riverside Family Medicine", "Lakeview Dental", "Brookside Pediatrics",
        "Summit Dermatology", "Cedar Grove Clinic", "Northgate Orthopedics",
        "Harbor Women's Health", "Pinecrest Primary Care", "Meadowbrook Dental Group",
        "Westfield Medical", "Oak Street Health Center", "Bayview ENT",
    ],
    "otherpractice": [
        "my old doctor's office", "my previous dentist", "Valley Health", "the clinic in Dayton",
        "my last pediatrician", "Kaiser", "my old practice back in Ohio", "the VA clinic",
        "a practice across town", "my previous GP",
    ],
    "area": [
        "the area", "Oakridge", "Maple Heights", "the north side", "downtown", "Fairview",
        "Millbrook", "the east end", "Cedar Falls", "Springdale", "your neighborhood",
    ],
    "city": [
        "San Jose", "Fresno", "Austin", "Denver", "Chicago", "Seattle", "Atlanta", "Phoenix",
        "Nashville", "Columbus", "Orlando", "Los Angeles", "Dallas", "Salt Lake City",
    ],
    "state": ["Texas", "Ohio", "Florida", "Michigan", "Arizona", "Georgia", "Oregon", "Jersey"],
    "provider_kind": [
        "family doctor", "primary care doctor", "dentist", "pediatrician", "dermatologist",
        "OB/GYN", "family dentist", "doctor for my kids", "GP", "primary care provider",
        "orthodontist", "eye doctor", "physical therapist",
    ],
    "service_kind": [
        "kids", "adults", "dental", "physical therapy", "skin checks", "prenatal care",
        "seniors", "teens",
    ],
    "insurer": [
        "Blue Cross", "Blue Cross Blue Shield", "Aetna", "Cigna", "UnitedHealthcare", "Humana",
        "Medicaid", "Kaiser", "BCBS", "United", "Delta Dental", "MetLife dental",
    ],
    "condition": [
        "asthma", "type 2 diabetes", "high blood pressure", "hypothyroidism", "eczema",
        "psoriasis", "migraines", "acid reflux", "sleep apnea", "IBS", "gout", "anemia", "acne",
        "arthritis", "seasonal allergies", "high cholesterol", "plantar fasciitis", "anxiety",
        "depression", "ADHD", "a thyroid problem", "back problems",
    ],
    "med": [
        "lisinopril", "metformin", "amoxicillin", "atorvastatin", "sertraline",
        "albuterol inhaler", "levothyroxine", "omeprazole", "prednisone", "cetirizine",
        "gabapentin", "amlodipine", "azithromycin", "losartan", "birth control",
        "Adderall", "insulin", "Zoloft", "Lipitor", "the antibiotic", "the steroid cream",
        "fluoxetine", "hydrochlorothiazide", "Keflex",
    ],
    "otc": [
        "ibuprofen", "Tylenol", "Advil", "Benadryl", "Claritin", "Mucinex", "melatonin",
        "vitamin D", "Pepto", "allergy medicine", "cough syrup", "Aleve",
    ],
    "procedure": [
        "cleaning", "filling", "physical", "blood work", "MRI", "x-ray", "colonoscopy",
        "mole removal", "flu shot", "ultrasound", "mammogram", "pap smear", "crown",
        "root canal", "allergy testing", "skin check", "strep test", "ear cleaning",
        "wart removal", "sports physical", "teeth whitening", "deep cleaning", "lab work",
        "well child visit", "vasectomy consult", "knee injection",
    ],
    "visit_type": [
        "a physical", "a check-up", "a follow-up", "a cleaning", "a consult", "an annual exam",
        "a well-child visit", "a sick visit", "a skin check", "a med check",
        "a blood pressure check", "a recheck", "a dental exam",
    ],
    "who": [
        "my son", "my daughter", "my husband", "my wife", "my mom", "my dad", "my 4 year old",
        "my baby", "my teenager", "my 2 kids", "my partner", "my grandson", "my toddler",
    ],
    "kid": [
        "my son", "my daughter", "my 3 year old", "my baby", "my 7 yo", "my little one",
        "my toddler", "my 10 year old", "our 6 month old", "my boy", "my girl",
    ],
    "day": [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "tomorrow",
        "next week", "this Thursday", "next Monday", "this Friday", "next Tuesday",
        "the 14th", "the 21st", "later this week", "early next week", "Wednesday afternoon",
        "Friday morning", "Monday morning",
    ],
    "when": [
        "<day>", "<day>", "<day> at <time>", "on <date>", "sometime <day>", "<day> morning",
        "as soon as possible", "this week", "in the next couple weeks", "<day> after <time>",
    ],
    "date": _date,
    "dob": _dob,
    "time": _time,
    "amount": _amount,
    "small_amount": _small_amount,
    "temp": _temp,
    "phone": _phone,
    "count": _count,
    "minutes": _minutes,
    "ago": [
        "two days ago", "3 days ago", "a week ago", "on Sunday", "yesterday", "last week",
        "a few days ago", "last night", "on Monday",
    ],
    "past_day": [
        "last Friday", "on Monday", "on Tuesday", "yesterday", "a few days ago", "last week",
        "on <date>", "this past Wednesday",
    ],
    "wound_procedure": [
        "mole removal", "wart removal", "root canal", "biopsy", "tooth extraction",
        "stitches", "knee injection", "skin tag removal", "ingrown toenail removal",
    ],
    "routine": [
        "cleaning", "physical", "mammogram", "pap smear", "flu shot", "skin check",
        "well child visit", "eye exam", "blood work", "annual",
    ],
    "since_when": [
        "Sunday", "Monday", "yesterday", "last night", "the weekend", "this morning",
        "last week", "Friday", "Tuesday night", "my trip",
    ],
    "duration": [
        "two days", "3 days", "a week", "since Sunday", "about 4 days", "since yesterday",
        "a few days", "two weeks", "since last night", "5 days", "over a week",
    ],
    "long_wait": [
        "over an hour", "an hour and a half", "2 hours", "almost two hours", "45 minutes",
        "three hours", "90 minutes",
    ],
    "body_part": [
        "knee", "back", "lower back", "shoulder", "neck", "ankle", "wrist", "hip", "foot",
        "elbow", "jaw", "stomach", "chest", "ear", "eye", "throat", "tooth", "heel", "hand",
        "side",
    ],
    "activity": [
        "walk", "bend over", "climb stairs", "lift my arm", "chew", "swallow", "breathe in",
        "stand up", "sit for too long", "run", "turn my head", "go to the bathroom",
    ],
    "feeling": [
        "dizzy", "lightheaded", "nauseous", "really weak", "shaky", "feverish", "exhausted",
        "off balance", "sick to my stomach", "achy all over",
    ],
    "symptom": [
        "a bad headache", "a fever", "a sore throat", "a rash on my arm",
        "a cough that won't go away", "ear pain", "stomach pain", "back pain",
        "a swollen ankle", "burning when I pee", "pink eye", "a toothache",
        "chest congestion", "diarrhea", "vomiting", "a sinus infection",
        "pain in my <body_part>", "swelling in my <body_part>", "a lot of wheezing",
        "numbness in my fingers", "blurry vision", "a rash that keeps spreading",
        "bad cramps", "a migraine that won't quit", "hives", "a bloody nose that keeps coming back",
    ],
    "side_effect": [
        "a rash", "bad nausea", "dizziness", "a dry cough", "swollen lips", "headaches",
        "heart racing", "stomach cramps", "trouble sleeping", "itching all over",
        "muscle aches", "diarrhea",
    ],
    "red_flag": [
        "chest pain", "trouble breathing", "shortness of breath", "my face is drooping",
        "throat feels like it's closing", "bleeding that won't stop",
        "the worst headache of my life",
        "I'm not feeling the baby move as much",
    ],
    "formtype": [
        "FMLA", "school physical", "sports physical", "disability", "work release",
        "camp health", "daycare", "DMV medical", "prior authorization", "life insurance",
    ],
    "records": [
        "medical records", "immunization records", "vaccine records", "x-ray images",
        "visit notes", "lab results", "shot records", "dental x-rays", "growth chart",
    ],
    "test": [
        "blood work", "lab", "urine test", "cholesterol panel", "A1C", "thyroid test",
        "x-ray", "MRI", "biopsy", "strep culture", "blood test",
    ],
    "lab": [
        "cholesterol", "A1C", "thyroid level", "vitamin D", "iron level", "blood count",
        "potassium", "liver panel", "kidney function", "vitamin B level",
    ],
    "pharmacy": [
        "CVS", "Walgreens", "Rite Aid", "the Walmart pharmacy", "Costco pharmacy",
        "the Kroger pharmacy", "my usual pharmacy", "the pharmacy on Main St",
    ],
    "specialist": [
        "cardiologist", "dermatologist", "orthopedist", "allergist", "ENT", "GI doctor",
        "neurologist", "physical therapy", "endocrinologist", "podiatrist",
    ],
    "staff": [
        "receptionist", "front desk lady", "front desk", "nurse", "woman at check-in",
        "billing person", "guy who answered the phone", "medical assistant", "office manager",
    ],
    "uk_place": [
        "A&E", "the GP surgery", "the surgery", "the ward", "outpatients", "the walk-in centre",
        "the hospital", "the urgent treatment centre", "the maternity unit", "the practice",
    ],
    "uk_relative": [
        "my mum", "my dad", "my nan", "my husband", "my wife", "my son", "my daughter",
        "my elderly father", "my partner", "my grandad",
    ],
}
# fmt: on


# --------------------------------------------------------------------------------------------
# Scenarios per intent. A scenario is a sequence of parts; a part is (probability, templates).
# "fixed" scenarios keep their order (rule 3: the becoming-a-patient signal leads).
# --------------------------------------------------------------------------------------------

Part = tuple[float, tuple[str, ...]]


class Scenario:
    __slots__ = ("fixed", "parts", "weight")

    def __init__(self, *parts: Part, fixed: bool = False, weight: float = 1.0) -> None:
        self.parts = parts
        self.fixed = fixed
        self.weight = weight


def P(prob: float, *templates: str) -> Part:
    return (prob, templates)


_ASK_CALLBACK = (
    "{Please|Can someone|Could someone} {call me back|give me a call}{ at <phone>|}.",
    "{Thanks|Thank you}{ so much| in advance|}!",
    "{Please|} let me know{ what I should do| what you need from me|}.",
    "{Thanks|Thank you} for your help.",
    "Call me back when you can.",
    "Any help is appreciated.",
)

NEW_PATIENT: tuple[Scenario, ...] = (
    Scenario(
        P(
            1.0,
            "{I'm|I am} {new to <area>|moving to <area> next month"
            "|looking for a new <provider_kind>}"
            " and {wanted to ask|was wondering} if {you're|you are|your practice is|<doctor> is}"
            " {accepting|taking} new patients{ right now| at the moment|}.",
            "Are you {currently |}{accepting|taking on|taking} new patients{ for <service_kind>|}?",
            "{How do I|What do I need to do to} {become a patient|register as a new patient"
            "|sign up as a new patient|get set up as a patient} {at your practice|with you"
            "|with <doctor>|}?",
            "Is <doctor> {still |}taking new patients?",
            "{My family and I|We|My husband and I} just moved {here|to <area>} {from <state>|}"
            " and {need|are looking for} a {new |}<provider_kind>.",
            "I'd like to {transfer my care|switch my family|become a patient} {to|at} your"
            " {practice|office|clinic}{ from <otherpractice>|}.",
            "I've never been {seen|to your office} before {but|and} {a friend|my coworker"
            "|my sister|my neighbor} recommended <doctor>.",
            "I'm {looking to|hoping to} establish care with a <provider_kind>{ near <area>|}.",
            "I {just got|recently got} <insurer> {through my new job|} and I'm looking for a"
            " <provider_kind> who {takes|accepts} it.",
        ),
        P(
            0.75,
            "{Do you take|Do you accept|Are you in network with} <insurer>?",
            "What {paperwork|forms|documents} {would I need|do I need to fill out|should I bring}"
            " for the first visit?",
            "{If so, |}{I'd like to|Can I|Could I} {schedule|book|get} {my|a} first"
            " {appointment|visit}{ once I'm registered| as soon as possible| sometime <day>|}.",
            "{How long is the wait|How far out are you booking} for new patients?",
            "I {have|was diagnosed with} <condition> {and need someone to manage it"
            "|so I'd need regular follow-ups|and my old doctor retired}.",
            "{Can my records be sent over|How do I get my records transferred} from"
            " <otherpractice>?",
            "{My kids are|My son is|My daughter is} {2|5|8|11|14} {if that matters"
            "|, do you see kids that age|}.",
            "Do you have any {female doctors|doctors who speak Spanish|evening hours"
            "|Saturday hours}?",
            "Is there a new patient {packet|form} I can fill out online?",
        ),
        P(0.35, *_ASK_CALLBACK),
        fixed=True,
        weight=3.0,
    ),
    # Rule 3: leads with becoming a patient, then asks for the first appointment.
    Scenario(
        P(
            1.0,
            "{Hi, |}I'm a new patient{ and| &|} {would like|want|need} to {book|schedule|make}"
            " my first appointment{ with <doctor>|}.",
            "I'd like to become a patient {with <doctor>|at your office} and {schedule|set up}"
            " {a first visit|an initial appointment|a new patient exam}.",
            "{We're|I'm} new {to <area>|in town} and {want|need} to {get established|register}"
            " {here|with you}, {can we|can I} get {a first appointment|in} {<when>|soon}?",
            "Looking to {become a new patient|join the practice}{ and get|, need} a new patient"
            " {appointment|visit} <when>.",
            "{I just moved|Just moved} here and {want|would like} to {register|sign up} as a"
            " patient. {When is your|What's the} next {new patient|first} opening?",
            "I've never been to your practice before and would like to {come in|be seen} for"
            " {a|my} first {check-up|visit|cleaning}.",
        ),
        P(
            0.5,
            "I have <insurer>.",
            "{Any day|Mornings|Afternoons} {work|works} {best|for me}.",
            "I {haven't had|haven't been to} a <provider_kind> in {years|a while|3 years}.",
            "{It|This} would be for me and {my kids|my wife|my husband}.",
        ),
        P(0.3, *_ASK_CALLBACK),
        fixed=True,
        weight=1.6,
    ),
    Scenario(
        P(
            1.0,
            "{Hi|Hello}, are you {guys |}accepting new patients?",
            "new patient here, how do I sign up",
            "{looking for|need} a new <provider_kind>, are you taking anyone {new|on}?",
            "do you take new patients with <insurer>",
            "I'd like to register with the {practice|surgery|GP}, I've just moved to the area.",
            "{How can|Can} I join {your|the} practice {list|as a patient}?",
            "{is|Is} <doctor> accepting new {patients|families}",
            "want to switch to your office from <otherpractice>",
            "Can I become a patient at <practice>?",
            "Do you see new patients {for <service_kind>|on <insurer>|}?",
        ),
        weight=1.8,
    ),
)

EXISTING_PATIENT: tuple[Scenario, ...] = (
    Scenario(
        P(
            0.3,
            "I'm a patient of <doctor>.",
            "I {saw|was seen by} <clinician> {last week|on <date>|a few weeks ago}.",
            "{My name is <name> <surname>|This is <name> <surname>} and I'm an existing patient.",
        ),
        P(
            1.0,
            "{Can|Could} {I|you} {get|send} {a copy of |}my <records>"
            " {sent to <otherpractice>|for school|for my new job|for camp|}?",
            "I need {a form|my <formtype> form} {filled out|signed} by <doctor>{ for work"
            "| for school| by <day>|}.",
            "I {can't log in to|am locked out of|forgot my password for} the patient portal"
            "{, can you reset it|, can someone help|}.",
            "How do I {see my lab results|message <doctor>|update my address|update my insurance}"
            " {in|on} the portal?",
            "I need a refill {on|of} my <med>{, I have <count> pills left| before I run out"
            "| please|}.",
            "Can you send my <med> {refill|prescription} to <pharmacy>?",
            "{Are|Did} my <test> results {back|come in}{ from <date>| yet|}?",
            "Has my referral to {a|the} <specialist> been {sent|approved} yet?",
            "Can I get a {note|letter} for {work|school} saying I was seen on <date>?",
            "I switched to <insurer>, {can you update my file|where do I send my new card"
            "|do you need a copy of the card}?",
            "{Where|How} can I find my {visit summary|after visit summary|care plan}?",
            "Can you fax my <records> to <otherpractice>?",
        ),
        P(0.35, *_ASK_CALLBACK),
        weight=3.0,
    ),
    # Rule 4: a medical question with no active symptom stays existing_patient_question.
    Scenario(
        P(
            0.35,
            "{Quick question|Question for <clinician>|Non urgent question}{:| -|.}",
            "I'm on <med> {from <doctor>|for my <condition>|}.",
            "I was {just |}prescribed <med> {by <doctor>|yesterday|last week}.",
        ),
        P(
            1.0,
            "Can I take <otc> {with|while I'm on} the <med>?",
            "Is it {okay|ok|safe} to {drink alcohol|have a glass of wine|exercise|travel"
            "|get the flu shot|get the covid booster} while {I'm|I am} on <med>?",
            "Should I take my <med> {in the morning or at night|with food or without"
            "|before or after breakfast}?",
            "Do I need to fast before my <test> on <day>?",
            "When should I {stop taking|restart} my <med> {before|after} my <procedure>?",
            "I saw my <test> results on the portal and {had a question about|didn't understand}"
            " {one of the numbers|the cholesterol number|my A1C|what the flags mean}.",
            "{Is there a generic|Is there a cheaper version} of <med> I could {ask|switch} for?",
            "I missed a dose of <med> {yesterday|this morning}, should I {double up|just skip it}?",
            "How long {should|do} I {keep taking|stay on} the <med>?",
            "Does <doctor> want me to {keep|stop} the <med> {after|before} my next visit?",
        ),
        P(
            0.8,
            "{No problems|I feel fine|No symptoms|Everything is fine}, just {checking|asking"
            "|wanted to double check}.",
            "{I feel totally fine|Nothing is wrong}, {just curious|I just want to be sure}.",
            "Not urgent at all.",
            "No rush{ on this|}.",
        ),
        weight=2.2,
    ),
    # STAR-style follow-ups about instructions from a past visit.
    Scenario(
        P(
            1.0,
            "I {forgot|can't remember} what <doctor> said about {my <med> dose"
            "|how long to wear the brace|when to come back|the stitches|my diet}.",
            "What were <doctor>'s instructions {after my last visit|for after my <procedure>"
            "|about my <med>}?",
            "I'd like to {check|follow up on} the {instructions|notes} from my {visit|appointment}"
            " with <doctor>{ on <date>|}.",
            "{Can you tell me|Could you check} what <doctor> {wanted me to do|recommended}"
            " after my {appointment|<procedure>}?",
            "I had {my|a} <procedure> {last week|on <date>} and wanted to know {when I can"
            " shower|when I can go back to the gym|if I need a follow up}. {All good so far"
            "|Healing fine}.",
            "Did <doctor> ever {send|put in} the {order|prescription} we talked about?",
        ),
        P(0.3, *_ASK_CALLBACK),
        weight=1.6,
    ),
    Scenario(
        P(
            1.0,
            "need a refill on my <med>",
            "please send my <med> to <pharmacy>",
            "are my lab results back",
            "portal {wont|won't} let me log in",
            "can I get a copy of my <records>",
            "question about my <med>",
            "I need my <formtype> form signed",
            "did you get the fax from <otherpractice>",
            "I'd like to know my doctor's instructions from my last appointment.",
            "What did the doctor say about my test results?",
        ),
        weight=1.5,
    ),
)

APPOINTMENT: tuple[Scenario, ...] = (
    Scenario(
        P(
            1.0,
            "I {need|would like|want} to {make|book|schedule} an appointment {with <doctor>"
            "|for <who>|for myself|}{ <when>|}.",
            "Can I {get|come in for} <visit_type> {<when>|}?",
            "{Do you have|Is there} anything {open|available} <when>{ with <doctor>|}?",
            "I'd like to bring {in |}<who> {in |}for {a|their} {checkup|physical|shots|well visit}"
            " <when>.",
            "<doctor> wanted me to come back in {two weeks|a month|6 weeks}{ for a follow-up|},"
            " can I book that?",
            "Can you put me on the {waitlist|cancellation list} for anything {sooner|earlier}"
            "{ with <doctor>|}?",
            "I'm due for my {<routine>|six month cleaning|annual physical}, {what do you have"
            "|can I get in} <when>?",
            "I need to see a {dentist|doctor} <when>{ if possible|}.",
            "Can you help me {find|book} a {dentist|doctor} appointment <when>?",
            "I need an appointment {with <doctor>|with the dentist} {for my <procedure>|}.",
        ),
        P(
            0.45,
            "{Mornings|Afternoons|Anything after 3|Any time before noon} {work|works} best.",
            "I can {only do|do} <day>.",
            "{It's|This is} for {a|my} {follow-up|recheck|<procedure>}.",
            "I'm an existing patient{ of <doctor>|}.",
            "My date of birth is <dob>.",
        ),
        P(0.35, *_ASK_CALLBACK),
        weight=3.0,
    ),
    Scenario(
        P(
            1.0,
            "I need to {reschedule|move|change} my appointment {on|for} <when>{ with <doctor>|}.",
            "Something came up {at work|with my kids|with my car} and I can't make my <time>"
            " {on <day>|tomorrow}.",
            "{Please|I need to|Can you} cancel my appointment {for|on} <when>.",
            "I have to cancel <who>'s appointment <day>{, they're out of town|}.",
            "Can we push my <procedure> to {later in the day|next week|<day>}?",
            "I'm not going to make it <day>, can we {reschedule|find another time}?",
        ),
        P(
            0.5,
            "{Would|Could} <day> {work instead|be possible}?",
            "Anything <day> {works|is fine}.",
            "Sorry for the short notice.",
            "{Please|} let me know {what's open|what times you have}.",
        ),
        weight=2.2,
    ),
    Scenario(
        P(
            1.0,
            "I'm running {about |}<minutes> minutes late for my <time> appointment{, is that ok"
            "|, sorry|}.",
            "{Stuck|I'm stuck} in traffic, {be there|I'll be there} in <minutes> {min|minutes}.",
            "{Just |}confirming my appointment {on|for} <when>{ at <time>|}.",
            "Is my appointment <day> at <time> or <time>?",
            "What time is my appointment {on <day>|tomorrow|next week}?",
            "{Yes|Confirm}{,|} {I'll be there|we'll be there|confirmed} for <day>.",
            "Can you {tell me|check} when my next appointment is?",
        ),
        P(0.3, "Thanks.", "Sorry!", "Thank you!"),
        weight=1.6,
    ),
    Scenario(
        P(
            1.0,
            "I need to make an appointment with <doctor>.",
            "I need an appointment {<when>|}",
            "Can I book an appointment {with <doctor>|} for <day>?",
            "I'd like to see <doctor> <when>.",
            "need to reschedule <day>",
            "cancel my appointment <day> please",
            "Book me in with a dentist <day>.",
            "I want to schedule a {check-up|checkup|cleaning} <when>.",
            "running late be there in <minutes>",
            "Do you have any openings <day>?",
        ),
        weight=2.0,
    ),
)

BILLING: tuple[Scenario, ...] = (
    # Rule 5: charges for services already received.
    Scenario(
        P(
            0.35,
            "I {have|had} a question about a {bill|statement|charge}.",
            "{I'm looking at|I just got} my statement{ from <date>|}.",
            "This is regarding {my|<who>'s} {visit|<procedure>} on <date>.",
        ),
        P(
            1.0,
            "I got a bill for <amount> for my visit on <date>{ but| and} {I thought <insurer>"
            " covered it|my copay is only <small_amount>|I already paid at the front desk}.",
            "Can you explain the {charge|statement|bill} {I received|that came in the mail} for"
            " {my|the} <procedure>{ on <date>| last month|}?",
            "I was charged twice for {the same visit|my <procedure>}{ on <date>|}.",
            "Can I set up a payment plan for my balance of <amount>?",
            "I {need|am waiting on} a refund for {an overpayment|the <amount> I paid twice"
            "|a credit on my account}.",
            "My EOB from <insurer> says I owe <amount> but {your|the} statement says <amount>.",
            "Why was my claim {denied|rejected}{ by <insurer>|}?",
            "Did you bill <insurer> for my <procedure>? {The statement|My bill} says"
            " {it was never submitted|it was out of network|I owe the full <amount>}.",
            "I {already|} paid {the|my} bill {online|over the phone} but {still got a past due"
            " notice|the balance still shows <amount>}.",
            "Can I get an itemized {bill|statement|receipt} for {my visit on <date>"
            "|<who>'s visit|my HSA|my FSA}?",
            "What is {this|the} <amount> charge {from <date>|on my statement|for lab fees}?",
            "How do I pay my bill{ online| over the phone|}? {The account number is"
            " {48|71|90}{1|3|7}{22|58|64}|}",
            "{My|The} statement {shows|has} a {facility fee|late fee|charge} I don't understand.",
            "{Insurance|<insurer>} paid their part{ of the <procedure>|}, so why do I still owe"
            " <amount>?",
        ),
        P(
            0.4,
            "{My|The} account number is {on the statement|{48|71|90}{1|3|7}{22|58|64}}.",
            "I {have|had} <insurer> at the time.",
            "{Can|Could} you {check|look into it}{ please|}?",
            "I want to make sure I'm not paying twice.",
        ),
        P(0.3, *_ASK_CALLBACK),
        weight=3.2,
    ),
    Scenario(
        P(
            1.0,
            "billing question call me back",
            "got a bill for <amount> {but|and} no idea what it's for",
            "{why|Why} {did I get|do I have} a bill for <amount>",
            "can i do a payment plan",
            "need an itemized receipt for my <procedure>",
            "charged twice for my visit on <date>",
            "is my balance paid off",
            "So I got this bill{ for <amount>| from <date>|}...",
            "{the|The} <amount> {charge|bill} from <date>{, what is it|?}",
            "I need a copy of my receipt for my <procedure>.",
        ),
        weight=1.6,
    ),
)

CLINICAL: tuple[Scenario, ...] = (
    Scenario(
        P(
            1.0,
            "{I've had|I have had|I've got|I have} <symptom> for <duration>{ and it's getting"
            " worse| and it's not getting better| now|}.",
            "<kid> has {had |}a fever of <temp>{ since <since_when>| for <duration>|}{ and"
            " {won't eat|is really fussy|is throwing up|has a rash}|}.",
            "I started <med> <ago> and {now|since then} I've had <side_effect>"
            "{, should I stop taking it|}.",
            "Since my <wound_procedure> <past_day>, {the site|my incision|the area}"
            " {is red and swollen"
            "|has been bleeding|is oozing|is hot to the touch}.",
            "My <condition> is {flaring up|getting worse|out of control}{ and my <med> isn't"
            " helping|}.",
            "I {twisted|hurt|sprained|jammed} my <body_part> {yesterday|this morning|<day>}"
            " and {it's really swollen|I can't put weight on it|it's turning purple}.",
            "{My|<who>'s} <body_part> {has been hurting|hurts} {for <duration>|since <since_when>}"
            "{ and it's keeping me up at night|}.",
            "I think {I have|I've got} {an ear infection, my ear is killing me|strep, my throat"
            " is so sore|a UTI, it burns when I pee|pink eye, my eye is red and crusty|the flu,"
            " I ache everywhere|a sinus infection, my face hurts}.",
            "I think <kid> has {an ear infection|strep|pink eye|the flu|hand foot and mouth},"
            " {they keep|she keeps|he keeps} {pulling at their ear|crying|scratching}.",
            "My blood {sugar|pressure} {has been|was} {really high|over 180|170 over 105"
            "|really low} {this morning|all week}.",
            "I'm having <red_flag>{ right now| since this morning|}.",
        ),
        P(
            0.55,
            "{I also have|There's also|Plus} <symptom>.",
            "{Tylenol|Advil|<otc>} {isn't helping|hasn't done anything|helps a little}.",
            "I'm {worried|scared|not sure} {it's infected|it's getting worse|what to do}.",
            "{It|The pain} is {a 7 out of 10|pretty bad|getting worse at night}.",
            "I {have|take} <condition> {if that matters|}.",
        ),
        P(
            0.6,
            "Should I {come in|go to urgent care|go to the ER|wait it out}?",
            "Can {a nurse|<clinician>|someone} call me back{ today| ASAP|}?",
            "{What should I do|Is this normal|Do I need to be seen}?",
            "Please advise.",
        ),
        weight=3.4,
    ),
    # Figure-Eight-like bare first-person symptom statements, no channel dressing needed.
    Scenario(
        P(
            1.0,
            "My <body_part> hurts when I <activity>.",
            "I feel <feeling> and my head is {pounding|spinning|killing me}.",
            "I {have|got} a {rash|red rash|bumpy rash|itchy rash} on my {arm|neck|back|legs|face}"
            "{ that keeps spreading| that itches like crazy|}.",
            "I can't stop {coughing|throwing up|sneezing|shaking}.",
            "There's a {lump|bump|swelling|hard spot} on my <body_part>{ that wasn't there"
            " before|}.",
            "I {cut|burned} my {hand|finger|arm} {cooking|at work} and it {won't stop bleeding"
            "|looks infected|is blistering}.",
            "My {stomach|tummy} {hurts|is cramping} {really bad|after I eat|all the time}.",
            "I feel {really |}<feeling>{ all the time| when I stand up|}.",
            "I have a {sharp|dull|stabbing|burning} pain in my <body_part>.",
            "My {ears are|ear is} ringing and {it hurts|I can't hear well}.",
            "I've been {feeling|very} <feeling> {since <since_when>|for <duration>}.",
            "My {eyes are|eye is} {red and itchy|swollen|crusted shut}.",
            "{It hurts|It burns} when I <activity>.",
            "I {think|feel like} I'm {getting|coming down with} something, {fever|chills} and"
            " {body aches|a sore throat}.",
            "My <body_part> {is swollen|feels stiff|keeps cramping}.",
            "I'm {short of breath|wheezing} {when I walk|at night|climbing stairs}.",
        ),
        P(0.25, "{What should I do|Help|Is this serious}?", "{Please help|Not sure what to do}."),
        weight=2.4,
    ),
)

COMPLAINT: tuple[Scenario, ...] = (
    Scenario(
        P(
            1.0,
            "I {waited|sat in the waiting room} for <long_wait> {past my appointment time|today"
            "|on <date>} and {nobody told me anything|no one apologized|then got rushed out}.",
            "The <staff> was {extremely rude|dismissive|condescending|so unprofessional} {to me"
            "|to my mother|to my kid} {on <date>|today|when I called}.",
            "{I've called|I have called} <count> times {about|regarding} {my results|my refill"
            "|a callback|my referral} and {nobody|no one} {has called me back|returns my calls}.",
            "You cancelled my appointment {the morning of|an hour before|the day before}"
            "{ for the second time|} and I {took the day off work|drove 40 minutes|got a sitter}"
            " for nothing.",
            "<doctor> {barely looked at me|rushed through my appointment|didn't listen to a word"
            " I said} and I left {with no answers|feeling worse than before}.",
            "I'm {really |very |extremely |}{unhappy|disappointed|frustrated|upset} with how"
            " {I was treated|my mother was treated|my visit went|your office handles things}.",
            "{Nobody|No one} {at your office|there} {seems to care|knows what they're doing}.",
        ),
        P(
            0.6,
            "This is {ridiculous|unacceptable|not okay|the worst experience I've had}.",
            "{I'm|I am} {considering|seriously thinking about} {leaving the practice|switching"
            " doctors|leaving a review|reporting this}.",
            "{I want|I'd like} to speak to the {practice manager|office manager|person in charge}.",
            "{I expect|I want} {an apology|a call back today|someone to fix this}.",
            "{Been|I've been} a patient for {6|10|12|15} years and {I've never been treated like"
            " this|this is how I'm treated}.",
        ),
        weight=3.0,
    ),
    # Rule 1: complaint dominates when a medical concern, bill or scheduling failure is present.
    Scenario(
        P(
            1.0,
            "I've been {sick|in pain} with <symptom> for <duration> and {nobody|no one}"
            " {has called me back|will give me an appointment|has even looked at my messages}.",
            "{This is the third time|I'm so frustrated,} {I've been billed|you've sent me a bill}"
            " for <amount> {that insurance already paid|for a visit I cancelled|that was your"
            " mistake}.",
            "My <kid> had a fever of <temp> and your {nurse line|office|after hours line} {never"
            " called back|hung up on me|told me to just wait}.",
            "{I've|I have} been trying to {reschedule|get an appointment|cancel} for {two weeks"
            "|a month|days} and {the phone just rings|nobody picks up|I keep getting voicemail}.",
            "{Unbelievable|Seriously}, I got sent to collections for <amount> {even though|when}"
            " I {paid it|was told it was covered}{ months ago|}.",
            "{Still|STILL} {no answer|waiting} about my {x-ray|MRI|biopsy|lab results} after"
            " <duration>, {this is|it's} {unacceptable|ridiculous}.",
            "My <med> prescription {was sent to the wrong pharmacy|never got sent} {again|twice}"
            " and now I'm {out of it|without my meds} {because of your office|}.",
            "I was in so much pain {and|but} the {front desk|receptionist} {refused to|wouldn't}"
            " squeeze me in{ and was rude about it|}.",
            "{You|Your office} double booked my appointment and I {waited|sat there} <long_wait>"
            " to be told {to come back another day|the doctor left}.",
        ),
        P(
            1.0,
            "This is {terrible|awful|unacceptable} {care|service}.",
            "I'm {furious|fed up|done with this practice}.",
            "{Fix this|Somebody needs to fix this}.",
            "{I want|I'd like} to {file a complaint|speak to a manager}.",
            "How is this {okay|acceptable}?",
        ),
        weight=2.6,
    ),
    # NHS-style hospital / surgery complaints in British English (the FFT genre).
    Scenario(
        P(
            1.0,
            "Waited {6|7|8|nearly 9} hours in A&E {with my son|with a broken wrist"
            "|with <uk_relative>"
            "} and {nobody|no-one} {apologised|kept us informed|came to check on us}.",
            "Staff on the ward were {rude|unhelpful|far too busy to help|dismissive}{ to"
            " <uk_relative>|}.",
            "{<uk_relative> was|I was} discharged {without any|with no} {information|explanation"
            "|medication|follow-up plan}.",
            "The food on the ward was {cold|inedible|awful|the same every day}.",
            "{Parking is a nightmare|Parking costs a fortune|Couldn't find anywhere to park}"
            "{ and the machines don't work|}.",
            "{The|An} ambulance took {3|4|5} hours to arrive for <uk_relative>.",
            "{Could not|Couldn't} get through to the surgery on the phone{ for days|}, {on hold"
            "|in a queue} for <minutes> minutes{ every morning|}.",
            "{The|A} receptionist at <uk_place> was {unhelpful|rude|abrupt} and wouldn't book me"
            " in.",
            "Poor communication between {departments|staff|the hospital and my GP}.",
            "{Waiting time was|The wait was} {far too long|too long|ridiculous}{ and nobody"
            " explained why|}.",
            "Staff could be {more friendly|more polite|more caring}{ and less abrupt|}.",
            "Felt {rushed|ignored|not listened to} by the {doctor|nurse|consultant}.",
            "{Not enough|Too few} staff{ on the ward| in A&E|}, {buzzers went unanswered"
            "|patients left waiting|nobody had time}.",
            "The {toilets|ward|waiting room} {were filthy|was dirty|wasn't cleaned}.",
            "111 {told me to go to A&E|sent me to the walk-in centre} and then {I waited hours"
            "|they sent me home} {for nothing|without being seen}.",
            "{My|The} appointment was cancelled {twice|at short notice} and {no-one|nobody}"
            " {rang to apologise|explained why}.",
        ),
        P(
            0.45,
            "{Very|Really} {disappointed|poor experience|poorly organised}.",
            "Not the standard of care I {expect|expected} from the NHS.",
            "Staff {seemed|were} {disorganised|overwhelmed} and {nobody took responsibility"
            "|communication was poor}.",
            "{Wouldn't|Would not} recommend.",
            "Someone should {apologise|look into this}.",
        ),
        weight=2.0,
    ),
    Scenario(
        P(
            1.0,
            "still no answer about my {x-ray|results|referral}",
            "worst customer service {ever|I've ever had}",
            "your front desk is so rude",
            "waited <long_wait> {for nothing|and left}",
            "nobody ever calls back {smh|ugh|}",
            "{the|The} {nurse|receptionist} was {really|so} rude to me today",
            "I want to make a complaint",
            "very unhappy with my visit",
            "Terrible experience{ today|}{, never coming back|}.",
        ),
        weight=1.5,
    ),
)

PRICE_SHOPPER: tuple[Scenario, ...] = (
    # Rules 2 and 5: prices of services not yet received, even from someone new or insured.
    Scenario(
        P(
            0.35,
            "{I don't have insurance|I'm uninsured|My insurance has a high deductible"
            "|I'm between insurance plans}{, so| and}{ I'm| I am} {shopping around|comparing"
            " prices|trying to figure out costs}.",
            "{I'm|I am} {not a patient yet|new to the area}{ and| but} {just|} want to know"
            " {prices|costs} first.",
            "{Just|} comparing prices {before I commit|before I decide|at a few places}.",
        ),
        P(
            1.0,
            "How much {is a <procedure>|does a <procedure> {cost|run}}{ without insurance"
            "| for self-pay| if I pay cash|}?",
            "What do you charge for <visit_type>{ for new patients| without insurance|}?",
            "Do you have {a cash price|self-pay rates|a price list}{ for <procedure>|}?",
            "How much would a <procedure> be with <insurer>{, roughly|}?",
            "Is there a discount for paying {upfront|in cash|in full}?",
            "{Ballpark|Rough} {cost|price|estimate} for {a|an} <procedure>?",
            "What's the {fee|cost|price} for a new patient {exam|visit|consult}{ without"
            " insurance|}?",
            "How much is {an office visit|a visit|a sick visit} {if I don't have insurance"
            "|for self pay|out of pocket}?",
            "What would {teeth whitening|a crown|a filling|a mole removal|an MRI} {cost|run me}"
            "{ at your office|}?",
            "Do you offer {any |}{package|membership|sliding scale} {pricing|prices}{ for"
            " <procedure>|}?",
        ),
        P(
            0.4,
            "{Not|I'm not} ready to {book|schedule} yet{, just need a number|}.",
            "{Just|} trying to {budget|plan ahead}.",
            "{I'm|I am} getting quotes from a few {places|offices}.",
            "{A rough number|A range} is fine.",
        ),
        weight=3.0,
    ),
    Scenario(
        P(
            1.0,
            "how much for a <procedure>",
            "{cash|self pay} price for <procedure>?",
            "what do you charge for a {cleaning|physical|visit}",
            "price of a new patient {visit|exam} without ins?",
            "how much is {an office visit|a consult} out of pocket",
            "{Do|do} you have prices {listed|online}?",
            "cost of <procedure> without insurance",
            "Quick question — how much is a <procedure>?",
        ),
        weight=1.5,
    ),
)

# More scenarios per intent: UK practice/NHS phrasing spread over every intent (so British
# spelling is not a shortcut to "complaint"), plain first-turn requests with no channel dressing,
# and the boundary cases of TAXONOMY.md written out on purpose.

NEW_PATIENT_MORE: tuple[Scenario, ...] = (
    Scenario(
        P(
            1.0,
            "Are you taking on new {NHS|private|} patients{ at the moment| for dental|}?",
            "{I'd like|I want} to register {myself and <who>|my family|} with {the|your} GP"
            " {surgery|practice}{, we've just moved to <area>|}.",
            "{Is the practice list open|Is your list open} for new patients{ in <area>|}?",
            "{Can|Could} I sign up with {your|this} {practice|clinic|office} as a new patient?",
            "{We're|I'm} {thinking of switching|looking to switch} to {your|this} practice"
            " {from <otherpractice>|}, {are you accepting anyone new|is there room for us}?",
            "{Do you accept|Are you accepting} new patients {on|with} <insurer>?",
            "I {haven't been seen|have never been seen} at {your practice|<practice>} and"
            " {would like|want} to become a {new |}patient{ of <doctor>|}.",
        ),
        P(
            0.5,
            "{What|Which} {documents|ID} {do I need|should I bring} to register?",
            "{Is there|Do you have} an online {registration|new patient} form?",
            "I'd {also |}{like|want} to {book|get} {a new patient check|an initial"
            " appointment|my first visit} {once I'm registered|after that|}.",
            "I have <condition> and {need|will need} {regular check-ups|ongoing care}.",
            "We {live|are} {just|} {around the corner|in <area>|nearby}.",
        ),
        P(0.25, *_ASK_CALLBACK),
        fixed=True,
        weight=2.0,
    ),
)

EXISTING_PATIENT_MORE: tuple[Scenario, ...] = (
    Scenario(
        P(
            1.0,
            "{I need|Can I order|Can I request} a repeat prescription {for|of} my <med>.",
            "Has my repeat prescription {been sent|gone} to {the chemist|<pharmacy>} yet?",
            "Can I get a {fit note|sick note|doctor's note} {for work|for my employer} {please|}?",
            "Have my blood test results come back{ from <date>| yet|}?",
            "{Could|Can} the GP {look at|review} my {medication|repeat prescriptions} {at"
            " some point|when they have a minute}?",
            "I need to {update|change} my {address|phone number|email|emergency contact} on"
            " file{, I moved|}.",
            "Did <doctor> {get|see} the {results|report|letter} from the <specialist>?",
            "I need a {copy|printout} of my {care plan|visit instructions|discharge instructions}.",
        ),
        P(0.35, "{Nothing urgent|No rush}.", "I'm fine{, just need it for my records|}."),
        weight=1.6,
    ),
    # Follow-up instructions and notes from a past visit, asked in plain words.
    Scenario(
        P(
            1.0,
            "I want to know what {my doctor|<doctor>|the doctor} said I should do after my"
            " {appointment|visit|<procedure>}.",
            "{Can|Could} you {look up|pull up|check} the notes from my last {visit|appointment}"
            "{ with <doctor>|}?",
            "What {medicine|dose} did <doctor> {put me on|prescribe me} {last time|at my last"
            " visit}? I {lost|threw away} the paper.",
            "{Do I still|Am I supposed to} {wear the boot|use the inhaler every day|take the"
            " <med>} {now that my <procedure> is done|after my follow-up|}?",
            "I need my {follow-up|after care} instructions {again|resent|from <date>}.",
            "{Did <doctor> say|Has <doctor> said} {when|if} I {need|should come back for} {more"
            " bloodwork|a recheck|another visit}?",
            "{Could|Can} you {remind me|tell me} {how often|how long} I'm supposed to {take the"
            " <med>|ice my <body_part>|do the exercises} {<doctor> gave me|}?",
        ),
        P(
            0.45,
            "{I'm feeling fine|All good otherwise|No new problems}{, just want to get it right|}.",
            "{No symptoms|Nothing's wrong}, {I just forgot|just want to follow the plan}.",
        ),
        weight=1.8,
    ),
    # Rule 4 again, with the medical words that make it look clinical but no active symptom.
    Scenario(
        P(
            1.0,
            "{My|The} {pharmacy|pharmacist} {gave me|switched me to} the generic {for|of} <med>,"
            " is that {ok|the same thing}?",
            "Can I {take|have} {my|the} <med> {and|with} <otc> {together|at the same time}?",
            "{Is it|Would it be} {okay|fine} to {get a tattoo|go swimming|have coffee|fly}"
            " {after|while on|with} {my <procedure>|<med>}?",
            "{My|The} <lab> {came back|was} {a little high|borderline|slightly off},"
            " {what does that mean|should I worry about that}?",
            "Do I need {a booster|another dose of the vaccine|the second shot} {this year|before"
            " I travel|for school}?",
            "{Should|Do} I {bring|keep taking} my <med> {to|before} my appointment <day>?",
        ),
        P(
            1.0,
            "{No problems|No side effects|I feel fine|Everything is fine} so far, just"
            " {checking|asking|curious}.",
            "{I'm|I am} {not having any symptoms|feeling good}, just {want to be safe|a question}.",
            "{Not sick|Not urgent}, just {a question|curious}.",
        ),
        weight=1.5,
    ),
)

APPOINTMENT_MORE: tuple[Scenario, ...] = (
    Scenario(
        P(
            1.0,
            "I {lost|misplaced|can't find} my appointment {card|reminder|text}, {when|what day"
            "|what time} am I {scheduled|booked|coming in}{ for my <procedure>|}?",
            "{Can you|Could you} {check|tell me} {what day|when} my <procedure> is {booked"
            "|scheduled}?",
            "{Did|Has} my {appointment|<procedure>} {get|been} {booked|scheduled|put in} for"
            " <day>?",
            "{Yes|Yep|Confirmed}{,|} {see you|I'll be there|we'll be there} <day>{ at <time>|}.",
            "{Is|Was} my {appointment|visit} {still on|still happening|confirmed} for <day>?",
            "{I|We} got the reminder {for|about} <day>{ at <time>|}{, we'll be there| and wanted to"
            " confirm|}.",
            "{Can|Could} I {move|push|bring forward} my <procedure> {to|until} {<day>|a later"
            " date|next month}?",
            "{Please|Can you} {change|switch} {my|<who>'s} {visit|appointment} {from <day> to"
            " <day>|to the afternoon|to a video visit}.",
            "I'll be {about |}<minutes> minutes {late|behind} {today|for my <time>}{, sorry|"
            ", still ok?|}.",
        ),
        P(0.3, "{Thanks|Thank you}{!|.}", "{It's|This is} for {my|a} {<routine>|follow-up}."),
        weight=1.6,
    ),
    # First-turn booking requests, short and plain (the kind a scheduling assistant hears).
    Scenario(
        P(
            1.0,
            "I'd like to {schedule|book|make} an appointment {for|on} {<day>|next week|<date>}.",
            "Is <doctor> {free|available} {on <day>|<day> at <time>|this week}?",
            "Can I see <doctor> {on <day>|<day> morning|at <time> <day>}?",
            "I {need|want} to see {a|the} {doctor|dentist|GP|nurse} {this week|<day>|soon}.",
            "{Please|Can you} book me {in |}{with|to see} <doctor>{ <when>|}.",
            "{I'm looking for|I need} {a|an} {dentist|doctor|eye doctor|gynecologist"
            "|dermatologist} {in|near} <city> {who can see me|with an opening} <when>.",
            "Help me {book|set up} {an appointment|a visit} with {a|my} {dentist|doctor}"
            "{ in <city>|}.",
            "I {need|have} to schedule {a visit|an appointment} with my {doctor|dentist"
            "|physician}{ <when>|}.",
            "{Can|Could} I {get|book} a {telephone|phone|video} appointment with {the GP|<doctor>}"
            "{ <when>|}?",
            "{I'd like to|Can I} book {a|my} {smear test|blood test|medication review|asthma"
            " review|flu jab} at the surgery{ <when>|}.",
            "{Do you have|Got} anything {with <doctor>|} {<day>|this week|next week}?",
            "{Can you|Could you} {move|switch} my {appointment|visit} to {the afternoon"
            "|<day>|a later time}?",
            "I'd like to book {an appointment|a time|a consultation} for my {annual check-up"
            "|yearly physical|teeth cleaning|eye exam}.",
        ),
        P(0.25, "{Thanks|Thank you}.", "{Any|Whatever} time {works|is fine}."),
        weight=2.4,
    ),
    # An appointment for a reason stated without symptoms or urgency stays a scheduling request.
    Scenario(
        P(
            1.0,
            "{Can I|I'd like to} {book|schedule} {a visit|an appointment} {to get|for} {my mole"
            " checked|my knee looked at|my ears cleaned|a referral|my blood pressure checked"
            "|a skin check} <when>.",
            "I need {a|an} {follow-up|recheck|post-op} appointment {with <doctor>|} {after my"
            " <procedure>|for my <condition>} <when>.",
            "{Need|I need} to {come in|book in} for {my|a} {blood pressure check|diabetes review"
            "|<routine>} {<when>|}.",
        ),
        P(0.35, "{I'm|I am} an existing patient.", "{Mornings|Afternoons} are {best|easier}."),
        weight=1.4,
    ),
)

BILLING_MORE: tuple[Scenario, ...] = (
    Scenario(
        P(
            0.3,
            "{I was in|We came in} {on <date>|last month|a few weeks ago} for"
            " {a|my|<who>'s} <procedure>.",
            "{Regarding|About|Re:} {account|invoice|statement} {number |#}"
            "{4|6|8}{07|19|33}{2|5|9}.",
        ),
        P(
            1.0,
            "{You|Your office} {charged|billed} me {twice|two times} for {the same|one} visit"
            "{ on <date>|}, {could|can} you {fix|correct|reverse} {one of them|that}?",
            "{It looks like|I think} {you|the office} sent {the|my} {bill|claim} to {my old"
            " insurance|the wrong insurance|<insurer> instead of my new plan}.",
            "I got a {collections|final notice|past due} letter{ for <amount>|}, but I {paid"
            " that|settled it} {on <date>|back in <date>|already}. {Can you|Could you}"
            " {update|correct} {my account|it}?",
            "{There's|I think there's} a {mistake|error} on my {bill|statement}: {the <procedure>"
            " is listed twice|I was billed for a visit I cancelled|the date of service is wrong}.",
            "{My|The} {balance|amount due} {went up|changed} {to <amount>|} {and I don't know"
            " why|after insurance paid}{, can you explain|}.",
            "{Insurance|<insurer>} {denied|rejected} {the|my} claim{ for the <procedure>|},"
            " {what|is there anything} {do I need to do|I should send}?",
            "{Could|Can} you {resubmit|rebill} {my|the} claim{ for <date>|} to <insurer>?",
            "I {overpaid|paid twice} {on <date>|last month}, {can I get|how do I get} {a"
            " refund|the money back|a credit}?",
            "{The|My} {copay|co-pay} {should be|is supposed to be} <small_amount> but I was"
            " {charged|billed} <amount>{ for the visit on <date>|}.",
            "{Why|How come} {is|was} there a {facility fee|separate lab charge|second charge}"
            " on my {bill|statement}{ for <date>|}?",
        ),
        P(0.3, "{Thank you|Thanks}{ for checking|}.", "{I can|Happy to} send {a copy|the EOB}."),
        weight=2.2,
    ),
    Scenario(
        P(
            1.0,
            "{There's|I see} a credit {balance |}on my account{ from <date>|}, {can I get"
            " it back|how do I get a refund check}?",
            "I think you {billed|sent the claim to} my old insurance{ for my <procedure>|}, I"
            " have <insurer> now.",
            "{The|My} claim {for <date>|for the <procedure>} needs to be {resubmitted"
            "|corrected}, <insurer> said {the code was wrong|it was missing info}.",
            "{My|The} payment {didn't go through|was declined} {online|on the portal}, {can I"
            " pay another way|what do I owe now}?",
            "Why was I charged a {no-show|late cancellation|paperwork} fee of <small_amount>?",
            "I received a collections notice for <amount> but I believe it was paid{ on <date>|},"
            " {can you check|could you confirm}?",
            "{How much|What} do I {still owe|owe} {on my account|for my visit on <date>}?",
            "I {received|got} an invoice {for|of} \u00a3{85|120|240|350|60} from {your clinic"
            "|the practice} for my {private consultation|scan|physio session}, {can you"
            " explain it|is that right}?",
            "{Can|Could} you {send|email} me a {receipt|statement} {for|showing} {my payment"
            "|what I paid} {on <date>|last month}?",
        ),
        P(0.35, "I {have|had} <insurer>{ at the time|}.", "{Please|} {advise|let me know}."),
        weight=1.8,
    ),
)

CLINICAL_MORE: tuple[Scenario, ...] = (
    # Short first-person symptom statements over many kinds of complaint of the body.
    Scenario(
        P(
            1.0,
            "My hair {is falling out|keeps coming out} in {clumps|the shower}.",
            "I {feel|am feeling} {so sad|really down|empty|hopeless} {all the time|and can't"
            " stop crying|lately}.",
            "{I've been|I'm} {so anxious|having panic attacks} {I can't sleep|every day|at night}.",
            "My {heart|chest} {hurts|feels tight} when I {breathe in|lie down|climb stairs}.",
            "{The|My} {cut|wound|scrape} on my {leg|hand|arm} is {red and full of pus|hot and"
            " swollen|not healing}.",
            "My {feet|foot} {ache|hurts} {after standing all day|when I wake up|all the time}.",
            "I hurt my {shoulder|knee|ankle|wrist} {playing soccer|at the gym|running|lifting}.",
            "My skin is {dry and peeling|cracked and bleeding|breaking out|covered in red spots}.",
            "My stomach {hurts|aches|is cramping} {after I eat|at night|on the right side}.",
            "My {knees|joints|fingers} {are swollen and stiff|ache in the morning|hurt when it's"
            " cold}.",
            "{It's hard|It's difficult|I struggle} to {breathe|catch my breath}{ when I lie"
            " down| at night|}.",
            "{I've had|I have} a {pounding|splitting|throbbing} headache {since <since_when>|for"
            " <duration>|all day}.",
            "My body feels {weak|heavy|drained} and I {can't get out of bed|have no energy}.",
            "{The room is spinning|Everything spins} when I {stand up|turn over in bed}.",
            "My {neck|back|lower back} {is stiff|hurts} and I can't {turn my head|bend over}.",
            "I {have|got} a {deep|bad} cut on my {finger|hand|foot} {that won't close|and it"
            " keeps bleeding}.",
            "I {feel|have} a pain {deep inside|in my belly|under my ribs} {that comes and goes"
            "|that won't go away}.",
            "My vision {is blurry|keeps going fuzzy|has spots in it}{ since this morning|}.",
            "My acne is {getting worse|really bad|painful} {and leaving scars|on my face and"
            " back|}.",
            "My muscles {ache|are so sore|keep cramping} {all over|in my legs|after every"
            " workout}.",
            "{I can't stop coughing|My cough is worse|I keep coughing up mucus} {at night"
            "|every morning|}.",
            "My ear {hurts|is throbbing|feels blocked} {and I can't hear|since the flight"
            "|really bad}.",
            "I {feel|am} {cold|freezing} {all the time|and can't get warm|even with a blanket}.",
            "{I have|There's} {a rash|a weird red patch|bumps} on my {chest|back|arm|leg}"
            "{ that itches|}.",
            "I {keep|have been} {throwing up|feeling sick} {since last night|after every meal}.",
        ),
        P(0.2, "{Should I be worried|Is that normal|What can I do}?"),
        weight=2.6,
    ),
    # Telegraphic fragments ("kid has fever 102").
    Scenario(
        P(
            1.0,
            "{kid|son|daughter|baby} has {a |}fever <temp>{ since <since_when>|}",
            "{son|daughter|baby|husband} {throwing up|has a rash|wheezing} {all night|since"
            " <since_when>}",
            "rash {getting worse|spreading|still there} {after|on} the <med>",
            "need {a |}nurse {call back|to call} {re|about} {my <body_part>|the <symptom>|my"
            " meds reaction}",
            "{bad|really bad} <body_part> pain {cant|can't} {sleep|walk|work}",
            "{bp|blood pressure} {high|really high} {again|today} {headache|dizzy}",
            "{cut|burn} on my {hand|arm} {looks infected|red streaks|oozing}",
            "{stitches|incision} {opened up|bleeding} {after|since} <wound_procedure>",
        ),
        weight=1.0,
    ),
    # UK and practice-nurse phrasing of an active concern.
    Scenario(
        P(
            1.0,
            "{I've been|I'm} feeling {really poorly|rough|unwell} {since <since_when>|for"
            " <duration>} with <symptom>.",
            "{My|<uk_relative>'s} {temperature|temp} {is|has been} {39|38.5|39.4} {since last"
            " night|all day}{ and <symptom>|}.",
            "{I rang|I called} 111 {last night|this morning} and they said to {contact|ring} the"
            " surgery about my <symptom>.",
            "{My|<uk_relative>'s} <body_part> {is really swollen|has gone red|is very painful}"
            " {since <since_when>|after a fall}.",
            "{I think|Pretty sure} I've got {a chest infection|tonsillitis|a water infection"
            "|an infected tooth}, {I feel awful|it's getting worse}.",
        ),
        P(
            0.6,
            "Should I go to A&E or {wait for|see} the GP?",
            "{Can|Could} {a|the} {GP|doctor|nurse} {ring|call} me {back |}{today|this morning}?",
            "{Do I need|Should I get} {antibiotics|to be seen}?",
        ),
        weight=1.4,
    ),
    # Rule 4, the clinical side: a side effect or a worsening problem from a known medicine.
    Scenario(
        P(
            1.0,
            "{Since|Ever since} {the|my} <med> {dose went up|was changed|was started} I've had"
            " <side_effect>{ every day|}.",
            "I {think|feel like} I'm {reacting|allergic} to the <med>, {I've got|there's}"
            " <side_effect>.",
            "{My|The} <condition> {isn't|is not} {controlled|getting better} on the <med>, {I've"
            " had|there's} <symptom>.",
        ),
        P(
            0.6,
            "Should I {stop it|keep taking it|skip tonight's dose}?",
            "{Can|Could} someone call me{ today|}?",
        ),
        weight=1.2,
    ),
)

COMPLAINT_MORE: tuple[Scenario, ...] = (
    Scenario(
        P(
            1.0,
            "I've been going back and forth with {your|the} billing {people|office|department}"
            " for {months|weeks} {over|about} <amount> and {nobody|no one} {can give me a straight"
            " answer|takes responsibility}.",
            "Every {month|statement} there's {a new|another} mistake on my {bill|account} and"
            " I'm {sick of it|fed up|done}.",
            "{Your|The} billing {department|office} is a {mess|joke|disaster}{, I was charged"
            " <amount> for {nothing|a visit that never happened}|}.",
            "{I was|I've been} {told|promised} {three|two|several} times {that the charge would"
            " be fixed|that someone would call} and {it never happened|nothing changed}.",
            "{Threatening|Sending} me {with collections|to collections} {over|for} <amount>"
            " {your office's mistake|while insurance was still processing} is {outrageous"
            "|disgusting|unacceptable}.",
        ),
        P(
            0.8,
            "{I want|I'd like} to {speak to|hear from} {a manager|the practice manager|someone"
            " senior}.",
            "{I'm|I am} {considering|thinking about} {leaving|switching practices|a bad review}.",
            "{Very|Extremely} {frustrated|disappointed|angry}.",
        ),
        weight=1.4,
    ),
    # Feedback-survey style comments: evaluative, often without "I", sometimes mixed praise.
    Scenario(
        P(
            1.0,
            "{The staff were lovely|Nurses were kind|The doctor was nice enough|Reception was"
            " friendly} but {the wait was far too long|nobody told us what was going on|the"
            " discharge took forever|the ward was filthy}.",
            "{Very|Extremely|Ridiculously} long wait {to be seen|in A&E|at the surgery|in"
            " outpatients}{, over {3|4|5|6} hours|}.",
            "{Impossible|Unable} to get {an appointment|through on the phone} {at the surgery"
            "|with my GP}{, ringing at 8am is pointless|, the lines are always engaged|}.",
            "{Nobody|No one} {explained|told us} what was happening {with <uk_relative>|to"
            " <uk_relative>|}.",
            "Not enough {information|communication} {given|about the delay|on discharge}.",
            "{Rude|Unhelpful|Abrupt} {reception staff|receptionists|paramedic|doctor}{, made me"
            " feel like a nuisance|}.",
            "The {doctor|GP} {didn't|did not} {listen|examine me properly} and {sent me away"
            "|just gave me paracetamol}.",
            "{Left|Kept} {on a trolley|in a corridor|in the waiting room} for {5|6|8|10} hours"
            "{ in pain|}.",
            "{The|An} ambulance {never came|took hours}, {we had to|ended up} {drive"
            "|driving} {her|him} in ourselves.",
            "Hospital food {is|was} {awful|terrible|inedible}{ and served cold|}.",
            "{Parking is|The car park is} {terrible|too expensive|always full}.",
            "{Discharge|Being discharged} took {all day|hours} {waiting for|because of}"
            " {medication|paperwork|transport}.",
            "{The|My} ward was {noisy|dirty|freezing} {and I couldn't sleep|at night|}.",
            "{My|The} appointment {was cancelled|got moved} {three times|again} without"
            " {explanation|notice}.",
            "{Staff|The nurses} {were|seemed} {uncaring|rude|too busy to care} and"
            " {ignored|didn't help} <uk_relative>.",
            "{Poor|Terrible|Appalling} {attitude|communication|organisation|service}{ from"
            " start to finish| at <uk_place>|}.",
        ),
        P(0.35, "{Not good enough|Very poor|Disappointing}.", "{Needs to improve|Must do better}."),
        weight=2.2,
    ),
    # Rule 1 in plain words: a symptom or a bill, but the message is about being let down.
    Scenario(
        P(
            1.0,
            "{My|<uk_relative>'s} {pain|condition} {was ignored|wasn't taken seriously} by"
            " {the staff|the doctor|your office} {and|until} {it got worse|we went to A&E}.",
            "I {came in|was seen} with <symptom> and {was sent home|got told it was nothing}"
            " {without being examined|after 2 minutes}, {appalling|disgraceful|ridiculous}.",
            "{Your|The} billing {office|department} {keeps|has} {charging|charged} me for"
            " {a visit I never had|something insurance covered}, {and nobody|no one} {will fix"
            " it|calls me back}.",
            "{I've|I have} {rung|called} {every day|all week} to {book|get} an appointment and"
            " {there's never anything|I get cut off}, {this is|it's} {a joke|beyond frustrating}.",
            "{After|Following} my <procedure> {nobody|no one} {followed up|called to check on"
            " me} and {I ended up|I was} {in the ER|back in hospital}. {Very|Extremely}"
            " disappointed.",
        ),
        P(
            0.5,
            "{I want|I'd like} {this|my complaint} {escalated|looked into}.",
            "{Unacceptable|Shameful}.",
        ),
        weight=1.6,
    ),
)

PRICE_SHOPPER_MORE: tuple[Scenario, ...] = (
    Scenario(
        P(
            1.0,
            "{Before I book anything|Before I commit}, {could|can} I get {a written|an}"
            " {estimate|cost estimate|quote} for {a|an} <procedure>?",
            "{Do you|Would you} {do|give} a {discount|lower price|better rate} {if I pay"
            "|for paying} {cash|in full|up front} for {a|an} <procedure>?",
            "{What|How much} {would|will} {a|an} <procedure> {cost|set me back} {out of pocket"
            "|before insurance|after insurance} {roughly|approximately|}?",
            "{I'm|I am} {comparing|pricing out} {a few|several} {clinics|offices|dentists}"
            " {for|on} <procedure>, {what's|what is} yours?",
            "{Is|Are} {a|the} <procedure> {covered|cheaper} {if I'm|for} self-pay, {and|or} what"
            " {is|would be} the {price|cost}?",
        ),
        P(0.35, "{Not|I'm not} {booking|committing} {yet|today}.", "{Just|Only} need a number."),
        weight=1.2,
    ),
    Scenario(
        P(
            1.0,
            "{What|How much} {would|do} you charge for {a|an} <procedure>{ if I'm a new patient|}?",
            "Do you {offer|have} {financing|payment plans|CareCredit} for <procedure> {before"
            " I decide|if I go ahead|}?",
            "{Thinking about|Considering} {switching to|becoming a patient at} your {office"
            "|practice} but {first|} {how much|what} {is|does} {a|an} {<procedure>|exam} cost?",
            "I'm {new to the area|not a patient} {and|but} {wondering|want to know} what {a"
            "|an} <procedure> costs {with|without} <insurer>.",
            "{Can|Could} you {give|send} me {an estimate|a price|a quote} for {a|an}"
            " <procedure>{ before I book anything|}?",
            "{Is|Is the} {first|initial} consultation free{ or is there a fee|}?",
            "How much is a private {appointment|consultation|scan} with {a|the} {GP|consultant"
            "|specialist}?",
            "What are your {prices|fees|rates} for {a|an} {<procedure>|new patient exam|cleaning"
            " and x-rays}?",
        ),
        P(0.4, "{I haven't decided yet|Still deciding}.", "{Just|} {shopping|looking} around."),
        weight=1.8,
    ),
)

SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    "new_patient_inquiry": NEW_PATIENT + NEW_PATIENT_MORE,
    "existing_patient_question": EXISTING_PATIENT + EXISTING_PATIENT_MORE,
    "appointment_request": APPOINTMENT + APPOINTMENT_MORE,
    "billing_inquiry": BILLING + BILLING_MORE,
    "clinical_concern": CLINICAL + CLINICAL_MORE,
    "complaint": COMPLAINT + COMPLAINT_MORE,
    "price_shopper": PRICE_SHOPPER + PRICE_SHOPPER_MORE,
}

# --------------------------------------------------------------------------------------------
# Style: polished / casual / messy, with channel-conditional mix (sms messiest, email cleanest).
# Overall the mix averages to ~40/40/20.
# --------------------------------------------------------------------------------------------

STYLE_MIX: dict[str, tuple[float, float, float]] = {
    "email": (0.60, 0.30, 0.10),
    "web_form": (0.55, 0.35, 0.10),
    "chat": (0.35, 0.45, 0.20),
    "sms": (0.15, 0.50, 0.35),
    "voicemail": (0.35, 0.40, 0.25),
}

_CONTRACTIONS = (
    (r"\bI am\b", "I'm"),
    (r"\bdo not\b", "don't"),
    (r"\bcannot\b", "can't"),
    (r"\bI have been\b", "I've been"),
    (r"\bit is\b", "it's"),
    (r"\bI would\b", "I'd"),
    (r"\bI will\b", "I'll"),
    (r"\bis not\b", "isn't"),
    (r"\bdoes not\b", "doesn't"),
    (r"\bdid not\b", "didn't"),
    (r"\bwould not\b", "wouldn't"),
    (r"\bhave not\b", "haven't"),
    (r"\bwe are\b", "we're"),
    (r"\bthey are\b", "they're"),
    (r"\bgoing to\b", "gonna"),
    (r"\bwant to\b", "wanna"),
)
_CONTRACTION_RES = tuple((re.compile(p), r) for p, r in _CONTRACTIONS)

# The training abbreviation set (the reference's: u/ur/appt/tmrw/yr/pls/thx/rx/ins).
_ABBREVIATIONS = (
    (r"\byou\b", "u"),
    (r"\byour\b", "ur"),
    (r"\byou're\b", "ur"),
    (r"\b[Aa]ppointments?\b", "appt"),
    (r"\btomorrow\b", "tmrw"),
    (r"\byears?\b", "yr"),
    (r"\bplease\b", "pls"),
    (r"\b[Tt]hanks\b", "thx"),
    (r"\b[Tt]hank you\b", "thx"),
    (r"\bprescriptions?\b", "rx"),
    (r"\binsurance\b", "ins"),
    (r"\bbecause\b", "cuz"),
    (r"\bokay\b", "ok"),
    (r"\bdoctor\b", "dr"),
    (r"\bmessage\b", "msg"),
)
_ABBREVIATION_RES = tuple((re.compile(p), r) for p, r in _ABBREVIATIONS)

_AUTOCORRECT = {
    "appointment": ("appointed", "apartment"),
    "prescription": ("subscription", "perception"),
    "refill": ("refile", "Refill"),
    "results": ("resorts", "result's"),
    "fever": ("ever",),
    "rash": ("trash", "rush"),
    "cough": ("couch",),
    "pain": ("paint",),
    "bill": ("Bill", "pill"),
    "your": ("you're",),
    "there": ("their",),
    "its": ("it's",),
    "were": ("we're",),
    "well": ("we'll",),
    "sore": ("sure",),
    "ear": ("eat",),
    "nurse": ("purse",),
    "insurance": ("insurances",),
    "schedule": ("scheduled",),
    "week": ("weak",),
    "here": ("hear",),
    "knee": ("knew",),
    "swollen": ("stolen",),
    "clinic": ("click",),
    "dose": ("does",),
    "pharmacy": ("pharmacist",),
    "cancel": ("cancer",),
}

_KEYBOARD_NEIGHBOURS = {
    "a": "qsz",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "y": "tu",
}

_CAPS_PHRASES = (
    "PLEASE CALL ME BACK",
    "URGENT",
    "PLEASE HELP",
    "CALL ME",
    "NEED HELP",
    "TODAY",
    "PLEASE",
    "RIGHT NOW",
    "NOT OK",
)

_SHORT_SIGNOFFS = (
    "thx",
    "thx!",
    "pls call",
    "pls call me",
    "ty",
    "thx in advance",
    "pls advise",
    "call me tmrw",
    "pls and thx",
    "thx u",
)

_FILLERS = ("uh", "um", "uh", "um", "so", "yeah", "like", "you know", "i mean", "okay so")


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randint(1, len(word) - 2)
    kind = rng.random()
    if kind < 0.3:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.55:
        return word[:i] + word[i + 1 :]
    if kind < 0.75:
        return word[:i] + word[i] + word[i:]
    neighbours = _KEYBOARD_NEIGHBOURS.get(word[i].lower())
    if not neighbours:
        return word[:i] + word[i + 1 :]
    return word[:i] + rng.choice(neighbours) + word[i + 1 :]


def _roughen_words(text: str, rng: random.Random, typo_rate: float, slip_rate: float) -> str:
    words = text.split(" ")
    for index, word in enumerate(words):
        core = word.strip(".,!?;:")
        if not core:
            continue
        roll = rng.random()
        if roll < slip_rate and core.lower() in _AUTOCORRECT:
            words[index] = word.replace(core, rng.choice(_AUTOCORRECT[core.lower()]))
        elif roll < slip_rate + typo_rate:
            words[index] = word.replace(core, _typo(core, rng))
    return " ".join(words)


def _contract(text: str, rng: random.Random, rate: float) -> str:
    for pattern, replacement in _CONTRACTION_RES:
        if rng.random() < rate:
            text = pattern.sub(replacement, text)
    return text


def _abbreviate(text: str, rng: random.Random, rate: float) -> str:
    for pattern, replacement in _ABBREVIATION_RES:
        if rng.random() < rate:
            text = pattern.sub(replacement, text)
    return text


_FRAGMENT_RES = (
    (re.compile(r"^I (need|want|have|got|think|was|just|can't|had|forgot)\b"), r"\1"),
    (re.compile(r"^I'm "), ""),
    (re.compile(r"^I am "), ""),
    (re.compile(r"^(Can|Could) you (please )?"), ""),
    (re.compile(r"^(Do you have|Is there) (a |an |any )?"), "any "),
    (re.compile(r"^I would like to "), "want to "),
    (re.compile(r"^I'd like to "), "want to "),
    (re.compile(r"^My "), "my "),
)


def _fragment(sentence: str) -> str:
    for pattern, replacement in _FRAGMENT_RES:
        new = pattern.sub(replacement, sentence, count=1)
        if new != sentence:
            return new
    return sentence


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and not text[1].isupper() and not text.startswith("I "):
        return text[0].lower() + text[1:]
    return text


def _upper_first(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


_QUESTION_START = re.compile(
    r"^(how|what|when|where|why|who|which|is|are|do|does|did|can|could|would|should|will|any)\b",
    re.IGNORECASE,
)


def _punctuate(sentence: str) -> str:
    if not sentence or sentence[-1] in ".!?":
        return sentence
    return sentence + ("?" if _QUESTION_START.match(sentence) else ".")


def _strip_terminal(text: str) -> str:
    return text.rstrip(".!")


_SPACE_RE = re.compile(r"[ \t]+")
_SPACE_PUNCT_RE = re.compile(r" +([,.!?;:])")
_DOUBLE_PUNCT_RE = re.compile(r"([.!?])[.]+")
_A_AN_RE = re.compile(r"\b([Aa]) ([aeioAEIO]\w)")
_COMMA_Q_RE = re.compile(r",\?")
_ON_ON_RE = re.compile(r"\b(?:on|for|at) (on|at)\b")
_AN_A_RE = re.compile(r"\b(An|an) ([b-df-hj-np-tv-z][a-z])")
_A_ACRONYM_RE = re.compile(r"\b([Aa]) ([FHLMNRSX][A-Z]+\b)")


def _tidy(text: str) -> str:
    text = _SPACE_RE.sub(" ", text).strip()
    text = _SPACE_PUNCT_RE.sub(r"\1", text)
    text = _COMMA_Q_RE.sub("?", text)
    text = _DOUBLE_PUNCT_RE.sub(r"\1", text)
    text = text.replace("?.", "?").replace("!.", "!").replace(",.", ".")
    text = _ON_ON_RE.sub(r"\1", text)
    text = _AN_A_RE.sub(lambda m: ("A" if m.group(1) == "An" else "a") + " " + m.group(2), text)
    text = _A_ACRONYM_RE.sub(
        lambda m: ("An" if m.group(1) == "A" else "an") + " " + m.group(2), text
    )
    return _A_AN_RE.sub(lambda m: ("An" if m.group(1) == "A" else "an") + " " + m.group(2), text)


def _style_sentences(
    sentences: list[str], style: str, channel: str, intent: str, rng: random.Random
) -> str:
    """Turn clean sentences into a body in the requested style."""
    if style == "polished":
        body = " ".join(_punctuate(_upper_first(s)) for s in sentences)
        if rng.random() < 0.15:
            body = _contract(body, rng, 0.6)
        return body

    messy = style == "messy"
    sms_like = channel in ("sms", "chat")
    if channel == "voicemail":
        # Speech recognition makes no typos or abbreviations; its mess is fillers and run-ons,
        # added when the transcript is built.
        return " ".join(_fragment(s) if messy and rng.random() < 0.4 else s for s in sentences)
    out: list[str] = []
    for index, sentence in enumerate(sentences):
        if rng.random() < (0.45 if messy else 0.3):
            sentence = _fragment(sentence)
        if (index == 0 and rng.random() < (0.75 if messy else 0.55)) or (
            index > 0 and rng.random() < (0.6 if messy else 0.3)
        ):
            sentence = _lower_first(sentence)
        out.append(sentence)

    if messy and rng.random() < 0.55:
        # Run-on: sentences glued together with no punctuation at all.
        body = " ".join(_strip_terminal(s).rstrip("?") for s in out)
    elif rng.random() < (0.5 if sms_like else 0.3):
        body = " ".join(_strip_terminal(s) for s in out)
    else:
        body = " ".join(out)

    body = _contract(body, rng, 0.9 if messy else 0.75)
    if messy:
        if rng.random() < 0.6:
            body = body.replace("'", "")
        if rng.random() < 0.5:
            body = re.sub(r"\bI\b", "i", body)
        body = _abbreviate(body, rng, 0.9)
        body = _roughen_words(body, rng, typo_rate=0.05, slip_rate=0.04)
    else:
        body = _abbreviate(body, rng, 0.65 if sms_like else 0.3)
        if sms_like and rng.random() < 0.3:
            body = _roughen_words(body, rng, typo_rate=0.02, slip_rate=0.02)

    urgent_intent = intent in ("clinical_concern", "complaint")
    caps_p = (0.4 if urgent_intent else 0.18) if messy else (0.08 if urgent_intent else 0.01)
    if rng.random() < caps_p:
        roll = rng.random()
        if roll < 0.4:
            body = f"{body} {rng.choice(_CAPS_PHRASES)}"
        elif roll < 0.7:
            words = body.split(" ")
            start = rng.randrange(max(1, len(words) - 3))
            span = rng.randint(2, 4)
            words[start : start + span] = [w.upper() for w in words[start : start + span]]
            body = " ".join(words)
        else:
            body = f"{rng.choice(_CAPS_PHRASES)} {body}"
    if rng.random() < (0.25 if messy else 0.08):
        body = body.rstrip(".") + rng.choice(("!!", "??", "!!!", "...", " lol", " ugh"))
    if rng.random() < (0.2 if messy else 0.1 if sms_like else 0.04):
        body = body + " " + rng.choice(_SHORT_SIGNOFFS)
    return body


# --------------------------------------------------------------------------------------------
# Channels.
# --------------------------------------------------------------------------------------------

_EMAIL_GREETINGS = (
    "Hi,",
    "Hello,",
    "Hi there,",
    "Good morning,",
    "Good afternoon,",
    "Dear <practice>,",
    "Dear <doctor>,",
    "To whom it may concern,",
    "Hello <practice> team,",
    "Hi <doctor>,",
    "Dear front desk,",
    "Hey,",
)
_EMAIL_SIGNOFFS = (
    "Thanks,",
    "Thank you,",
    "Best,",
    "Best regards,",
    "Sincerely,",
    "Regards,",
    "Thanks again,",
    "Kind regards,",
    "Many thanks,",
    "Cheers,",
)
_QUOTED_OFFICE = (
    "Thank you for contacting <practice>. A member of our team will respond within 1-2"
    " business days.",
    "Please do not reply to this automated message.",
    "We have received your message and will get back to you shortly.",
    "Hello, just following up on your recent message. Please let us know if you still need help.",
    "Thank you for choosing <practice>.",
)


def _email(body: str, style: str, rng: random.Random, r: _Renderer) -> str:
    greet_p = {"polished": 0.85, "casual": 0.55, "messy": 0.3}[style]
    lines: list[str] = []
    if rng.random() < 0.12:
        lines.append(r.render("Subject: {Question|Re: your message|Hello|Help|<name> <surname>}"))
    if rng.random() < greet_p:
        greeting = r.render(rng.choice(_EMAIL_GREETINGS))
        lines.append(greeting if style == "polished" else greeting.rstrip(","))
        lines.append("")
    lines.append(body)
    if rng.random() < {"polished": 0.85, "casual": 0.55, "messy": 0.3}[style]:
        lines.append("")
        sig = [r.render(rng.choice(_EMAIL_SIGNOFFS)), r.render("<name>{ <surname>|}")]
        if rng.random() < 0.3:
            sig.append(r.render("{DOB|Date of birth:} <dob>"))
        if rng.random() < 0.25:
            sig.append(r.render("{Phone: |Cell: |}<phone>"))
        lines.extend(sig)
    if rng.random() < 0.08:
        lines.append("")
        lines.append("Sent from my iPhone")
    if rng.random() < 0.1:
        lines.append("")
        address = r.render("{office|frontdesk|info}@{clinic|practice|health}mail.com")
        lines.append(r.render("On <date>, <practice> ") + f"<{address}> wrote:")
        lines.append("> " + r.render(rng.choice(_QUOTED_OFFICE)))
    return "\n".join(lines)


_FORM_REASONS = (
    "General inquiry",
    "Other",
    "Question",
    "Contact us",
    "Message for the office",
    "Select one",
    "Appointment",
    "Billing",
    "New patients",
    "Prescription",
    "Feedback",
)
_FORM_REASON_FOR = {
    "appointment_request": "Appointment",
    "billing_inquiry": "Billing",
    "new_patient_inquiry": "New patients",
    "existing_patient_question": "Prescription",
    "complaint": "Feedback",
}


def _web_form(body: str, intent: str, style: str, rng: random.Random, r: _Renderer) -> str:
    roll = rng.random()
    if roll < 0.45:
        reason = _FORM_REASON_FOR.get(intent) if rng.random() < 0.3 else None
        if reason is None:
            reason = rng.choice(_FORM_REASONS[:6])
        fields = [r.render("Name: <name> <surname>")]
        if rng.random() < 0.6:
            fields.append(r.render("Phone: <phone>"))
        if rng.random() < 0.4:
            fields.append(
                r.render(
                    "Email: {<name>|<surname>}{.<surname>|}{22|85|_01|}@{gmail|yahoo|outlook}.com"
                )
                .lower()
                .replace("email:", "Email:")
            )
        fields.append(
            f"{rng.choice(('Reason', 'Topic', 'Subject', 'Reason for contact'))}: {reason}"
        )
        fields.append(f"{rng.choice(('Message', 'Comments', 'How can we help?'))}: {body}")
        return "\n".join(fields)
    greet_p = {"polished": 0.45, "casual": 0.25, "messy": 0.1}[style]
    text = body
    if rng.random() < greet_p:
        text = r.render(rng.choice(("Hello,", "Hi,", "Hi there,", "Good morning,"))) + " " + text
    if rng.random() < {"polished": 0.4, "casual": 0.2, "messy": 0.05}[style]:
        text += " " + r.render("{Thanks, |Thank you, |Regards, |}<name>{ <surname>|}")
    return text


def _chat(body: str, style: str, rng: random.Random) -> str:
    greet_p = {"polished": 0.35, "casual": 0.25, "messy": 0.1}[style]
    if rng.random() < greet_p:
        opener = rng.choice(("Hi", "Hello", "hi", "hey", "Hi there", "hello?"))
        sep = rng.choice((", ", " ", "! ", "\n"))
        return opener + sep + body
    return body


def _sms(body: str, style: str, rng: random.Random, r: _Renderer) -> str:
    if rng.random() < {"polished": 0.15, "casual": 0.1, "messy": 0.05}[style]:
        body = rng.choice(("Hi ", "hi ", "Hey ", "hey ")) + body
    if rng.random() < 0.12:
        body += r.render(rng.choice((" - <name>", " this is <name>", " -<name> <surname>")))
    return body


# Voicemail transcripts: numbers spoken, punctuation mostly gone, fillers, run-on.
_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINALS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


def _words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + _words(rest))
    rest = n % 1000
    return _words(n // 1000) + " thousand" + ("" if rest == 0 else " " + _words(rest))


def _ordinal(n: int) -> str:
    spoken = _words(n)
    head, _, last = spoken.rpartition(" ")
    if last in _ORDINALS:
        last = _ORDINALS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last = last + "th"
    return (head + " " + last).strip()


def _pairs(n: int) -> str:
    """1230 -> 'twelve thirty', 382 -> 'three eighty two', 102 -> 'one oh two'."""
    if n < 100:
        return _words(n)
    high, low = divmod(n, 100)
    if low == 0:
        return _words(high) + " hundred"
    low_words = ("oh " + _ONES[low]) if low < 10 else _words(low)
    return _words(high) + " " + low_words


def _digits(s: str) -> str:
    return " ".join("oh" if c == "0" else _ONES[int(c)] for c in s if c.isdigit())


_PHONE_RE = re.compile(r"\b(\d{3})-(\d{3})-(\d{4})\b")
_MONEY_RE = re.compile(r"\$(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d\d))?")
_POUNDS_RE = re.compile("\u00a3(\\d+)")
_DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b")
_TIME_RE = re.compile(r"\b(\d{1,2}):(\d\d)\s?(am|pm)?\b")
_HOUR_RE = re.compile(r"\b(\d{1,2}) ?(am|pm)\b")
_DECIMAL_RE = re.compile(r"\b(\d{2,3})\.(\d)\b")
_ORD_RE = re.compile(r"\b(\d{1,2})(st|nd|rd|th)\b")
_INT_RE = re.compile(r"\b\d+\b")
_LONG_RE = re.compile(r"\b\d{5,}\b")


def _speak_numbers(text: str, rng: random.Random) -> str:
    text = _PHONE_RE.sub(lambda m: _digits(m.group(0)), text)

    def money(m: re.Match[str]) -> str:
        value = int(m.group(1).replace(",", ""))
        spoken = _pairs(value) if rng.random() < 0.5 and 100 < value < 10000 else _words(value)
        cents = m.group(2)
        tail = f" and {_words(int(cents))} cents" if cents and cents != "00" else ""
        return spoken + " dollars" + tail

    text = _MONEY_RE.sub(money, text)
    text = _POUNDS_RE.sub(lambda m: _words(int(m.group(1))) + " pounds", text)

    def date(m: re.Match[str]) -> str:
        month, day = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and 1 <= day <= 31:
            spoken = f"{_MONTHS[month - 1]} {_ordinal(day)}"
            if m.group(3):
                spoken += " " + _pairs(int(m.group(3)))
            return spoken
        return m.group(0)

    text = _DATE_RE.sub(date, text)

    def clock(m: re.Match[str]) -> str:
        hour, minute = int(m.group(1)), int(m.group(2))
        spoken = _words(hour)
        if minute:
            spoken += " " + (("oh " + _ONES[minute]) if minute < 10 else _words(minute))
        if m.group(3):
            spoken += " " + " ".join(m.group(3))
        return spoken

    text = _TIME_RE.sub(clock, text)
    text = _HOUR_RE.sub(
        lambda m: (
            _words(int(m.group(1)))
            + " "
            + rng.choice(
                (
                    " ".join(m.group(2)),
                    "o'clock",
                    "in the morning" if m.group(2) == "am" else "in the afternoon",
                )
            )
        ),
        text,
    )
    text = _DECIMAL_RE.sub(
        lambda m: _pairs(int(m.group(1))) + " point " + _ONES[int(m.group(2))], text
    )
    text = _ORD_RE.sub(lambda m: _ordinal(int(m.group(1))), text)
    text = _LONG_RE.sub(lambda m: _digits(m.group(0)), text)
    return _INT_RE.sub(
        lambda m: _pairs(int(m.group(0))) if len(m.group(0)) in (3, 4) else _words(int(m.group(0))),
        text,
    )


_DR_RE = re.compile(r"\b[Dd]r\.\s")

_VM_OPENERS = (
    "hi this is <name> {calling|} {um|uh|}",
    "hi {yeah |}this is <name> <surname>",
    "hey it's <name>",
    "hello {um|uh} my name is <name> <surname> and",
    "yeah hi {um|uh|}",
    "hi good morning this is <name>",
    "{uh|um} hi",
    "hello this is <name> {i'm|} calling",
    "hi {this message is|i'm calling} for <doctor>",
    "",
    "",
    "",
)
_VM_CLOSERS = (
    "{you can|} call me back at <phone>{ thanks| thank you| bye|}",
    "my number is <phone>{ thanks|}",
    "{okay|ok} thanks bye",
    "thank you bye",
    "{please|} give me a call back{ when you get a chance|} thanks",
    "",
    "",
    "bye",
    "{um|uh} yeah {that's it|okay} thanks",
)


def _voicemail(body: str, style: str, rng: random.Random, r: _Renderer) -> str:
    text = _DR_RE.sub("doctor ", body).replace("&", "and").replace("A1C", "a one c")
    text = _speak_numbers(text, rng).replace("/", " ")
    text = text.lower()
    if style == "polished" and rng.random() < 0.5:
        text = re.sub(r"[!;:]", ",", text)
    else:
        text = re.sub(r"[.,!?;:\u2014]", "", text)
    words = text.split()
    filler_rate = {"polished": 0.04, "casual": 0.08, "messy": 0.12}[style]
    out: list[str] = []
    for word in words:
        if rng.random() < filler_rate:
            out.append(rng.choice(_FILLERS))
        out.append(word)
        if style != "polished" and rng.random() < 0.015:
            out.append(word)  # transcribed stutter
    opener = r.render(rng.choice(_VM_OPENERS))
    closer = r.render(rng.choice(_VM_CLOSERS))
    closer = _speak_numbers(closer, rng).lower()
    text = " ".join(filter(None, (opener.strip(), " ".join(out), closer.strip()))).lower()
    text = text.replace("dr. ", "doctor ")
    if style == "messy" and rng.random() < 0.3:
        text += rng.choice((" [inaudible]", " ... [unintelligible]", " sorry"))
    return _SPACE_RE.sub(" ", text).strip()


# --------------------------------------------------------------------------------------------
# Assembly.
# --------------------------------------------------------------------------------------------


def _pick_scenario(scenarios: Sequence[Scenario], rng: random.Random) -> Scenario:
    total = sum(s.weight for s in scenarios)
    roll = rng.random() * total
    for scenario in scenarios:
        roll -= scenario.weight
        if roll <= 0:
            return scenario
    return scenarios[-1]


_NEUTRAL_ASIDES = (
    "Hope you're all doing well.",
    "Sorry if this is the wrong place to ask.",
    "{Text|Email} is {best|easiest} for me{, I'm at work all day|}.",
    "{My husband|My wife|My daughter} usually {handles|deals with} this but {he's|she's} away.",
    "Sorry for the long message.",
    "I tried calling but {the line was busy|it went to voicemail}.",
    "{My|The} best number is <phone>.",
    "This is {<name>|<name> <surname>} by the way.",
    "I'm writing {on behalf of|for} {my mom|my dad|my son|my daughter|my husband}.",
    "{English is not my first language, sorry|Sorry for any typos, on my phone}.",
)

_CONVERSATIONAL_STARTS = (
    "Quick question \u2014 ",
    "Quick question: ",
    "So ",
    "Ok so ",
    "Hey so ",
    "Question: ",
    "Hoping you can help, ",
    "Not sure who to ask but ",
    "Following up \u2014 ",
    "Hi again, ",
    "Sorry to bother you but ",
    "One more thing, ",
    "Real quick, ",
    "Just wondering, ",
)


def _content(intent: str, rng: random.Random, r: _Renderer) -> list[str]:
    scenario = _pick_scenario(SCENARIOS[intent], rng)
    sentences: list[str] = []
    for prob, templates in scenario.parts:
        if prob >= 1.0 or rng.random() < prob:
            sentences.append(_tidy(r.render(rng.choice(templates))))
    if not scenario.fixed and len(sentences) > 2 and rng.random() < 0.25:
        # Clause shuffling: people put the detail first as often as the request.
        moved = sentences.pop(rng.randrange(1, len(sentences)))
        sentences.insert(0, moved)
    sentences = [s for s in sentences if s]
    if sentences and rng.random() < 0.1:
        # Intent-neutral asides, as real messages carry them; the label must not depend on them.
        aside = _tidy(r.render(rng.choice(_NEUTRAL_ASIDES)))
        sentences.insert(rng.randint(1, len(sentences)), aside)
    if sentences and rng.random() < 0.09:
        # Conversational starts with no greeting (one of the reference's style anchors).
        first = sentences[0]
        if len(first) > 1 and not first[1].isupper() and not first.startswith(("I ", "I'")):
            first = first[0].lower() + first[1:]
        sentences[0] = rng.choice(_CONVERSATIONAL_STARTS) + first
    return sentences


def _pick_style(channel: str, rng: random.Random) -> str:
    polished, casual, _ = STYLE_MIX[channel]
    roll = rng.random()
    if roll < polished:
        return "polished"
    if roll < polished + casual:
        return "casual"
    return "messy"


def generate_one(
    intent: str, channel: str, rng: random.Random, style: str | None = None
) -> Example:
    r = _Renderer(rng)
    style = style or _pick_style(channel, rng)
    sentences = _content(intent, rng, r)
    body = _tidy(_style_sentences(sentences, style, channel, intent, rng))
    if channel == "email":
        text = _email(body, style, rng, r)
    elif channel == "web_form":
        text = _web_form(body, intent, style, rng, r)
    elif channel == "chat":
        text = _chat(body, style, rng)
    elif channel == "sms":
        text = _sms(body, style, rng, r)
    else:
        text = _voicemail(body, style, rng, r)
    return Example(text=text.strip(), label=intent, channel=channel, style=style)


def generate_train(
    n: int, seed: int = 0, progress: Callable[[int, int], None] | None = None
) -> list[Example]:
    """Generate ``n`` labelled training messages, balanced over intents and channels.

    Deterministic for a given (n, seed). Exact duplicate texts are re-drawn.
    """
    rng = random.Random(seed)
    cells = [
        (INTENTS[i % len(INTENTS)], CHANNELS[(i // len(INTENTS)) % len(CHANNELS)]) for i in range(n)
    ]
    rng.shuffle(cells)
    seen: set[str] = set()
    examples: list[Example] = []
    step = max(1, n // 100)
    for index, (intent, channel) in enumerate(cells):
        example = generate_one(intent, channel, rng)
        for _ in range(20):
            if example.text.lower() not in seen:
                break
            example = generate_one(intent, channel, rng)
        seen.add(example.text.lower())
        examples.append(example)
        if progress is not None and ((index + 1) % step == 0 or index + 1 == n):
            progress(index + 1, n)
    return examples
