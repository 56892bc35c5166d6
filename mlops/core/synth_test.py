"""Offline synthetic generator for the held-out TEST set.

Deliberately independent of synth_train.py (which it never imports): its own phrase bank, its
own vocabularies (different doctors, conditions, medications, insurers, procedures, pharmacies),
its own abbreviation set (w/ & hrs BTW IDK plz b4 2day ...), its own misspellings and its own
channel dressing. It also leans the other way on content: more medically specific, longer and
more rambling, the way the reference's Claude-written test set differed from its GPT-written
training set. A model scored on this data is measured on generalisation, not on recall of one
generator's style.

Mechanics: phrases use ``[a|b|]`` for alternatives (nested, empty = optional) and ``$slot`` for
vocabulary; a message is a plan of beats (backstory, the ask, elaborations, asides) joined by
spoken-style connectors when it rambles.

Labels follow ../shared/design/TAXONOMY.md including its disambiguation rules.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from clarioscope.taxonomy import CHANNELS, INTENTS
from mlops.core.data import Example

# --------------------------------------------------------------------------------------------
# Phrase filler: "[a|b]" alternatives (innermost first), "$slot" vocabulary.
# --------------------------------------------------------------------------------------------

_ALT_RE = re.compile(r"\[([^\[\]]*)\]")
_SLOT_RE = re.compile(r"\$([a-z_]+)")

# Values kept for the whole message so one message talks about one doctor, one drug, one child.
_KEEP = ("doc", "first", "last", "drug", "plan", "child", "clinic", "proc", "dx", "when_past")


class _Filler:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.kept: dict[str, str] = {}

    def fill(self, phrase: str) -> str:
        for _ in range(12):
            before = phrase
            phrase = _SLOT_RE.sub(lambda m: self._value(m.group(1)), phrase)
            while True:
                expanded = _ALT_RE.sub(lambda m: self.rng.choice(m.group(1).split("|")), phrase)
                if expanded == phrase:
                    break
                phrase = expanded
            if phrase == before:
                break
        return phrase

    def _value(self, name: str) -> str:
        if name in self.kept:
            return self.kept[name]
        source = LEXICON[name]
        value = source(self.rng) if callable(source) else self.rng.choice(source)
        if name in _KEEP:
            self.kept[name] = value
        return value


def _money(rng: random.Random) -> str:
    cents = rng.choice(["", "", "", ".40", ".99", ".12", ".00"])
    return f"${rng.choice([rng.randint(60, 950), rng.randint(300, 5200)])}{cents}"


def _copay(rng: random.Random) -> str:
    return f"${rng.choice([5, 12, 18, 25, 45, 55, 65, 80, 100])}"


def _fever(rng: random.Random) -> str:
    return rng.choice(["100.4", "101.8", "102.3", "103", "103.5", "104.1", "39.2C", "38.7"])


def _callback(rng: random.Random) -> str:
    return f"({rng.randint(210, 980)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"


def _when_past(rng: random.Random) -> str:
    month = rng.choice(["Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov"])
    # A whole time adverbial: it reads right after a verb phrase without a preposition.
    return rng.choice(
        [
            f"on {month} {rng.randint(1, 28)}",
            f"on {rng.randint(1, 12)}-{rng.randint(1, 28)}",
            f"on the {rng.choice(['3rd', '9th', '12th', '17th', '22nd', '30th'])}",
            "last Thursday",
            "two weeks ago",
            "back in the spring",
            "the week before last",
            "over the holidays",
        ]
    )


def _dob(rng: random.Random) -> str:
    return f"{rng.randint(1, 12)}-{rng.randint(1, 28)}-{rng.randint(1944, 2004)}"


def _sent_stamp(rng: random.Random) -> str:
    day = rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])
    return f"{day}, {rng.choice(['March', 'May', 'October', 'January'])} {rng.randint(1, 28)}"


def _clock(rng: random.Random) -> str:
    hour = rng.choice([7, 8, 9, 11, 12, 1, 2, 4, 5])
    minutes = rng.choice(["", ":10", ":20", ":30", ":40", ":50"])
    half = "am" if hour >= 7 and hour != 12 else "pm"
    return f"{hour}{minutes}{rng.choice(['', half, ' ' + half.upper()])}"


def _hours(rng: random.Random) -> str:
    return rng.choice(["3", "4", "5", "6", "9", "11", "14", "three", "five", "eight"])


# fmt: off
LEXICON: dict[str, list[str] | Callable[[random.Random], str]] = {
    "doc": [
        "Dr. Abara", "Dr. Vance", "Dr. Halvorsen", "Dr. Mbeki", "Dr. Quintero", "Dr. Feldman",
        "Dr. Ruiz-Ortega", "Dr. Oyelaran", "Dr. Szabo", "Dr. Lachance", "Dr. Estrada",
        "Dr. Nakamura", "Dr. Petrov", "Dr. Ferreira", "Dr. Holloway", "Dr. Devereaux",
        "Dr. Ashworth", "Dr. Iyer", "Dr. Zielinski", "Dr. McAllister", "Dr Khan", "Dr Okoro",
        "Dr. Blackwood", "Dr. Sundberg",
    ],
    "first": [
        "Beatriz", "Colin", "Dmitri", "Esther", "Farah", "Gideon", "Imogen", "Jamal", "Kiran",
        "Lorenzo", "Marisol", "Nadia", "Orla", "Pedro", "Quinn", "Rosalind", "Siobhan", "Tobias",
        "Uma", "Vikram", "Winifred", "Xavier", "Yusuf", "Zara", "Agnes", "Bernard", "Clementine",
        "Desmond", "Lorraine", "Hector",
    ],
    "last": [
        "Okonkwo", "Fitzgerald", "Novak", "Lindgren", "Castellanos", "Hughes", "Pemberton",
        "Da Silva", "Bergstrom", "Kowalczyk", "Ferris", "Rahman", "Sato", "Mwangi", "Ortiz",
        "Delacroix", "Bianchi", "Oduya", "MacLeod", "Varga",
    ],
    "plan": [
        "Anthem", "Oscar", "Ambetter", "Tricare", "Medicare", "a Medicare Advantage plan",
        "Molina", "Highmark", "WellCare", "Premera", "Harvard Pilgrim", "Geisinger", "BUPA",
        "AXA Health", "Vitality", "Guardian dental", "an HMO through my job", "a marketplace plan",
    ],
    "dx": [
        "COPD", "atrial fibrillation", "Hashimoto's", "rosacea", "Crohn's disease",
        "fibromyalgia", "sciatica", "PCOS", "endometriosis", "celiac disease", "lupus",
        "tinnitus", "vertigo", "Graves' disease", "diverticulitis", "kidney stones",
        "rheumatoid arthritis", "ulcerative colitis", "gestational diabetes", "a heart murmur",
        "osteoporosis", "carpal tunnel", "TMJ", "Raynaud's", "chronic kidney disease",
        "peripheral neuropathy", "a hiatal hernia", "interstitial cystitis",
    ],
    "drug": [
        "metoprolol", "Eliquis", "Synthroid", "pantoprazole", "Lexapro", "montelukast", "Humira",
        "methotrexate", "hydroxychloroquine", "Ozempic", "Jardiance", "tramadol",
        "cyclobenzaprine", "doxycycline", "nitrofurantoin", "spironolactone", "sumatriptan",
        "tamsulosin", "warfarin", "Wegovy", "Mounjaro", "Wellbutrin", "Xarelto", "clindamycin",
        "Valtrex", "buspirone", "propranolol", "Trulicity", "Symbicort", "Cymbalta",
    ],
    "shelf": [
        "naproxen", "Sudafed", "Zyrtec", "Pepcid", "Imodium", "NyQuil", "Motrin", "Excedrin",
        "Tums", "fish oil", "magnesium", "paracetamol", "Gaviscon", "a probiotic", "turmeric",
    ],
    "proc": [
        "echocardiogram", "endoscopy", "CT scan", "DEXA scan", "cortisone injection",
        "wisdom tooth extraction", "Invisalign consult", "IUD insertion", "colposcopy",
        "sleep study", "stress test", "EKG", "cataract evaluation", "Holter monitor",
        "nerve conduction study", "lipid panel", "thyroid ultrasound", "punch biopsy",
        "Botox appointment", "dental implant", "bone density scan", "hearing test",
        "spirometry test", "allergy shots", "laser hair removal", "chemical peel",
        "gum graft", "TB test", "hep B shot", "prenatal ultrasound",
    ],
    "flare_dx": [
        "Crohn's", "lupus", "rheumatoid arthritis", "ulcerative colitis", "fibromyalgia",
        "rosacea", "diverticulitis", "sciatica", "endometriosis", "COPD", "interstitial cystitis",
    ],
    "other_proc": [
        "CT scan", "DEXA scan", "sleep study", "stress test", "hearing test", "chemical peel",
        "Invisalign consult", "dental implant", "bone density scan", "endoscopy",
    ],
    "scope": [
        "endoscopy", "colposcopy", "punch biopsy", "wisdom tooth extraction", "dental implant",
        "cortisone injection", "gum graft", "cyst drainage", "IUD insertion", "laser treatment",
    ],
    "chemist": [
        "Boots", "the Publix pharmacy", "Safeway", "H-E-B", "Duane Reade", "Target pharmacy",
        "Express Scripts", "the hospital pharmacy", "Lloyds", "the Giant Eagle pharmacy",
    ],
    "clinic": [
        "Willow Creek Internal Medicine", "Hawthorne Smiles", "Crescent Pediatric Associates",
        "Silverline Dermatology", "Copperfield Cardiology", "Greenway Medical Group",
        "Foxhollow Family Practice", "Aspen Ridge OB/GYN", "Larkspur Dental Studio",
        "Parkside Surgery", "Juniper Health Partners",
    ],
    "specialty_doc": [
        "rheumatologist", "pulmonologist", "gastroenterologist", "urologist", "hematologist",
        "nephrologist", "sleep specialist", "pain management", "occupational therapy",
        "vascular surgeon",
    ],
    "kind_of_doc": [
        "internist", "family practice doctor", "pediatric dentist", "OBGYN", "dermatology office",
        "GP practice", "primary care physician", "general dentist", "PCP", "children's doctor",
    ],
    "child": [
        "my 18 month old", "my 5yo", "my eight year old", "my newborn", "one of our twins",
        "my step daughter", "my 12 year old son", "my youngest", "my preschooler", "the baby",
    ],
    "relative": [
        "my mother in law", "my elderly mom", "my fiance", "my grandmother", "my brother",
        "my father", "my aunt", "my husband", "my teenage daughter",
    ],
    "nhs_rel": [
        "my mum", "my elderly mother", "my father in law", "my gran", "my partner", "my son",
        "my 90 year old nan", "my wife", "my disabled brother",
    ],
    "nhs_place": [
        "A&E", "the Royal Infirmary", "the surgery", "the medical assessment unit",
        "the fracture clinic", "the day surgery unit", "the children's ward", "the eye clinic",
        "the walk in centre", "the discharge lounge",
    ],
    "town": [
        "Portland", "Raleigh", "San Antonio", "Boise", "the Bay Area", "Minneapolis", "Tucson",
        "Pittsburgh", "Sacramento", "Baltimore", "the UK",
    ],
    "weekday": [
        "Mon", "Tues", "Wed", "Thurs", "Fri", "Monday", "Wednesday", "Friday", "Tuesday",
        "this weekend", "Thursday",
    ],
    "slot_when": [
        "$weekday", "$weekday afternoon", "the week of the $nth", "$weekday at $clock",
        "any day next week", "first thing $weekday", "later this month", "Tues or Thurs",
        "before the end of the month", "around $clock on $weekday",
    ],
    "nth": ["8th", "15th", "19th", "23rd", "27th", "2nd"],
    "clock": _clock,
    "money": _money,
    "copay": _copay,
    "fever": _fever,
    "callback": _callback,
    "when_past": _when_past,
    "dob": _dob,
    "sent_stamp": _sent_stamp,
    "hours": _hours,
    "for_how_long": [
        "the past 48 hrs", "almost a week", "two nights", "three days now", "ten days",
        "most of the week", "the last 36 hours", "a couple of weeks", "four days straight",
        "about a month on and off",
    ],
    "sx": [
        "a throbbing pain behind my left eye", "a sharp stabbing pain in my lower abdomen",
        "a raw throat and I can't swallow", "heart palpitations", "a high temperature",
        "swollen glands in my neck", "blood in my stool", "a burning sensation when urinating",
        "a persistent dry cough", "constant nausea", "stiff, swollen joints",
        "pins and needles in my feet", "vision that keeps going blurry",
        "a rash with little blisters", "bleeding gums", "an ankle that's ballooned up",
        "heartburn every single night", "a big toe that's red and hot", "night sweats",
        "a lump in my armpit", "wheezing at night", "a ringing in my ears that won't stop",
        "a migraine with an aura", "a racing heartbeat", "severe bloating",
        "chills and body aches",
    ],
    "sx_part": [
        "lower back", "right hip", "left shoulder", "ribs", "wrist", "big toe", "jaw", "neck",
        "tailbone", "calf", "collarbone", "forearm", "groin", "abdomen",
    ],
    "adverse": [
        "hives", "swollen ankles", "a metallic taste and vomiting", "terrible insomnia",
        "a pounding heart", "bruising all over", "cramping in my legs", "blurred vision",
        "a hacking cough", "hair falling out in clumps", "a migraine every day",
    ],
    "emergency": [
        "crushing pressure in my chest", "one side of my face feels numb",
        "I'm struggling to breathe", "my lips are swelling up", "I'm coughing up blood",
        "my baby hasn't kicked since last night",
        "I can't stop the bleeding",
    ],
    "paperwork": [
        "a jury duty excuse", "a handicap placard form", "a return to work letter",
        "an ESA form", "a fit note", "a letter for my landlord", "a school medication form",
        "a TSA letter for my insulin pump", "an emotional support animal letter",
        "a travel vaccination certificate",
    ],
    "records_kind": [
        "my vaccination history", "my chart", "the CT images on a disc", "my pathology report",
        "my echo results", "my child's immunisation record", "my operative notes",
        "my full medical file", "the radiology report",
    ],
    "lab_kind": [
        "lipid panel", "CBC", "TSH", "metabolic panel", "INR", "vitamin D level",
        "urinalysis", "PSA", "ferritin", "hemoglobin A1c",
    ],
}
# fmt: on


# --------------------------------------------------------------------------------------------
# Beats per intent.  Each builder returns the message's beats in polished form.
# --------------------------------------------------------------------------------------------

Beats = list[str]

_SOFT_CLOSERS = (
    "[Appreciate it|Appreciate any help|Thanks a bunch|Many thanks in advance].",
    "[Feel free to|You can] [reach|call|text] me at $callback.",
    "[Looking forward to hearing back|Hope to hear from you soon].",
    "Sorry for the [long|rambling] message.",
    "[Whenever someone gets a chance|No huge rush] [is fine|works].",
)


def _maybe(rng: random.Random, prob: float, f: _Filler, options: tuple[str, ...]) -> Beats:
    return [f.fill(rng.choice(options))] if rng.random() < prob else []


def _some(rng: random.Random, f: _Filler, options: tuple[str, ...], most: int) -> Beats:
    k = rng.randint(0, min(most, len(options)))
    return [f.fill(o) for o in rng.sample(options, k)]


_NP_LEAD = (
    "[We're|My family is] relocating from $town [in a few weeks|this summer|next month] and"
    " [I'm trying to line up|we need] a new $kind_of_doc[ before we arrive|].",
    "Is your office [open to|currently open to] new patients? [I'm|I am] [hoping to|trying to]"
    " find a $kind_of_doc [who|that] [has experience with|understands] $dx.",
    "[Hello, I|I] [saw|found] $doc on [Zocdoc|Google|your website|a neighborhood Facebook group]"
    " and I'd like to [become a patient|join the practice|sign up as a new patient].",
    "My previous $kind_of_doc [retired|closed the practice|moved out of state] so [I need|I'm"
    " looking for] somewhere [new|to go], [are you taking new people|do you have room for new"
    " patients]?",
    "[Can|Could] you tell me [the process|how it works] to [register|enroll|get established] as a"
    " new patient at $clinic?",
    "I'd like to register [myself and|] $child [with|at] the practice[, we just moved to the"
    " catchment area|].",
    "Hi, [first time reaching out|never been a patient there before] - [is|does] $doc [still"
    " accepting|take] new patients?",
    "[Is there a waiting list|Do you have a waitlist] for new patients [at the moment|right now]?",
)
_NP_MORE = (
    "I'm on $plan[, hopefully that's in network|, do you accept it|].",
    "I have $dx [and will need|so I'd need] someone to [manage it|keep an eye on it] long term.",
    "[If you are|If so], [can I|I'd love to] [grab|book] [the first|an initial] new patient slot"
    " [available|you have][, $slot_when ideally|].",
    "Do I need a referral [or can I just sign up|first]?",
    "[What info do you need from me|What should I bring] [to get registered|for the intake]?",
    "I'd need my chart [sent over|transferred] from my old practice in $town.",
    "[Do you offer telehealth for established care|Are any of your doctors women]?",
)


def _new_patient(rng: random.Random, f: _Filler) -> Beats:
    beats = [f.fill(rng.choice(_NP_LEAD))]
    beats += _some(rng, f, _NP_MORE, 3)
    return beats + _maybe(rng, 0.3, f, _SOFT_CLOSERS)


_EP_LEAD_CTX = (
    "[I've been|I'm] a patient of $doc [for years|since 2019|for a while now].",
    "[Background|Context]: I [have|was diagnosed with] $dx and I'm on $drug.",
    "I had my $proc [with you guys|there] $when_past.",
    "[This is|It's] $first $last, [DOB on file|existing patient].",
)
_EP_ASK = (
    "[Could|Can] someone [send|release] $records_kind to $clinic[ before my consult|]?",
    "I need $paperwork [completed|signed] by $doc[ by $weekday|, the form is in the portal|].",
    "[My|The] portal [account|app] [keeps saying my password is wrong|won't load my $lab_kind"
    " results|locked me out after the update].",
    "[Can you|Could you] [renew|refill] my $drug [and send it|] to $chemist[? I'm down to a few"
    " days' supply|]?",
    "Is $drug [ok|safe] to [take|combine] with $shelf? [Not having any issues|No side effects or"
    " anything], just [want to be careful|double checking].",
    "[Are|Is] my $lab_kind [results|numbers] [in yet|back yet|posted anywhere]? [I feel fine|No"
    " symptoms at all], just [curious|wanted to see them].",
    "[Should|Do] I [hold|skip] my $drug [the morning of|the day before] my $proc?",
    "What did $doc [mean|want] [by|with] [the note|the comment] in my visit summary about my"
    " $lab_kind?",
    "Has the referral to the $specialty_doc [gone through|been faxed|been authorized by $plan]?",
    "[I|We] changed insurance to $plan, [do you need|should I upload] the new card?",
    "[Can I|Is it alright to] [fly|go on a cruise|get my COVID shot|start lifting again] while on"
    " $drug? [No problems|Feeling great], just [checking|want to be sure].",
    "[What were|Can you remind me of] $doc's instructions [after|following] my $proc?",
    "[I lost|I can't find] the [paper|printout] with my $drug dosing schedule, [can you resend"
    " it|what was it again]?",
    "Is there a generic for $drug? [My pharmacy|$chemist] [says|said] it's [pricey|on backorder].",
)


def _existing(rng: random.Random, f: _Filler) -> Beats:
    beats = _maybe(rng, 0.45, f, _EP_LEAD_CTX)
    beats.append(f.fill(rng.choice(_EP_ASK)))
    if rng.random() < 0.35:
        beats.append(f.fill(rng.choice(_EP_ASK)))
    beats += _maybe(
        rng,
        0.3,
        f,
        (
            "[Not urgent|No rush] at all.",
            "[Nothing urgent|All good health wise], [just admin stuff|just a question].",
        ),
    )
    return beats + _maybe(rng, 0.3, f, _SOFT_CLOSERS)


_AP_ASK = (
    "[I'd like to|Looking to|Hoping to] [set up|grab|lock in] [a time|a slot|an appointment] with"
    " $doc [for|on] $slot_when.",
    "[Can|Could] you [squeeze|fit] me in [for my $proc|for a follow up w/ $doc|] $slot_when?",
    "[Need|I need] to [move|switch|bump] my $proc [from $weekday|] to $slot_when[ if there's"
    " room|].",
    "Please cancel [my|$child's] [visit|appointment] [for|on] $weekday[, we'll rebook later|"
    ", something came up at work|].",
    "[Running|I'm running] [behind|late], [should be there|will arrive] by $clock[, is that"
    " alright|].",
    "[What time did you|Did you] [put me down for|book me for] $weekday? [I wrote it down but"
    " lost the card|I can't find the reminder].",
    "[Could|Can] I book $child in for [their|the] [vaccines|school check|dental check up]"
    " $slot_when?",
    "I'm [due|overdue] for my [$proc|six month check|yearly exam], [anything|any openings]"
    " $slot_when?",
    "[I'd like to|I want to] make an appointment [to see|with] $doc[ please|].",
    "[Book|Schedule] me [for|with] the dentist [on|for] $slot_when[ please|].",
    "[Is there|Do you have] an opening with $doc $slot_when?",
    "[Can I|Could I] [get|have] [a|an] [appointment|booking] [with the doctor|with my GP]"
    " $slot_when?",
    "$doc [asked|told] me to [come back|book a follow up] in [3 weeks|a month|six weeks],"
    " [what do you have|can you find a slot]?",
    "[Yes|Yep], [confirming|I confirm] $weekday at $clock[ for $child|].",
)
_AP_MORE = (
    "[Only|Ideally] [afternoons|mornings|after school hours] [work|are possible] for me.",
    "I'm [an existing|a current] patient, [DOB|born] $dob.",
    "[If|In case] nothing's open, [please put me on|add me to] the cancellation list.",
    "[It's|This is] [just|] for [a recheck|a routine visit|my annual|the follow up on my $dx].",
    "[Telehealth|A video visit] [would be fine too|is ok].",
)


def _appointment(rng: random.Random, f: _Filler) -> Beats:
    beats = [f.fill(rng.choice(_AP_ASK))]
    beats += _some(rng, f, _AP_MORE, 2)
    return beats + _maybe(rng, 0.25, f, _SOFT_CLOSERS)


_BI_CTX = (
    "I [was seen|had my $proc] [there|at $clinic] $when_past[ and paid my copay|].",
    "[My|Our] [account|statement] [just came|arrived] in the mail[ today|].",
    "[Regarding|Re] [my|$child's] [visit|$proc] $when_past.",
)
_BI_ASK = (
    "[The|This] [statement|invoice|bill] [says|shows] I owe $money but $plan [already|]"
    " [paid|covered] [most of it|the claim] according to [my EOB|their app].",
    "[Why am I being|Why was I|How come I was] [charged|billed] $money for [the|my] $proc when"
    " my copay"
    " is $copay?",
    "[I think|Pretty sure] [I was|we were] [double billed|billed twice]"
    " for [the|my] [visit|$proc] $when_past.",
    "[Can|Could] I [split|break] [the|my] $money [balance|bill] into [monthly payments|a payment"
    " plan|installments]?",
    "[I overpaid|There's a credit on my account] [by|of] $money, [when will the refund go"
    " out|can you refund it to my card]?",
    "[The|My] claim for the $proc [got|was] [denied|kicked back] by $plan - [was it coded"
    " right|can you resubmit it|what do I do]?",
    "[I'd like|I need] an itemized [statement|bill] [for|of] [my|the] $proc [for my HSA|for"
    " $plan|to submit myself|].",
    "[Got|Received] a [collections letter|past due notice] for $money [that I|but I] [paid in"
    " full|already settled] $when_past[, can you check|].",
    "[What|Which] [code|charge] is the $money [line|item] [on|from] my [invoice|statement] for?",
    "[Can I|How can I] pay [my|the] outstanding balance [by card over the phone|through the"
    " portal|w/ my FSA card]?",
    "[You|Your office] billed the wrong insurance for my $proc, I [switched to|have] $plan now.",
)


def _billing(rng: random.Random, f: _Filler) -> Beats:
    beats = _maybe(rng, 0.45, f, _BI_CTX)
    beats.append(f.fill(rng.choice(_BI_ASK)))
    beats += _maybe(
        rng,
        0.3,
        f,
        (
            "[My|The] account number is [A|B|C]-$copay[09|17|44].",
            "[Please|Kindly] [look into it|advise].",
        ),
    )
    return beats + _maybe(rng, 0.25, f, _SOFT_CLOSERS)


_CC_CTX = (
    "[I have|I've got|I live with] $dx [and|but] this [feels different|is new].",
    "[For context|Background], I'm on $drug for $dx.",
    "[I saw|We saw|I was seen by|We were seen by] $doc $when_past [for something else|for a"
    " routine visit].",
)
_CC_CORE = (
    "I've [had|been dealing with] $sx for $for_how_long[ and it's getting worse|, nothing helps|].",
    "$child [is running|spiked] a [fever|temp] of $fever [since last night|for $for_how_long|]"
    "[ and is lethargic| and won't drink| and has a barking cough|].",
    "[Ever since|Since] I started $drug I've [had|developed] $adverse.",
    "[The site of my|My] $scope [is|looks] [red, swollen and warm|infected|like it's oozing"
    " pus] [and hurts more each day|].",
    "My $flare_dx [is flaring|flared up again] [badly|really badly], [$sx|I can barely function].",
    "I [fell|slipped|tripped] [on the ice|down the stairs|at the gym] and my $sx_part [is"
    " swollen|is bruised and throbbing|makes a clicking noise now].",
    "$relative [has|woke up with] $sx and [seems confused|is very weak|can't keep food down].",
    "[Right now|At the moment] $emergency.",
    "My [home BP cuff|blood pressure monitor] [says|keeps showing] [190/110|185 over 120] and"
    " I feel [awful|off|like my head is going to burst].",
    "My [glucose|sugar] [reading|meter] [says|shows] [42|over 300|HI] and I'm [sweaty and"
    " shaky|so thirsty|confused].",
)
_CC_BARE = (
    "I've got a sharp pain in my $sx_part.",
    "My head is throbbing and I feel sick.",
    "There is a burning feeling in my [stomach|chest|throat].",
    "I keep feeling faint when I get up.",
    "My skin is really itchy and red.",
    "My $sx_part aches whenever I [move|raise my arm|bend down].",
    "I have a pain in my heel when I stand.",
    "My throat is so sore I can barely talk.",
    "I feel very tired and my muscles ache.",
    "I can feel my heart pounding[ for no reason|].",
    "It feels like something is stuck in my throat.",
    "There's a [dull|constant] ache in my $sx_part.",
    "My foot feels numb[ and tingly|].",
    "I'm coughing up [green|yellow] [stuff|mucus].",
    "I [twisted|wrenched] my $sx_part and it's [swelling|killing me].",
    "I feel [nauseous|queasy] and [shaky|light headed].",
    "My [eyes|eye] [are|is] [burning|watering] and [sensitive to light|blurry].",
    "I have a [cold|fever] and my whole body hurts.",
)
_CC_ASK = (
    "[Do I need to|Should I] [be seen today|go to A&E|go to the ER|come in]?",
    "[Can|Could] a [nurse|clinician] [ring|call] me [back|] [ASAP|today|this afternoon]?",
    "[Is this|Could this be] [serious|an infection|something bad]?",
    "[What do you recommend|What should I do], [wait it out or|or should I] go to urgent care?",
)


def _clinical(rng: random.Random, f: _Filler) -> Beats:
    if rng.random() < 0.3:
        beats = [f.fill(rng.choice(_CC_BARE))]
        if rng.random() < 0.3:
            beats.append(f.fill(rng.choice(_CC_BARE)))
        return beats
    beats = _maybe(rng, 0.4, f, _CC_CTX)
    beats.append(f.fill(rng.choice(_CC_CORE)))
    beats += _maybe(
        rng,
        0.35,
        f,
        (
            "[I tried|Already took] $shelf [but it did nothing|with no luck|and it barely helped].",
            "[It's|The pain is] [like an 8|about a 6|9] out of 10.",
            "[I'm|We're] [worried|scared|freaking out a bit].",
        ),
    )
    return beats + _maybe(rng, 0.65, f, _CC_ASK)


_CO_CORE = (
    "I [was kept|sat] on hold for [40|55|70] minutes [only to be|and then got] [disconnected"
    "|transferred to a voicemail box that's full].",
    "[Your|The] billing department keeps giving me the runaround about a $money charge"
    "[ and I'm done|, nobody will own it|].",
    "[Your|The] hygienist was [rough|careless] and my gums [bled for hours|are still sore] -"
    " nobody [warned me|listened when I said stop].",
    "$doc was [dismissive|condescending|patronizing] about my $dx and [didn't even examine me"
    "|cut me off mid sentence|rolled their eyes].",
    "[Three|Four] [weeks|calls|messages] and [still|STILL] nobody has [sent|faxed] my $records_kind"
    " [anywhere|to $clinic].",
    "I [showed up|arrived] for my $proc and [was told|found out] it [had been cancelled|wasn't"
    " on the books] - [nobody called|no notice at all].",
    "I [have been|was] [vomiting|in agony] for $for_how_long and [your nurse line|the on call"
    " service] [never called back|told me to drink water and hung up]. [This is|That is]"
    " [negligent|disgraceful].",
    "[For the third time|Yet again], my $drug [refill|prescription] [was never sent|went to"
    " the wrong pharmacy] and I've been without it for $for_how_long.",
    "[I'm appalled|I am disgusted] by [how|the way] [the staff|your front office|$doc] [spoke"
    " to|treated] $relative [during|at] [the|their] visit.",
    "[You|Your office] sent my account to collections over $money [while|when] the claim was"
    " still pending with $plan[. Unbelievable|].",
    "The [wait|wait times] [at|in] your [office|lobby] [are|is] [absurd|unacceptable], [I|we]"
    " waited $hours hours [with a sick kid|past our time].",
)
_CO_NHS = (
    "Sat [in the corridor|on a trolley] in A&E for $hours hours [with no food or water|before"
    " anyone saw me], absolutely [shocking|disgraceful].",
    "Doctors [didn't|did not] [communicate|talk] with each other [and I had to repeat my"
    " history|so we got told three different things].",
    "Nurses [ignored|did not answer] $nhs_rel's call bell [for ages|for over an hour].",
    "Sent home from $nhs_place with nothing but paracetamol[ and no explanation|].",
    "No one explained the [delay|hold up|wait][ to us|], we were left in the dark.",
    "The consultant was [patronising|arrogant|rude] and [didn't|wouldn't] answer our questions.",
    "[Appalling|Awful] attitude from the receptionist at $nhs_place.",
    "Had to chase up my [results|referral] myself, [the organisation|the communication] is"
    " [shocking|non-existent].",
    "[My|$nhs_rel's] operation was cancelled on the day[ after fasting since midnight|].",
    "[The hospital|They] lost my referral and [I've|we've] had to start again.",
    "Car park charges are [extortionate|a disgrace] and [there's never a space|the machines are"
    " always broken].",
    "[The|An] ambulance took $hours hours [to come|to arrive] for $nhs_rel[ who had fallen|].",
    "Meals [arrived|were served] cold [and|or] [not at all|late], nobody helped $nhs_rel eat.",
    "[Not able to|Can't] get a GP appointment for [three|four] weeks, [ridiculous|it's a joke].",
    "Phoned 111 and waited for a call back that never came.",
    "Discharge took all day[ waiting for medication from pharmacy|, waiting on paperwork].",
    "[Lack of|No] privacy [on the ward|in the cubicles], everyone could hear.",
    "Poor hygiene on the ward, [bins overflowing|toilets not cleaned|blood on the floor].",
    "[Could not|Couldn't] get through to the switchboard [all day|for hours].",
    "Staff were [chatting|talking] amongst themselves and ignoring patients.",
    "[Waiting times are|The wait was] [far too long|terrible] and the [behaviour|attitude] of"
    " some staff [is|was] unacceptable.",
    "[Nobody|No-one] [listened|would listen] to [us|me] about $nhs_rel's [pain|condition].",
)
_CO_TAIL = (
    "[I expect|I want] [a written response|an explanation|a formal apology].",
    "[I'll be|I am] [posting a review|filing a grievance|reporting this to the state board].",
    "[Honestly|Frankly] [this is|it's] the worst [care|service] I've [ever had|received].",
    "[We|I] [deserve|expected] [better|far better] than this.",
    "[Please pass this to|I'd like this escalated to] [PALS|the practice manager|whoever is in"
    " charge].",
)


def _complaint(rng: random.Random, f: _Filler) -> Beats:
    if rng.random() < 0.35:
        beats = [f.fill(rng.choice(_CO_NHS))]
        if rng.random() < 0.4:
            beats.append(f.fill(rng.choice(_CO_NHS)))
    else:
        beats = [f.fill(rng.choice(_CO_CORE))]
    return beats + _some(rng, f, _CO_TAIL, 2)


_PS_CTX = (
    "[I'm|I am] [self-employed|between jobs|on a high deductible plan] and [pricing things"
    " out|comparing a few offices].",
    "[Haven't|I haven't] decided [where to go|on a provider] yet[, just gathering quotes|].",
    "[Not a patient|Not yet a patient], [just|only] [researching|looking at] costs.",
)
_PS_ASK = (
    "What's your [cash|self-pay|out of pocket] [price|rate] for [a|an] $proc?",
    "[Roughly|Approximately] what would [a|an] $proc [run|cost] [with|under] $plan?",
    "[How much|What] do you charge for a new patient [consult|evaluation|visit] [w/o|without]"
    " insurance?",
    "[Could you|Can you] [give|send] me a [quote|price estimate|good faith estimate] for [a|an]"
    " $proc [before I decide|ahead of time]?",
    "[Is there|Do you have] a [cheaper|discounted] rate [if I pay|for paying] [upfront|cash]"
    " [for a $proc|]?",
    "[Ballpark|Ballpark figure], how much is [Invisalign|a dental implant|laser hair removal|a"
    " chemical peel|Botox] at your [clinic|practice]?",
    "[What's|What is] the [price|cost] [difference|range] between [a|an] $proc and [a|an]"
    " $other_proc?",
    "How much [is|would] [a|an] [sports physical|telehealth visit|$proc] [be|cost] if I'm"
    " uninsured?",
)


def _price_shopper(rng: random.Random, f: _Filler) -> Beats:
    beats = _maybe(rng, 0.45, f, _PS_CTX)
    beats.append(f.fill(rng.choice(_PS_ASK)))
    beats += _maybe(
        rng,
        0.35,
        f,
        (
            "[Not booking|Not ready to book] [anything|] yet.",
            "[Just|Only] need a [number|range] for now.",
        ),
    )
    return beats + _maybe(rng, 0.2, f, _SOFT_CLOSERS)


_BUILDERS: dict[str, Callable[[random.Random, _Filler], Beats]] = {
    "new_patient_inquiry": _new_patient,
    "existing_patient_question": _existing,
    "appointment_request": _appointment,
    "billing_inquiry": _billing,
    "clinical_concern": _clinical,
    "complaint": _complaint,
    "price_shopper": _price_shopper,
}

# --------------------------------------------------------------------------------------------
# Style and channel, with the test set's own abbreviation set and misspellings.
# --------------------------------------------------------------------------------------------

_MIX: dict[str, tuple[float, float]] = {  # (polished, polished + casual) per channel
    "email": (0.62, 0.90),
    "web_form": (0.55, 0.88),
    "chat": (0.33, 0.78),
    "sms": (0.14, 0.62),
    "voicemail": (0.36, 0.76),
}

_SHORTHAND = (
    (re.compile(r"\bwith\b"), "w/"),
    (re.compile(r"\band\b"), "&"),
    (re.compile(r"\bhours\b"), "hrs"),
    (re.compile(r"\bplease\b", re.I), "plz"),
    (re.compile(r"\bbefore\b"), "b4"),
    (re.compile(r"\btoday\b"), "2day"),
    (re.compile(r"\btomorrow\b"), "2moro"),
    (re.compile(r"\bweeks\b"), "wks"),
    (re.compile(r"\bminutes\b"), "mins"),
    (re.compile(r"\bpeople\b"), "ppl"),
    (re.compile(r"\bthrough\b"), "thru"),
    (re.compile(r"\bthough\b"), "tho"),
    (re.compile(r"\bright now\b"), "rn"),
    (re.compile(r"\bbecause\b"), "bc"),
    (re.compile(r"\bas soon as possible\b"), "ASAP"),
    (re.compile(r"\bwithout\b"), "w/o"),
    (re.compile(r"\bsomething\b"), "smth"),
)
_ASIDES = ("BTW", "IDK", "FYI", "TBH", "IMO")

_MISSPELL = {
    "to": "too",
    "of": "off",
    "than": "then",
    "advice": "advise",
    "breathe": "breath",
    "definitely": "defiantly",
    "probably": "probly",
    "stomach": "stomache",
    "receptionist": "recepcionist",
    "allergic": "alergic",
    "temperature": "temprature",
    "separate": "seperate",
    "really": "realy",
    "because": "becuase",
    "tomorrow": "tommorow",
    "necessary": "neccesary",
    "schedule": "shedule",
    "believe": "beleive",
    "weird": "wierd",
    "which": "wich",
    "received": "recieved",
    "prescribed": "perscribed",
    "surgery": "surgury",
    "nauseous": "nautious",
    "dizzy": "dizy",
    "swollen": "swolen",
    "referral": "referal",
}

_CAPS_BURSTS = (
    "THIS IS URGENT",
    "ASAP",
    "HELP",
    "NOT HAPPY",
    "STILL WAITING",
    "WHY",
    "ANSWER THE PHONE",
    "EMERGENCY?",
    "SERIOUSLY",
)

_CONNECTORS = (
    " and ",
    " so ",
    " anyway ",
    " also ",
    " but yeah ",
    " plus ",
    " oh and ",
    ", ",
    " and then ",
    " like ",
)


def _squash_case(s: str) -> str:
    return s[:1].lower() + s[1:] if s[:2] != "I " and not s[:2].isupper() else s


def _garble(word: str, rng: random.Random) -> str:
    """A keyboard slip of the test generator's own kind: vowel dropped or letter stretched."""
    if len(word) < 5 or not word.isalpha():
        return word
    if rng.random() < 0.5:
        vowels = [i for i, c in enumerate(word[1:-1], 1) if c in "aeiou"]
        if vowels:
            i = rng.choice(vowels)
            return word[:i] + word[i + 1 :]
    i = rng.randint(1, len(word) - 2)
    return word[:i] + word[i] * rng.randint(2, 3) + word[i + 1 :]


def _mess_words(text: str, rng: random.Random, rate: float) -> str:
    out = []
    for word in text.split(" "):
        core = word.strip(".,!?;:-")
        low = core.lower()
        roll = rng.random()
        if core and roll < rate and low in _MISSPELL:
            word = word.replace(core, _MISSPELL[low])
        elif core and roll < rate * 1.6:
            word = word.replace(core, _garble(core, rng))
        out.append(word)
    return " ".join(out)


def _shorthand(text: str, rng: random.Random, rate: float) -> str:
    for pattern, short in _SHORTHAND:
        if rng.random() < rate:
            text = pattern.sub(short, text)
    return text


def _apply_style(beats: Beats, style: str, channel: str, intent: str, rng: random.Random) -> str:
    if style == "polished":
        return " ".join(b[:1].upper() + b[1:] for b in beats)

    messy = style == "messy"
    if channel == "voicemail":
        return " ".join(beats)
    if messy and len(beats) > 1 and rng.random() < 0.6:
        # Rambling: beats glued with spoken connectors instead of full stops.
        text = beats[0].rstrip(".")
        for beat in beats[1:]:
            text += rng.choice(_CONNECTORS) + _squash_case(beat.rstrip("."))
    else:
        parts = [_squash_case(b) if rng.random() < (0.7 if messy else 0.45) else b for b in beats]
        text = " ".join(parts)
    if rng.random() < (0.7 if messy else 0.4):
        text = text.rstrip(".")
    text = text.replace("I am ", "I'm ").replace("do not ", "don't ").replace("It is ", "It's ")
    if messy:
        text = _shorthand(text, rng, 0.8)
        text = _mess_words(text, rng, 0.06)
        if rng.random() < 0.35:
            text = text.replace("'", "")
        if rng.random() < 0.3:
            aside = rng.choice(("not sure if that matters", "sorry", "lmk", "just saying"))
            text = f"{text} {rng.choice(_ASIDES)} {aside}"
    else:
        text = _shorthand(text, rng, 0.45 if channel in ("sms", "chat") else 0.15)
        if channel == "sms" and rng.random() < 0.25:
            text = _mess_words(text, rng, 0.03)
    loud = intent in ("complaint", "clinical_concern")
    if rng.random() < ((0.4 if loud else 0.1) if messy else (0.07 if loud else 0.01)):
        burst = rng.choice(_CAPS_BURSTS)
        text = f"{burst} {text}" if rng.random() < 0.4 else f"{text} {burst}"
    if rng.random() < (0.3 if messy else 0.1):
        text = text.rstrip(".!?") + rng.choice(("!!!", "?!", "??", " :(", "...", " !!"))
    return re.sub(r" {2,}", " ", text).strip()


_GREET = (
    "Good day,",
    "Hiya,",
    "Greetings,",
    "Hello there,",
    "Morning!",
    "Dear Sir/Madam,",
    "Hi folks,",
    "To the care team,",
    "Dear $clinic staff,",
    "Hello $doc,",
    "Afternoon,",
)
_SIGN = (
    "Warmly,",
    "All the best,",
    "Appreciate it,",
    "Respectfully,",
    "Talk soon,",
    "Thanks so much,",
    "With thanks,",
    "Yours,",
)


def _dress_email(body: str, style: str, rng: random.Random, f: _Filler) -> str:
    out: list[str] = []
    if rng.random() < {"polished": 0.8, "casual": 0.5, "messy": 0.25}[style]:
        out += [f.fill(rng.choice(_GREET)), ""]
    out.append(body)
    if rng.random() < {"polished": 0.8, "casual": 0.5, "messy": 0.25}[style]:
        out += ["", f.fill(rng.choice(_SIGN)), f.fill("$first[ $last|]")]
        if rng.random() < 0.3:
            out.append(f.fill("--\n[Mobile|Tel]: $callback"))
    if rng.random() < 0.08:
        out += [
            "",
            rng.choice(
                ("Get Outlook for iOS", "Sent from Outlook for Android", "Sent from Yahoo Mail")
            ),
        ]
    if rng.random() < 0.1:
        out += [
            "",
            "-----Original Message-----",
            f.fill("From: $clinic"),
            f.fill("Sent: $sent_stamp"),
            f.fill(
                "[We are unable to respond to medical questions by email."
                "|Your message has been received by the patient services team.]"
            ),
        ]
    return "\n".join(out)


def _dress_form(body: str, style: str, rng: random.Random, f: _Filler) -> str:
    if rng.random() < 0.5:
        rows = [f.fill("First name: $first"), f.fill("Last name: $last")]
        if rng.random() < 0.5:
            rows.append(
                f"Date of birth: {rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/"
                f"{rng.randint(1950, 2005)}"
            )
        rows.append(f"Preferred contact: {rng.choice(('Email', 'Phone', 'Text', 'Either'))}")
        rows.append(
            f"Existing patient?: {rng.choice(('Yes', 'No', 'Not sure', '-'))}"
            if rng.random() < 0.3
            else "Department: General"
        )
        rows.append(f"{rng.choice(('Your message', 'Details', 'Inquiry'))}: {body}")
        return "\n".join(rows)
    if rng.random() < {"polished": 0.35, "casual": 0.2, "messy": 0.08}[style]:
        body = f.fill("[Hello|Good day|Greetings]. ") + body
    if rng.random() < {"polished": 0.35, "casual": 0.15, "messy": 0.05}[style]:
        body += f.fill(" - $first $last")
    return body


def _dress_chat(body: str, style: str, rng: random.Random) -> str:
    if rng.random() < {"polished": 0.3, "casual": 0.2, "messy": 0.08}[style]:
        return rng.choice(("Hiya ", "Hello! ", "hey there ", "Good morning. ", "yo ")) + body
    return body


def _dress_sms(body: str, style: str, rng: random.Random, f: _Filler) -> str:
    if rng.random() < 0.1:
        body = f.fill("[Hey|Hiya] it's $first. ") + body
    if rng.random() < 0.06:
        body += " Sent from my Galaxy"
    return body


# Voicemail: the test generator's own number speech and fillers.
_DIGIT_WORDS = ("oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# fmt: off
_SMALL = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)
# fmt: on
_DECADES = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def _say(n: int) -> str:
    if n < 20:
        return _SMALL[n]
    if n < 100:
        return _DECADES[n // 10] + (f"-{_SMALL[n % 10]}" if n % 10 else "")
    if n < 1000:
        return f"{_SMALL[n // 100]} hundred" + (f" and {_say(n % 100)}" if n % 100 else "")
    return f"{_say(n // 1000)} thousand" + (f" {_say(n % 1000)}" if n % 1000 else "")


def _say_casual(n: int) -> str:
    """How people read numbers aloud: 102 -> one oh two, 1250 -> twelve fifty."""
    if 100 <= n < 10000 and n % 100:
        hi, lo = divmod(n, 100)
        return f"{_say(hi)} {'oh ' + _SMALL[lo] if lo < 10 else _say(lo)}"
    return _say(n)


def _speak(text: str, rng: random.Random) -> str:
    text = re.sub(
        r"\((\d{3})\) (\d{3})-(\d{4})",
        lambda m: ", ".join(" ".join(_DIGIT_WORDS[int(c)] for c in g) for g in m.groups()),
        text,
    )
    text = re.sub(
        r"\$(\d+)(?:\.(\d\d))?",
        lambda m: (
            _say_casual(int(m.group(1))) + " bucks"
            if rng.random() < 0.3
            else _say(int(m.group(1))) + " dollars"
        ),
        text,
    )
    text = re.sub(
        r"\b(\d{1,2}):(\d\d)\s?(am|pm|AM|PM)?",
        lambda m: (
            f"{_say(int(m.group(1)))} {_say(int(m.group(2)))}"
            + (f" {m.group(3).lower()}" if m.group(3) else "")
        ),
        text,
    )
    text = re.sub(
        r"\b(\d{1,2})(am|pm|AM|PM)\b",
        lambda m: f"{_say(int(m.group(1)))} {m.group(2).lower()}",
        text,
    )
    text = re.sub(
        r"\b(\d{3})\.(\d)\b",
        lambda m: f"{_say_casual(int(m.group(1)))} point {_SMALL[int(m.group(2))]}",
        text,
    )
    text = re.sub(
        r"\b(\d{1,2})(st|nd|rd|th)\b",
        lambda m: _nth_word(int(m.group(1))),
        text,
    )
    text = re.sub(r"\b\d+\b", lambda m: _say_casual(int(m.group(0))), text)
    return text


_NTH_SPECIAL = {
    1: "first",
    2: "second",
    3: "third",
    5: "fifth",
    8: "eighth",
    9: "ninth",
    12: "twelfth",
}


def _nth_word(n: int) -> str:
    if n in _NTH_SPECIAL:
        return _NTH_SPECIAL[n]
    if n > 20 and n % 10:
        return f"{_DECADES[n // 10]}-{_nth_word(n % 10)}"
    word = _say(n)
    return word[:-1] + "ieth" if word.endswith("y") else word + "th"


_VM_PAD = ("er", "ah", "hmm", "right", "basically", "sort of", "anyway", "uh", "um", "erm")


def _dress_voicemail(body: str, style: str, rng: random.Random, f: _Filler) -> str:
    head = f.fill(
        rng.choice(
            (
                "yes hello [it's|this is] $first $last",
                "good afternoon my name's $first",
                "hiya it's $first",
                "this message is for $doc's nurse",
                "hello [um|er] hi",
                "oh hi [yeah|okay] I'm calling [about|regarding]",
                "",
                "",
            )
        )
    )
    tail = f.fill(
        rng.choice(
            (
                "speak soon",
                "cheers bye",
                "have a good day",
                "[you can reach me|ring me back] on $callback",
                "thanks very much bye now",
                "",
                "",
            )
        )
    )
    text = " ".join(x for x in (head, body, tail) if x)
    text = re.sub(r"\b(\d+)yo\b", r"\1 year old", text.replace("w/", "with").replace("&", "and"))
    text = _speak(text.replace("A1c", "a one c"), rng)
    text = re.sub(r"\bDr\.? ", "doctor ", text)
    pad = {"polished": 0.03, "casual": 0.07, "messy": 0.11}[style]
    words = []
    for word in text.split():
        words.append(word)
        if rng.random() < pad:
            words.append(rng.choice(_VM_PAD))
    text = " ".join(words)
    if style == "polished":
        text = re.sub(r"[!?;]", ".", text)
    else:
        text = re.sub(r"[.,!?;:()\-]", " ", text)
    if style == "messy" and rng.random() < 0.3:
        text += rng.choice((" [crosstalk]", " [background noise]", " [garbled]"))
    return re.sub(r" {2,}", " ", text).lower().strip()


_VOWEL_SOUND = re.compile(
    r"\b([Aa])n? (?=[aeio][a-z]|[AEIO][a-z]|[AEIOFHLMNRSX][A-Z]+\b|hour|honest)"
)
_CONSONANT_SOUND = re.compile(
    r"\b([Aa])n (?=[b-df-gj-np-tv-z][a-z]|[BCDGJKPQTVWYZ][a-z]|[BCDGJKPQTVWYZU][A-Z]+\b)"
)


_POSSESSIVE_ARTICLE = re.compile(r"\b(my|our|his|her) an? ")


def _article(text: str) -> str:
    text = _POSSESSIVE_ARTICLE.sub(r"\1 ", text)
    text = _VOWEL_SOUND.sub(lambda m: m.group(1) + "n ", text)
    return _CONSONANT_SOUND.sub(lambda m: m.group(1) + " ", text)


def _pick_style(channel: str, rng: random.Random) -> str:
    polished, upto_casual = _MIX[channel]
    roll = rng.random()
    return "polished" if roll < polished else "casual" if roll < upto_casual else "messy"


def _one(intent: str, channel: str, rng: random.Random) -> Example:
    f = _Filler(rng)
    style = _pick_style(channel, rng)
    beats = [
        _article(
            re.sub(r" {2,}", " ", b)
            .replace(" ,", ",")
            .replace(" .", ".")
            .replace(" ?", "?")
            .strip()
        )
        for b in _BUILDERS[intent](rng, f)
    ]
    body = _apply_style([b for b in beats if b], style, channel, intent, rng)
    if channel == "email":
        text = _dress_email(body, style, rng, f)
    elif channel == "web_form":
        text = _dress_form(body, style, rng, f)
    elif channel == "chat":
        text = _dress_chat(body, style, rng)
    elif channel == "sms":
        text = _dress_sms(body, style, rng, f)
    else:
        text = _dress_voicemail(body, style, rng, f)
    return Example(text=text.strip(), label=intent, channel=channel, style=style)


def generate_test(
    n: int, seed: int = 1, progress: Callable[[int, int], None] | None = None
) -> list[Example]:
    """Generate ``n`` held-out test messages, balanced over intents and channels.

    Deterministic for a given (n, seed). Exact duplicate texts are re-drawn.
    """
    rng = random.Random(f"synth-test:{seed}")
    plan = [
        (INTENTS[i % len(INTENTS)], CHANNELS[(i * 3 + i // len(INTENTS)) % len(CHANNELS)])
        for i in range(n)
    ]
    rng.shuffle(plan)
    out: list[Example] = []
    texts: set[str] = set()
    every = max(1, n // 50)
    for done, (intent, channel) in enumerate(plan, start=1):
        example = _one(intent, channel, rng)
        tries = 0
        while example.text.lower() in texts and tries < 30:
            example = _one(intent, channel, rng)
            tries += 1
        texts.add(example.text.lower())
        out.append(example)
        if progress is not None and (done % every == 0 or done == n):
            progress(done, n)
    return out
