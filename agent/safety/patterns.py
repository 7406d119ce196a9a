"""High-precision patterns: the first, explainable layer of risk detection.

Each rule names a *signal* (what was said), a category and the C-SSRS level the words support on
their own. Some signals are modifiers with level ``none`` (timing, means at hand, distress, a
vague plan): :mod:`theraloop.agent.safety.detector` combines them with other turns, which is how "I
just lost my job" followed by "what are the tallest bridges in NYC" becomes a moderate risk.

Precision comes from four filters applied to every match:

* **idioms** are masked before matching ("this exam is killing me", "I could die of
  embarrassment", "dying to see", "kill time", "to die for", "suicide sprints");
* **negation** in the same clause cancels negatable rules ("I would never kill myself",
  "I'm not suicidal"), but not inability ("I can't stop thinking about killing myself") and not
  "I don't know why I want to die";
* **first person**: rules about the speaker are dropped when the nearest subject in the clause is
  someone else ("if you want to die, please call", "I think she wants to die");
* **long ago** markers in the sentence lower ideation and attempts by one level
  ("I tried to kill myself years ago" is moderate, not high).

Text from chat apps often lacks apostrophes ("dont", "im"); the rules accept both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from theraloop.agent.safety.models import RISK_LEVELS, RiskCategory, RiskLevel

__all__ = [
    "PatternHit",
    "scan",
    "mask_idioms",
    "split_sentences",
    "risk_keywords",
    "MODIFIER_SIGNALS",
    "about_someone_else",
]

_F = re.IGNORECASE


class PatternHit(BaseModel):
    """One rule that fired on a span of text."""

    model_config = ConfigDict(frozen=True)

    signal: str
    category: RiskCategory | None
    level: RiskLevel
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Rule:
    signal: str
    regex: re.Pattern[str]
    category: RiskCategory | None
    level: RiskLevel
    negatable: bool = True
    first_person: bool = True
    past_downgrade: bool = False
    needs_subject: bool = False
    question: bool = False


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _F)


# --- shared fragments -------------------------------------------------------------------------
_IM = r"(?:i'?m|i\s+am)"
_DONT = r"(?:don'?t|do\s+not)"
_ADV = r"(?:(?:just|really|honestly|seriously|literally|actually|sometimes|often|still|kind\s+of|"
_ADV += r"sort\s+of|kinda|truly|so|even|always|almost|constantly|secretly|genuinely)\s+){0,3}"
_DRUGS = (
    r"(?:(?:sleeping|sleep)\s+(?:pills|tablets)|pills|tablets|meds|medications?|painkillers|"
    r"pain\s+killers|opioids|insulin|benzos|anti-?depressants|paracetamol|tylenol|acetaminophen|"
    r"ibuprofen|aspirin|morphine|oxy(?:codone|contin)?)"
)
_SELF_METHODS = (
    r"(?:jump(?:ing)?\s+(?:off|from|in\s+front\s+of)|overdos(?:e|ing)|od'?(?:ing)?\b|"
    r"hang(?:ing)?\s+myself|slit(?:ting)?\s+my\s+(?:wrists?|throat)|cut(?:ting)?\s+my\s+wrists?|"
    r"shoot(?:ing)?\s+myself|drown(?:ing)?\s+myself|crash(?:ing)?\s+my\s+car|"
    r"driv(?:e|ing)\s+(?:my\s+car\s+)?(?:off|into)|step(?:ping)?\s+in\s+front\s+of|"
    r"(?:tak(?:e|ing)|swallow(?:ing)?)\s+(?:all|a\s+bunch\s+of|too\s+many|a\s+(?:whole\s+)?"
    r"bottle\s+of|a\s+handful\s+of|every\s+one\s+of)\s+(?:of\s+)?(?:my\s+|the\s+)?"
    rf"{_DRUGS}|"
    r"(?:tak(?:e|ing)|swallow(?:ing)?)\s+(?:all\s+(?:of\s+)?|every(?:thing|\s+\w+)\s+)"
    r"(?:\w+\s+){0,2}?(?:in|from|of)\s+(?:the|my)\s+(?:medicine|bathroom|pill|first[- ]aid)\s+"
    r"(?:cabinet|cupboard|box|drawer|bottle|kit)|"
    r"suffocat(?:e|ing)\s+myself|poison(?:ing)?\s+myself|gas(?:sing)?\s+myself)"
)
_SUICIDE_ACT = (
    r"(?:kill(?:ing)?\s+(?:myself|ourselves)|end(?:ing)?\s+my\s+(?:own\s+)?life|tak(?:e|ing)\s+my\s+(?:own\s+)?"
    r"life|commit(?:ting)?\s+suicide|end(?:ing)?\s+it\s+all|off(?:ing)?\s+myself|unaliv(?:e|ing)\s+"
    r"myself|hang(?:ing)?\s+myself|shoot(?:ing)?\s+myself)"
)
_WEAPON_OR_MEANS = (
    r"(?:gun|guns|pistol|handgun|rifle|shotgun|firearm|rope|noose|pills|tablets|meds|medications?|"
    r"sleeping\s+pills|painkillers|opioids|razor(?:\s+blades?)?|blades?|knife|knives|poison|"
    r"charcoal|helium|cyanide|pesticide|antifreeze|bullets?|ammo)"
)
_PEOPLE = (
    r"(?:him|her|them|someone|somebody|people|everyone|everybody|(?:my|his|her|that|this|the)\s+"
    r"(?:\w+\s+)?(?:husband|wife|partner|boyfriend|girlfriend|ex|boss|manager|dad|father|mom|mother|"
    r"stepdad|stepmom|brother|sister|son|daughter|kids?|baby|neighbou?r|roommate|coworker|colleague|"
    r"teacher|classmates?|friend|family|parents?|guy|girl|man|woman|bully|bullies|abuser))"
)
_ABUSER = (
    r"(?:he|she|they|(?:my|our)\s+(?:\w+\s+)?(?:husband|wife|partner|boyfriend|girlfriend|bf|gf|"
    r"fianc[eé]e?|ex|dad|father|mom|mum|mother|stepdad|stepfather|stepmom|stepmother|parents?|"
    r"brother|sister|uncle|aunt|grandfather|grandpa|cousin|boss|roommate|teacher|coach|carer|"
    r"caregiver|pastor|priest|neighbou?r))"
)
_LONG_AGO = _r(
    r"\b(?:(?:a|one|two|three|four|five|six|seven|eight|nine|ten|several|many|a\s+few|\d+)\s+"
    r"years?\s+ago|years\s+ago|last\s+year|(?:four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"several|many|[4-9]|\d{2})\s+months\s+ago|long\s+(?:time\s+)?ago|when\s+i\s+was\s+(?:a\s+)?(?:kid|child|teen|"
    r"teenager|younger|little|young|small|in\s+(?:high|middle|elementary|primary|secondary)\s+"
    r"school|in\s+college|\d+)|as\s+a\s+(?:kid|child|teen|teenager)|in\s+(?:high|middle)\s+school|"
    r"growing\s+up|back\s+in\s+(?:\d{4}|the\s+day|college|school)|in\s+my\s+(?:teens|twenties|"
    r"youth|childhood)|used\s+to|in\s+the\s+past)\b"
)

# --- idioms: masked before any rule runs -----------------------------------------------------
_IDIOMS = _r(
    r"\b(?:"
    r"(?:die|died|dying|dead)\s+(?:of|from)\s+(?:embarrassment|shame|laughter|laughing|boredom|"
    r"cuteness|jealousy|envy|curiosity|thirst|hunger|heat|excitement|happiness|joy|cringe|"
    r"the\s+heat)|"
    r"(?:nearly|almost)\s+died\s+(?:laughing|of\s+laughter)|"
    r"(?:dying|die)\s+laughing|kill(?:ing|ed)?\s+myself\s+laughing|"
    r"dying\s+(?:to|for)\s+(?:see|meet|try|know|go|get|hear|read|watch|tell|eat|visit|find|have|"
    r"a\b|some|one)|"
    r"to\s+die\s+for|could\s+die\s+happy|dead\s+(?:tired|serious|set|end|ringer|heat|on|wrong|"
    r"right|last|center|centre|weight|beat|broke|easy|simple|quiet|silent)|deadline|deadlines|"
    r"drop[- ]dead|over\s+my\s+dead\s+body|"
    r"(?:kill|killing|kills|killed)\s+(?:time|it|the\s+(?:mood|vibe|lights?|engine|game|music|"
    r"competition|conversation|buzz)|two\s+birds|the\s+process|a\s+(?:process|task|tab|bottle)|"
    r"some\s+time|an\s+hour|the\s+afternoon)|"
    r"(?:is|are|was|were|been|s|'s|re|'re)\s+killing\s+me|(?:it|this|that)\s+kills\s+me|"
    r"(?:i'?d|i\s+would|would)\s+kill\s+for|(?:dressed|shoot|shoot\s+to)\s+to\s+kill|"
    r"killer\s+\w+|"
    r"suicide\s+(?:squad|squeeze|doors?|sprints?|runs?|mission|missions|drills?|lane|king|"
    r"blonde|bid|pact\s+(?:movie|film|song))|"
    r"shoot\s+(?:me|you|him|her|them)\s+(?:a|an)\s+(?:text|message|email|line|dm|note)|"
    r"(?:hang|hanging)\s+(?:out|in\s+there|on|up|around)|"
    r"cut\s+(?:myself|me)\s+(?:some|a\s+break|off)|cut\s+(?:my|the)\s+(?:hair|nails|losses|"
    r"ties|cord|grass|lawn|bangs|class|classes|carbs|sugar)|"
    r"(?:i'?m|i\s+am|im)\s+(?:so\s+|totally\s+|literally\s+)?dead\s+(?:lol|lmao|haha|rofl|ha|xd)|"
    r"(?:my\s+)?(?:phone|battery|laptop|car|plant|plants|computer)\s+(?:is|was|'s|just)\s+dead|"
    r"(?:mom|mum|dad|mother|father|boss|teacher|wife|husband|she|he|they)\s+(?:is|are|'s|'re|will|"
    r"'ll|would|'d)?\s*(?:going\s+to|gonna)?\s*kill\s+me\s+(?:if|when)(?!\s+(?:i\s+)?(?:ever\s+)?"
    r"(?:leave|left|tell|told|call(?:ed)?|report(?:ed)?|go\s+to\s+the\s+police|tr(?:y|ied)\s+to\s+"
    r"leave|break\s+up|broke\s+up|divorce))|"
    r"jump(?:ed|ing)?\s+(?:at|on)\s+the\s+(?:chance|opportunity|bandwagon)|"
    r"(?:hung|hang|hanging)\s+(?:up\s+)?(?:(?:the|a|some|my|our|new|old)\s+){0,2}(?:curtains?|blinds|"
    r"pictures?|paintings?|posters?|mirrors?|shelves|lights|fairy\s+lights|decorations|washing|"
    r"laundry|clothes|coats?|jackets?|frames?)|"
    r"kitchen\s+knives|(?:knife|knives)\s+(?:set|block|sharpener|drawer)|steak\s+knives|"
    r"chef'?s\s+knife|"
    r"end\s+(?:it|things)\s+with\s+(?:him|her|them|my)|"
    r"take\s+(?:my|the)\s+(?:pills|meds|medication|medicine)\s+(?:every|each|as|with|at|in\s+the)|"
    r"(?:cut|cuts|burn(?:ed|t)?|hurt|scratch(?:ed)?|bit)\s+(?:myself|my\s+(?:hand|finger|thumb|"
    r"knee|back|ankle|foot|arm|leg|wrist|tongue|lip|shoulder))\s+(?:while\s+|when\s+)?(?:shaving|"
    r"cooking|baking|playing\s+\w+|at\s+(?:the\s+)?(?:gym|work)|lifting|running|gardening|"
    r"chopping\s+\w+|slicing\s+\w+|on\s+(?:a|the)\s+(?:oven|stove|pan|knife|glass|paper|door|"
    r"grill|iron)|by\s+accident|accidentally)"
    r")\b"
)


def mask_idioms(text: str) -> str:
    """Return ``text`` with idioms blanked out (same length, so offsets still hold).

    The classifier reads the masked text too, so "this exam is killing me" looks to it like
    "this exam is ..." rather than like a threat.
    """
    normal = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return _IDIOMS.sub(lambda m: " " * (m.end() - m.start()), normal)


# --- rules ------------------------------------------------------------------------------------
_RULES: tuple[_Rule, ...] = (
    # ---- passive ideation (C-SSRS 1: wish to be dead) -> low
    _Rule(
        "passive_ideation",
        _r(
            rf"\b(?:i\s+)?{_ADV}(?:want|wanna|wanted|wish|wishing|need|hope|long)\s+(?:to\s+)?"
            rf"{_ADV}(?:die|be\s+dead|just\s+die|stop\s+existing|not\s+exist|cease\s+to\s+exist|"
            rf"disappear\s+forever|never\s+wake\s+up|not\s+wake\s+up|fall\s+asleep\s+and\s+"
            rf"(?:never|not)\s+wake\s+up|go\s+to\s+sleep\s+(?:forever|and\s+(?:never|not)\s+wake"
            rf"\s+up)|sleep\s+forever)\b"
        ),
        "suicide",
        "low",
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\bwish(?:ing|ed)?\s+(?:that\s+)?i\s+(?:was|were|had|could|would|'?d)\s+(?:just\s+)?"
            r"(?:be\s+)?(?:dead|die|died|never\s+(?:been\s+)?born|not\s+(?:been\s+)?born|not\s+"
            r"(?:be\s+)?(?:alive|here|around)|never\s+existed|disappear|stop\s+existing|not\s+"
            r"wake\s+up|never\s+wake\s+up|go\s+to\s+sleep\s+and|fall\s+asleep\s+and|get\s+hit\s+by|"
            r"get\s+cancer|drop\s+dead)"
        ),
        "suicide",
        "low",
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\b(?:hope|pray|praying)\s+(?:that\s+)?i\s+(?:die|don'?t\s+wake\s+up|never\s+wake\s+"
            r"up|get\s+hit\s+by|get\s+cancer|just\s+die|won'?t\s+wake\s+up)"
        ),
        "suicide",
        "low",
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            rf"\b(?:{_DONT}|no\s+longer|never)\s+{_ADV}(?:want|wanna|wish|feel\s+like\s+i\s+want)"
            rf"\s+to\s+(?:live|be\s+alive|exist|keep\s+living|stay\s+alive|wake\s+up|be\s+here\s+"
            rf"(?:anymore|any\s+more)|be\s+around\s+(?:anymore|any\s+more)|go\s+on\s+(?:anymore|"
            rf"any\s+more|living|like\s+this)|keep\s+going\s+(?:anymore|any\s+more))"
        ),
        "suicide",
        "low",
        negatable=False,
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            rf"\b(?:{_DONT}|not)\s+(?:think|know\s+if|know\s+whether|sure\s+(?:if\s+)?)\s*i\s+"
            rf"(?:want|wanna|can)\s+(?:to\s+)?(?:live|be\s+alive|go\s+on|keep\s+(?:going|living)|"
            rf"stay\s+alive)"
        ),
        "suicide",
        "low",
        negatable=False,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\b(?:(?:would|'?d)\s+be|are|is|be)\s+(?:so\s+much\s+|much\s+|all\s+)?better\s+off\s+"
            r"(?:dead|without\s+me|if\s+i\s+(?:was|were|wasn'?t|weren'?t)\s+(?:gone|dead|here|"
            r"around|never\s+born|alive))|\bbetter\s+off\s+dead\b"
        ),
        "suicide",
        "low",
        first_person=False,
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\b(?:no|nothing(?:\s+left)?|zero|not\s+(?:a\s+)?(?:single\s+)?)\s*(?:point|reason|"
            r"purpose)?\s*(?:in\s+|to\s+|for\s+)?(?:living|live\s+for|to\s+live|being\s+alive|"
            r"staying\s+alive|going\s+on|to\s+go\s+on|keep(?:ing)?\s+(?:on\s+)?(?:living|going))\b"
        ),
        "suicide",
        "low",
        negatable=False,
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\b(?:tired|sick|weary|exhausted)\s+of\s+(?:living|being\s+alive|life|existing|"
            r"waking\s+up|being\s+here)\b"
        ),
        "suicide",
        "low",
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\b(?:life|living|my\s+life)\s+(?:is\s+not|isn'?t|isnt|is\s+no\s+longer|ain'?t)\s+"
            r"worth\s+(?:it|living|anything)\b|\blife\s+is\s+(?:pointless|meaningless|not\s+"
            r"worth\s+it)\b"
        ),
        "suicide",
        "low",
        negatable=False,
        first_person=False,
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\b(?:nobody|no\s*one|no-one|noone|no\s+body|not\s+a\s+single\s+person)\s+would\s+"
            r"(?:even\s+)?(?:care|notice|miss\s+me|mind|be\s+sad|cry)\s+if\s+i\s+(?:died|was\s+"
            r"gone|were\s+gone|disappeared|was\s+dead|were\s+dead|wasn'?t\s+here|weren'?t\s+here|"
            r"killed\s+myself|was\s+not\s+here)"
        ),
        "suicide",
        "low",
        negatable=False,
        first_person=False,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\b(?:don'?t|do\s+not|wouldn'?t|would\s+not)\s+(?:really\s+)?(?:care|mind)\s+(?:if|"
            r"whether)\s+i\s+(?:die|died|live\s+or\s+die|lived\s+or\s+died|don'?t\s+wake\s+up|"
            r"didn'?t\s+wake\s+up|got\s+hit|was\s+dead|were\s+dead|never\s+woke\s+up)"
        ),
        "suicide",
        "low",
        negatable=False,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\b(?:i'?d|i\s+would)\s+(?:much\s+)?rather\s+(?:be\s+dead|die)\b(?!\s+than)|"
            r"\b(?:prefer|rather)\s+(?:to\s+)?(?:have\s+)?(?:never|not)\s+(?:have\s+)?(?:been\s+)?"
            r"(?:born|existed)\b"
        ),
        "suicide",
        "low",
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\b(?:dying|death|being\s+dead|not\s+existing|not\s+waking\s+up)\s+(?:doesn'?t|does\s+"
            r"not|wouldn'?t|would\s+not|isn'?t|is\s+not)\s+(?:be\s+|sound\s+|seem\s+|feel\s+)?"
            r"(?:so|that|too|very|all\s+that)\s+(?:bad|scary|frightening)\b|\b(?:dying|death|being\s+"
            r"dead|not\s+existing)\s+(?:sounds?|seems?|feels?|would\s+be)\s+(?:like\s+)?(?:a\s+)?"
            r"(?:relief|peaceful|nice|good|better|tempting|appealing)\b"
        ),
        "suicide",
        "low",
        first_person=False,
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\b(?:only|just)\s+still\s+(?:here|alive|around)\b|\b(?:only|just)\s+(?:still\s+)?"
            r"(?:alive|living|hanging\s+on|staying\s+alive|sticking\s+around)\s+(?:for|because\s+of)"
            r"\s+(?:my\s+)"
            r"(?:family|kids|children|son|daughter|mum|mom|mother|dad|father|parents|wife|husband|"
            r"partner|dog|cat|pets?|sister|brother|grandma|grandmother)\b"
        ),
        "suicide",
        "low",
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\bcan'?t\s+(?:go\s+on|keep\s+going|keep\s+living|live\s+like\s+this|do\s+(?:this|"
            r"life)\s+(?:anymore|any\s+more)\s+(?:and|i\s+want))\s*(?:anymore|any\s+more|much\s+"
            r"longer|like\s+this)?"
        ),
        "suicide",
        "low",
        past_downgrade=True,
    ),
    _Rule(
        "passive_ideation",
        _r(
            r"\b(?:i\s+)?(?:want|need|wish|wanna)\s+(?:for\s+)?(?:it\s+all|everything|my\s+life|"
            r"life|it)\s+to\s+(?:just\s+)?(?:end|be\s+over|stop)\s*(?:forever|for\s+good|"
            r"permanently)?(?=\s*(?:[.!?,]|$|forever|for\s+good|permanently|and|because|so))"
        ),
        "suicide",
        "low",
        past_downgrade=True,
    ),
    _Rule(
        "death_thoughts",
        _r(
            r"\b(?:think|thinking|thought|thoughts|obsess(?:ing|ed)?|dream(?:ing)?|fantasi[sz]"
            r"(?:e|ing))\s+(?:a\s+lot\s+|constantly\s+|all\s+the\s+time\s+)?(?:about|of)\s+"
            r"(?:my\s+own\s+)?(?:dying|being\s+dead|my\s+(?:own\s+)?death|not\s+being\s+(?:alive|"
            r"here|around)|not\s+existing|disappearing\s+forever|my\s+funeral)\b"
        ),
        "suicide",
        "low",
        past_downgrade=True,
    ),
    # ---- active ideation (C-SSRS 2) and thoughts of a method (C-SSRS 3) -> moderate
    _Rule(
        "active_ideation",
        _r(rf"\b{_SUICIDE_ACT}\b"),
        "suicide",
        "moderate",
        past_downgrade=True,
    ),
    _Rule(
        "active_ideation",
        _r(
            rf"\b(?:{_IM}|im|i'?ve\s+been|i\s+have\s+been|been|feel(?:ing)?|felt|get(?:ting)?|"
            rf"became|become|i\s+was|i\s+feel)\s+{_ADV}(?:very\s+|really\s+|pretty\s+|extremely\s+"
            rf"|quite\s+|a\s+(?:bit|little)\s+|super\s+|passively\s+|actively\s+|chronically\s+)?"
            rf"suicidal\b"
        ),
        "suicide",
        "moderate",
        past_downgrade=True,
    ),
    _Rule(
        "active_ideation",
        _r(
            r"\b(?:my\s+|these\s+|the\s+|having\s+|have\s+|had\s+|getting\s+|get\s+)?suicid(?:e|al)"
            r"\s+(?:thoughts|ideation|ideations|feelings|urges|tendencies|impulses)\b"
        ),
        "suicide",
        "moderate",
        past_downgrade=True,
        needs_subject=True,
    ),
    _Rule(
        "active_ideation",
        _r(
            r"\b(?:think|thinking|thought|thoughts|consider|considering|considered|contemplat(?:e|"
            r"ing|ed)|obsess(?:ing|ed)?|fantasi[sz](?:e|ing|ed)|ponder(?:ing|ed)?|urges?|impulses?)"
            r"\s+(?:a\s+lot\s+|constantly\s+|seriously\s+|again\s+)?(?:about|of|on)?\s*(?:suicide|"
            r"killing\s+myself|ending\s+(?:my\s+life|it\s+all|it|things|everything)|taking\s+my\s+"
            r"(?:own\s+)?life|offing\s+myself|not\s+waking\s+up\s+on\s+purpose)\b"
        ),
        "suicide",
        "moderate",
        past_downgrade=True,
    ),
    _Rule(
        "active_ideation",
        _r(
            r"\b(?:suicide|killing\s+myself|death|dying|ending\s+it)\s+(?:is|seems\s+(?:like)?|"
            r"feels\s+like|looks\s+like)\s+(?:the\s+|my\s+)?(?:only|best|easiest|last)\s+"
            r"(?:way\s+out|option|answer|solution|choice|escape|way)\b"
        ),
        "suicide",
        "moderate",
        first_person=False,
    ),
    _Rule(
        "active_ideation",
        _r(
            r"\bif\s+i\s+(?:just\s+|finally\s+|actually\s+|ever\s+)?(?:killed|kill|ended|end|took|"
            r"take)\s+(?:myself|my\s+(?:own\s+)?life)\b"
        ),
        "suicide",
        "moderate",
        first_person=False,
    ),
    _Rule(
        "active_ideation",
        _r(
            r"\b(?:(?:don'?t|do\s+not|can'?t|cannot|can\s+not)\s+see\s+myself|i\s+don'?t\s+think\s+"
            r"i'?(?:ll|\s+will))\s+(?:being\s+|be\s+|still\s+(?:being\s+|be\s+)?)?(?:around|alive|"
            r"on\s+this\s+earth|in\s+this\s+world)\s+(?:by|until|till|at|for\s+(?:much\s+)?long|much"
            r"\s+longer|next\s+\w+|in\s+a\s+(?:year|month|few)|to\s+see)\b"
        ),
        "suicide",
        "moderate",
    ),
    _Rule(
        "method_thoughts",
        _r(
            rf"\b(?:think|thinking|thought|considered|considering|imagin(?:e|ing|ed)|pictur(?:e|"
            rf"ing|ed)|fantasi[sz](?:e|ing|ed)|wants?|wanted|wanna|urges?\s+to|tempted\s+to|keep\s+"
            rf"(?:thinking|imagining)|visuali[sz](?:e|ing))\s+(?:about\s+|of\s+|to\s+)?{_SELF_METHODS}"
        ),
        "suicide",
        "moderate",
        past_downgrade=True,
    ),
    _Rule(
        "method_thoughts",
        _r(
            r"\b(?:wants?|wanna|wanted|urge|tempted|feel\s+like)\s+(?:to\s+)?(?:just\s+)?(?:jump|"
            r"throw\s+myself)\s+(?:off|from|in\s+front\s+of|into)\s+(?:a|the|that|this|my)\s+"
            r"(?:bridge|building|roof|rooftop|cliff|balcony|window|train|bus|truck|car|traffic|"
            r"tracks|river|overpass|ledge|tower|parking\s+garage)"
        ),
        "suicide",
        "moderate",
        past_downgrade=True,
    ),
    _Rule(
        "method_thoughts",
        _r(
            r"\bhow\s+i\s*(?:'d|would|could|will|'ll|might|am\s+going\s+to|'m\s+going\s+to)\s+"
            r"(?:do\s+it|kill\s+myself|end\s+(?:it|my\s+life)|go\s+about\s+it)\b"
        ),
        "suicide",
        "moderate",
    ),
    # ---- intent, plan, preparation (C-SSRS 4-6) -> high
    _Rule(
        "intent",
        _r(
            rf"\b(?:going\s+to|gonna|gunna|planning\s+(?:on|to)|plan\s+(?:on|to)|intend\s+to|"
            rf"decided\s+to|have\s+decided\s+to|made\s+up\s+my\s+mind\s+to|ready\s+to|about\s+to|"
            rf"i'?ll|i\s+will|i\s+shall|will\s+finally|determined\s+to|i'?m\s+done,?\s+i'?m\s+"
            rf"going\s+to)\s+{_ADV}(?:finally\s+|actually\s+|just\s+|go\s+(?:and\s+)?)?"
            rf"{_SUICIDE_ACT}"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "intent",
        _r(
            r"\b(?:decided|made\s+up\s+my\s+mind|mind\s+is\s+made\s+up)\b[^.?!]{0,20}?\b(?:going\s+to|"
            r"gonna|to|i'?ll|i\s+will)\s+(?:finally\s+|just\s+)?end\s+it\b(?!\s+(?:with|between))"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "plan",
        _r(
            r"\b(?:plann(?:ed|ing)|plan|worked\s+out|figured\s+out|decided)\s+(?:out\s+)?(?:how|"
            r"when|where|exactly\s+how)\s+(?:i'?(?:m|ll|d)?\s+|i\s+(?:will|would|am\s+going\s+to)"
            r"\s+|to\s+)?(?:going\s+to\s+|gonna\s+)?(?:kill\s+myself|end\s+(?:my\s+life|it)|do\s+"
            r"it|take\s+my\s+life|die)\b"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "plan",
        _r(
            r"\b(?:my|a|the)\s+(?:suicide\s+plan|plan\s+to\s+(?:kill\s+myself|end\s+my\s+life|"
            r"die|commit\s+suicide|end\s+it))|\bsuicide\s+plans?\b|\bi\s+(?:have|'?ve\s+got|got|"
            r"made|'?ve\s+made)\s+a\s+plan\s+(?:to|for|on\s+how\s+to)\s+(?:kill\s+myself|end\s+(?:my"
            r"\s+life|it)|die|suicide)"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "plan",
        _r(
            r"\bi\s+know\s+(?:exactly\s+)?(?:how|when|where)\s+i(?:'m|\s+am|'ll|\s+will|'d|\s+"
            r"would)?\s+(?:going\s+to\s+|gonna\s+)?(?:do\s+it|kill\s+myself|end\s+it|end\s+my\s+"
            r"life)\b|\b(?:picked|chosen|chose|set)\s+(?:a|the)\s+(?:date|day|time|spot|place|"
            r"bridge|method)\s+(?:to|for|when)\s+(?:do\s+it|die|kill\s+myself|end\s+it|my\s+death)"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "preparatory",
        _r(
            r"\b(?:wrote|written|writing|write|left|finished|drafted|drafting)\s+(?:(?:a|my|the|some)\s+)?"
            r"(?:suicide\s+(?:note|letter)s?|goodbye\s+(?:note|letter|message)s?|(?:note|letter)s?"
            r"\s+(?:to|for)\s+(?:my\s+)?(?:family|kids|children|parents|wife|husband|partner|"
            r"everyone)\s+(?:for\s+)?(?:when|after|in\s+case)\s+i(?:'m|\s+am)?\s+(?:gone|dead|die)"
            r"|(?:a|my|the)\s+note\s+(?:just\s+)?in\s+case\b)|\bsuicide\s+note\b"
        ),
        "suicide",
        "high",
        needs_subject=True,
    ),
    _Rule(
        "preparatory",
        _r(
            r"\b(?:gave|giving|give)\s+away\s+(?:all\s+)?(?:of\s+)?(?:my|most\s+of\s+my)\s+(?:stuff|"
            r"things|belongings|possessions|clothes|books|games|cat|dog|pets?|savings|money)\b|"
            r"\b(?:said|saying|say)\s+(?:my\s+)?(?:last\s+)?goodbyes?\s+(?:to\s+)?(?:everyone|my\s+"
            r"(?:family|friends|kids|parents)|them)|\b(?:writing|wrote|made|updated|finished)\s+my\s+"
            r"will\s+(?:and|because|so)\b"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "preparatory",
        _r(
            r"\b(?:saving|saved|stockpil(?:e|ed|ing)|hoard(?:ed|ing)|collect(?:ed|ing)|stash(?:ed|"
            r"ing)|storing|stored|keeping|hiding|hid|building\s+up)\s+(?:up\s+)?(?:my\s+|some\s+|"
            r"all\s+(?:my\s+|the\s+)?|a\s+bunch\s+of\s+|enough\s+|extra\s+)?"
            rf"{_DRUGS}\b|"
            r"\b(?:have|got|'?ve\s+got|saved|collected)\s+enough\s+(?:pills|meds|tablets|"
            r"sleeping\s+pills|painkillers|insulin)\s+(?:to|for)\b"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "preparatory",
        _r(
            r"\b(?:tied|tying|made|making|bought|practic(?:ed|ing|e))\s+(?:a\s+|the\s+)?noose\b|"
            r"\bpractic(?:ed|ing|e)\s+(?:hanging|tying|the\s+knot)|\b(?:research(?:ed|ing)?|"
            r"look(?:ed|ing)\s+up|googl(?:ed|ing)|search(?:ed|ing)(?:\s+for)?|read(?:ing)?\s+about)"
            r"\s+(?:ways|how|methods|the\s+best\s+way|the\s+easiest\s+way|painless\s+ways?)\s+(?:to\s+)?"
            r"(?:die|kill\s+myself|end\s+my\s+life|commit\s+suicide|overdose|do\s+it)\b|"
            r"\b(?:research(?:ed|ing)?|look(?:ed|ing)\s+up|googl(?:ed|ing)|search(?:ed|ing)\s+(?:for)?)"
            r"\s+(?:lethal|fatal|overdose)\s+(?:doses?|amounts?)|\bsuicide\s+methods\b"
        ),
        "suicide",
        "high",
        needs_subject=True,
    ),
    _Rule(
        "preparatory",
        _r(
            r"\b(?:put|putting|held|holding|hold|press(?:ed|ing)?)\s+(?:a|the|my|this|his|her)\s+"
            r"(?:\w+\s+)?(?:gun|pistol|barrel|knife|blade|razor)\s+(?:to|against|in)\s+my\s+(?:head|"
            r"temple|mouth|throat|wrists?|chest)\b|\b(?:aim(?:ed|ing)?|point(?:ed|ing)?)\s+(?:a\s+|"
            r"the\s+|my\s+|it\s+|this\s+)?(?:gun\s+|pistol\s+|barrel\s+)?at\s+my\s+(?:head|temple|"
            r"mouth)\b"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "preparatory",
        _r(
            r"\b(?:research(?:ed|ing)?|look(?:ed|ing)\s+up|googl(?:ed|ing)|search(?:ed|ing)(?:\s+for)?|"
            r"check(?:ed|ing)|work(?:ed|ing)\s+out|count(?:ed|ing)|calculat(?:ed|ing))\s+how\s+(?:many|"
            r"much)\s+(?:of\s+)?(?:my\s+|the\s+|these\s+|those\s+)?(?:(?:\w+\s+)?"
            rf"{_DRUGS}\s+(?:it\s+(?:would|will|'d|'ll|might)\s+take|it\s+takes)\b(?!\s+to\s+(?:last|"
            r"get|finish|cover|fill|pay|fix|make|heal|recover|work|kick\s+in))|(?:\w+\s+){0,2}?(?:"
            r"(?:would|will|'d)\s+(?:kill|be\s+(?:lethal|fatal))|(?:is|are)\s+(?:lethal|fatal|deadly)|"
            r"to\s+(?:die|overdose|kill\s+(?:me|myself)|end\s+it))\b)"
        ),
        "suicide",
        "high",
        needs_subject=True,
    ),
    _Rule(
        "preparatory",
        _r(
            r"\b(?:gave|giving|give|given|handed|handing)\b[^.?!]{0,80}?\b(?:won'?t|will\s+not|"
            r"wouldn'?t|am\s+not\s+going\s+to|'?m\s+not\s+going\s+to)\s+(?:be\s+)?need(?:ing)?\s+"
            r"(?:it|them|him|her|those|these|any\s+of\s+(?:it|them|this)|(?:my|the)\s+\w+)\b"
            r"(?![^.?!]{0,25}\b(?:since|because|as|now\s+that)\s+i\s+(?:got|bought|have|'?ve|"
            r"upgraded|moved|switched))"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "preparatory",
        _r(
            r"\b(?:wrote|written|writing|write|left|leaving|recorded|recording|drafted|drafting|"
            r"scheduled|scheduling)\s+(?:(?:a|my|some|the|two|three|several)\s+)?(?:\w+\s+)?"
            r"(?:letters?|notes?|messages?|videos?|e-?mails?|posts?)\b[^.?!]{0,60}?\b(?:explaining\s+"
            r"why\s+i\s+(?:had|have|needed|need)\s+to\s+(?:go|do\s+(?:it|this|what\s+i\s+did)|end\s+"
            r"(?:it|things|my\s+life))\b(?!\s+(?:to|home|back|out|away|into|on|abroad))|(?:after|"
            r"when|once)\s+i'?(?:m|\s+am)\s+(?:gone|dead)|(?:after|when|once)\s+i\s+die)"
        ),
        "suicide",
        "high",
        needs_subject=True,
    ),
    _Rule(
        "plan",
        _r(
            rf"\b(?:have|'?ve\s+got|got|bought|keep|kept|hid|hidden)\s+(?:a|the|my|some|enough)\s+"
            rf"(?:\w+\s+)?{_WEAPON_OR_MEANS}\b[^.?!]{{0,80}}?\b(?:haven'?t|have\s+not|not\s+yet|"
            rf"just\s+(?:need|have)\s+to|only\s+need\s+to)\s+(?:decided?|chos(?:e|en)|pick(?:ed)?|"
            rf"figured\s+out|work(?:ed)?\s+out)\s+(?:when|where|the\s+(?:date|day|time|place))\b"
            rf"(?!\s+to\s+(?:start|stop|switch|take\s+(?:them|it)\s+(?:in|at|with)|go\s+(?:back|"
            rf"home)|move|travel))"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "rehearsal",
        _r(
            r"\b(?:went|go|going|walked|drove|stood|stand|standing|sat|sit|sitting|lay|lie|lying|"
            r"waited|waiting)\s+(?:\w+\s+){0,3}?(?:on|onto|to|across|between)\s+(?:the\s+)?"
            r"(?:train\s+|railway\s+|railroad\s+|subway\s+|metro\s+)?tracks\b[^.?!]{0,60}?\b(?:waiting|"
            r"stood\s+there|sat\s+there|lay\s+there|for\s+(?:the|a)\s+train|for\s+(?:hours|ages|a\s+"
            r"long\s+time|an\s+hour)|hoping|wondering)"
        ),
        "suicide",
        "high",
        past_downgrade=True,
    ),
    _Rule(
        "rehearsal",
        _r(
            r"\b(?:sit|sat|sitting|stand|stood|standing|lean(?:ed|ing)?|hang(?:ing)?\s+my\s+legs)"
            r"\s+(?:on|over|at)\s+the\s+edge\s+of\s+(?:the\s+|a\s+|my\s+|our\s+)?(?:\w+\s+)?"
            r"(?:roof|rooftop|building|bridge|balcony|ledge|cliff|car\s+park|parking\s+garage)\b(?![^.?!]*\b(?:watching|enjoy(?:ing|ed)?|picnic|sunset|sunrise|view|photos?|"
            r"pictures?|with\s+(?:my\s+)?(?:friends?|family|partner|kids|wife|husband|girlfriend|"
            r"boyfriend|dog)))[^.?!]{0,60}?\b(?:for\s+(?:hours|ages|a\s+long\s+time|an\s+hour)|"
            r"(?:some|most|at)\s+nights?|alone|look(?:ing|ed)\s+down|star(?:ing|ed)\s+down|"
            r"thinking|wondering|wanting|and\s+(?:cried|cry|crying))"
        ),
        "suicide",
        "moderate",
        past_downgrade=True,
    ),
    _Rule(
        "means_seeking",
        _r(
            r"\b(?:look(?:ed|ing)\s+(?:at|into)|think(?:ing)?\s+(?:about|of)|thought\s+(?:about|of)|"
            r"tried\s+to|trying\s+to|want(?:s|ed)?\s+to|plann(?:ed|ing)\s+to|went\s+to|"
            r"search(?:ed|ing)\s+for|research(?:ed|ing)?)\s+(?:buy(?:ing)?|get(?:ting)?|order(?:ing)?|"
            r"purchas(?:e|ing)|how\s+to\s+(?:buy|get))\s+(?:a\s+|some\s+|my\s+own\s+)?(?:gun|"
            r"pistol|handgun|firearm|noose|helium|charcoal|cyanide|pesticide|antifreeze|barbiturates|"
            r"nembutal)\b(?![^.?!]*\b(?:for\s+(?:protection|hunting|self[- ]defen[cs]e|the\s+range|"
            r"target\s+practice|work|the\s+(?:garden|farm|balloons?|party))|balloons?))"
        ),
        "suicide",
        "moderate",
    ),
    _Rule(
        "preparatory",
        _r(
            rf"\b(?:{_WEAPON_OR_MEANS}|{_DRUGS})\b[^.?!]{{0,60}}?\b(?:for|until)\s+when\s+i'?(?:m|\s+am)\s+"
            rf"ready\b(?!\s+to\b)|\bfor\s+when\s+(?:the\s+time\s+comes|i\s+(?:decide|finally\s+do\s+"
            rf"it))\b"
        ),
        "suicide",
        "high",
        first_person=False,
    ),
    _Rule(
        "plan",
        _r(
            r"\b(?:found|picked|chose|chosen|scouted|look(?:ed|ing)\s+for)\s+(?:a|the|the\s+perfect|"
            r"the\s+right|a\s+quiet)\s+(?:\w+\s+)?(?:spot|place|location)\b[^.?!]{0,40}?\bwhere\s+"
            r"(?:no\s*one|nobody)\s+(?:would|will|could|can|'?d|'?ll)\s+(?:ever\s+)?find\s+(?:me|my\s+"
            r"body)\b"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "preparatory",
        _r(
            r"\b(?:said|saying|say)\s+(?:my\s+)?goodbyes?\s+to\s+(?:\w+\s+){1,3}?[^.?!]{0,40}?\bwithout\s+"
            r"(?:telling|saying|explaining)\s+(?:to\s+)?(?:her|him|them|anyone|anybody)\s+why\b|"
            r"\b(?:put|putting|get|getting|got|sort(?:ed|ing)?|have|'ve)\s+(?:all\s+)?my\s+affairs\s+"
            r"in\s+order\b"
        ),
        "suicide",
        "moderate",
    ),
    _Rule(
        "rehearsal",
        _r(
            r"\b(?:test(?:ed|ing)?|check(?:ed|ing)?|tried|see)\s+(?:whether|if|how\s+much)\s+(?:the|a|"
            r"my|this)\s+(?:\w+\s+)?(?:belt|rope|cord|scarf|sheet|beam|hook|ceiling\s+fan|noose|"
            r"ligature|curtain\s+rod|door\s+handle)\s+(?:would|could|can|will|is\s+strong\s+enough\s+"
            r"to)\s+(?:hold|take|support|bear)\s+(?:my\s+|the\s+)?(?:weight|me)\b(?![^.?!]*\b(?:climb|"
            r"abseil|rappel|swing|hammock|boat|tow|gym|workout|pull-?ups?))"
        ),
        "suicide",
        "high",
    ),
    _Rule(
        "means_research",
        _r(
            r"\b(?:research(?:ed|ing)?|look(?:ed|ing)\s+up|googl(?:ed|ing)|search(?:ed|ing)\s+for|"
            r"check(?:ed|ing)|scout(?:ed|ing))\s+(?:which|what|where\s+the|the)\s+(?:\w+\s+){0,4}?"
            r"(?:bridges?|buildings?|cliffs?|roofs?|rooftops?|towers?|car\s+parks?|parking\s+"
            r"(?:garages?|structures?)|overpass(?:es)?)\s+(?:\w+\s+){0,3}?(?:roof\s+access|(?:are|is)\s+"
            r"(?:the\s+)?(?:tallest|highest|high\s+enough|tall\s+enough|unlocked)|(?:high|tall)\s+"
            r"enough)\b"
        ),
        "suicide",
        "moderate",
    ),
    _Rule(
        "farewell",
        _r(
            r"\b(?:this\s+is\s+(?:my\s+)?(?:goodbye|my\s+last\s+(?:message|post|night|day|"
            r"letter))|won'?t\s+be\s+(?:here|around|alive)\s+(?:much\s+longer|for\s+long|tomorrow|"
            r"by\s+(?:tomorrow|morning|next\s+week|the\s+weekend))|by\s+the\s+time\s+(?:you|anyone"
            r"|someone)\s+(?:read|reads|see|sees|find|finds)\s+this,?\s+i(?:'ll|\s+will)|"
            r"(?:this\s+is|it'?s)\s+my\s+last\s+(?:night|day|week)\s+(?:alive|on\s+earth|here)|"
            r"goodbye\s+(?:forever|cruel\s+world)|tell\s+(?:them|everyone|my\s+(?:family|kids|"
            r"parents|mom|dad))\s+(?:that\s+)?i'?m\s+sorry\s+(?:for|when)|last\s+time\s+you'?ll\s+"
            r"hear\s+from\s+me)"
        ),
        "suicide",
        "high",
        first_person=False,
    ),
    _Rule(
        "attempt",
        _r(
            r"\b(?:tried|attempted|tryed|trying|try|attempting)\s+(?:to\s+)?(?:kill\s+myself|end\s+my"
            r"\s+(?:own\s+)?life|take\s+my\s+(?:own\s+)?life|commit\s+suicide|hang\s+myself|"
            r"overdose|od|shoot\s+myself|drown\s+myself|slit\s+my\s+wrists?|jump|die|suicide|"
            r"end\s+it(?:\s+all)?|off\s+myself)\b"
        ),
        "suicide",
        "high",
        past_downgrade=True,
    ),
    _Rule(
        "attempt",
        _r(
            r"\b(?:my|a|the|last|previous|first|second|third|recent|latest|failed|botched)\s+"
            r"(?:suicide\s+)?attempts?\b(?!\s+(?:at|to\s+(?:help|fix|learn|make|get|be)))|"
            r"\bsuicide\s+attempts?\b|\bi\s+(?:overdosed|od'?d|oded|od'?ed|took\s+an\s+overdose|"
            r"slit\s+my\s+wrists?|hung\s+myself|jumped\s+(?:off|from|in\s+front)|survived\s+(?:my|a|"
            r"the)\s+(?:suicide\s+)?attempt)|\b(?:after|since)\s+my\s+(?:suicide\s+)?attempt"
        ),
        "suicide",
        "high",
        past_downgrade=True,
        needs_subject=True,
    ),
    _Rule(
        "command_hallucination",
        _r(
            r"\bvoices?\s+(?:in\s+my\s+head\s+)?(?:are\s+|keeps?\s+|that\s+)?(?:telling|tell|"
            r"told|say(?:ing|s)?|command(?:ing|s)?|order(?:ing|s)?|urg(?:e|es|ing))\s+(?:me\s+)?"
            r"(?:to\s+|that\s+i\s+should\s+)(?:kill\s+myself|die|end\s+it|jump|hurt\s+myself|cut|"
            r"hang\s+myself|do\s+it|overdose|end\s+my\s+life)"
        ),
        "suicide",
        "high",
        first_person=False,
    ),
    _Rule(
        "in_progress",
        _r(
            rf"\bi(?:'ve|\s+have)?\s+(?:just\s+)?(?:took|taken|swallowed|downed|injected)\s+(?:all"
            rf"\s+(?:of\s+)?|a\s+(?:whole\s+)?bottle\s+of\s+|the\s+whole\s+bottle|a\s+bunch\s+of\s+|"
            rf"a\s+handful\s+of\s+|too\s+many\s+|\d+\s+|(?:twenty|thirty|forty|fifty|a\s+hundred)\s+|"
            rf"every\s+one\s+of\s+)(?:my\s+|the\s+|of\s+my\s+)?(?:\w+\s+)?(?:pills|tablets|meds|"
            rf"medications?|sleeping\s+pills|painkillers|insulin|capsules)?|"
            rf"\b{_IM}\s+(?:standing|sitting|on|at)\s+(?:on\s+)?(?:the\s+|a\s+)?(?:edge\s+of\s+"
            rf"(?:the\s+)?)?(?:bridge|ledge|roof|rooftop|railing|tracks|cliff|edge)\b(?!\s+of\s+"
            rf"(?:my\s+seat|something|a\s+breakdown|tears|glory))|"
            rf"\bi(?:'ve|\s+have)?\s+(?:just\s+)?(?:cut|slit)\s+my\s+wrists?\s+(?:and|it'?s|they'?re|"
            rf"there'?s)\s+(?:bleeding|a\s+lot\s+of\s+blood)|\bi'?m\s+bleeding\s+(?:out|a\s+lot|"
            rf"badly|heavily)"
        ),
        "suicide",
        "imminent",
        negatable=False,
    ),
    _Rule(
        "negated",
        _r(
            r"\b(?:i'?m|i\s+am|im)\s+(?:really\s+|definitely\s+|honestly\s+)?not\s+(?:\w+\s+)?"
            r"(?:suicidal|going\s+to\s+(?:kill|hurt|harm)\s+myself|thinking\s+(?:about|of)\s+"
            r"(?:suicide|killing\s+myself|ending\s+my\s+life|hurting\s+myself))|\b(?:never|not|"
            r"don'?t)\s+(?:had|have|having|get|got)\s+(?:any\s+)?(?:suicidal\s+thoughts|thoughts\s+"
            r"of\s+(?:suicide|killing\s+myself|hurting\s+myself|self[- ]?harm))|\bno\s+"
            r"(?:suicidal\s+thoughts|thoughts\s+of\s+(?:suicide|self[- ]?harm|hurting\s+myself))"
        ),
        "suicide",
        "none",
        negatable=False,
    ),
    # ---- modifiers (level none): timing, means at hand, vague intent/plan, distress;
    # ---- means questions
    _Rule(
        "timing",
        _r(
            r"\b(?:tonight|today|right\s+now|this\s+(?:evening|afternoon|morning|very\s+"
            r"moment)|in\s+(?:an|a\s+few|a\s+couple\s+(?:of\s+)?|\d+|one|two)\s+(?:hour|hours|"
            r"minutes|mins)|when\s+(?:everyone|they|my\s+(?:wife|"
            r"husband|parents|family|partner|roommates?))\s+(?:is|are|goes|go|leave|leaves|falls?)\s+"
            r"(?:asleep|gone|out|to\s+(?:bed|sleep|work))|after\s+(?:the\s+kids|everyone)\s+(?:go|"
            r"goes|are|is)\s+(?:to\s+(?:bed|sleep)|asleep)|before\s+(?:morning|sunrise|dawn)|at\s+"
            r"midnight)\b"
        ),
        None,
        "none",
        negatable=False,
        first_person=False,
    ),
    _Rule(
        "means_access",
        _r(
            rf"\bi\s+(?:have|'?ve\s+got|got|own|keep|bought|just\s+bought|purchased|ordered|"
            rf"found|have\s+access\s+to|can\s+get)\s+(?:a|an|my|the|some|enough|plenty\s+of|a\s+"
            rf"(?:whole\s+)?(?:bottle|box|pack|stash)\s+of|a\s+bunch\s+of|\d+|all\s+(?:the|my))?\s*"
            rf"(?:\w+\s+)?{_WEAPON_OR_MEANS}\b|\b(?:the|a|my)\s+(?:\w+\s+)?{_WEAPON_OR_MEANS}\s+"
            rf"(?:is|are)\s+(?:right\s+)?(?:here|in\s+(?:front\s+of\s+me|my\s+(?:hand|hands|pocket|"
            rf"lap|car|bag|drawer))|next\s+to\s+me|beside\s+me|ready|loaded)|\b(?:holding|"
            rf"loaded|loading)\s+(?:a|the|my)\s+(?:gun|pistol|rifle|knife|blade|razor)"
        ),
        None,
        "none",
        negatable=True,
        first_person=False,
    ),
    _Rule(
        "intent_vague",
        _r(
            r"\b(?:going\s+to|gonna|i'?ll|i\s+will|ready\s+to|decided\s+to|about\s+to|finally\s+"
            r"going\s+to)\s+(?:finally\s+|just\s+|actually\s+)?(?:do\s+it|go\s+through\s+with\s+"
            r"it|end\s+it|be\s+gone|not\s+be\s+(?:here|around)|say\s+goodbye)\b"
        ),
        None,
        "none",
    ),
    _Rule(
        "plan_vague",
        _r(
            r"\bi\s+(?:have|'?ve\s+got|got|made|'?ve\s+made|came\s+up\s+with)\s+a\s+plan\b|\bi'?ve"
            r"\s+(?:picked|chosen)\s+(?:a|the)\s+(?:date|day|spot|place)\b|\bwrote\s+(?:a\s+)?"
            r"(?:note|letter)s?\s+(?:to|for)\s+(?:my\s+)?(?:family|kids|parents|everyone)"
        ),
        None,
        "none",
    ),
    _Rule(
        "distress",
        _r(
            r"\b(?:lost\s+my\s+(?:job|house|home|wife|husband|partner|kids?|child|son|daughter|mom"
            r"|dad|mother|father|best\s+friend|everything|apartment|business)|got\s+(?:fired|laid\s+"
            r"off|dumped|evicted|divorced|kicked\s+out)|(?:was|been|i'?m\s+being)\s+(?:fired|laid\s+"
            r"off|evicted|dumped)|(?:she|he|they)\s+(?:left|dumped|cheated\s+on)\s+me|broke\s+up\s+"
            r"with\s+me|we\s+broke\s+up|(?:my\s+\w+\s+)?(?:passed\s+away|died)\b(?!\s+(?:laughing|of\s+"
            r"embarrassment))|hopeless|worthless|useless|i'?m\s+a\s+(?:burden|failure|waste)|"
            r"(?:a\s+)?burden\s+(?:to|on)\s+(?:everyone|my\s+family|them)|can'?t\s+(?:take|handle|"
            r"cope\s+with|do)\s+(?:it|this|anything|life)\s+(?:anymore|any\s+more|much\s+longer|any\s+"
            r"longer)|no\s+way\s+out|"
            r"(?:feel|feeling|i'?m)\s+(?:so\s+)?(?:trapped|empty|numb|alone|lonely|broken|"
            r"depressed|desperate|miserable|defeated)|everything\s+is\s+(?:falling\s+apart|"
            r"ruined|pointless|hopeless)|(?:hit|at)\s+rock\s+bottom|nobody\s+(?:cares|loves\s+me)|"
            r"no\s*one\s+(?:cares|loves\s+me)|hate\s+(?:myself|my\s+life)|what'?s\s+the\s+point|"
            r"give\s+up\s+on\s+(?:life|everything)|gave\s+up\s+on\s+(?:life|everything)|"
            r"(?:bankrupt|foreclos\w+|in\s+so\s+much\s+debt)|ruined\s+my\s+life|my\s+life\s+is\s+"
            r"(?:over|ruined|a\s+mess|falling\s+apart|hell))"
        ),
        None,
        "none",
        first_person=False,
    ),
    _Rule(
        "means_question",
        _r(
            r"\b(?:what(?:'s|\s+is|\s+are)?|which|where(?:'s|\s+is|\s+are)?|list|name)\s+(?:are\s+)?"
            r"(?:the\s+)?(?:tallest|highest|biggest|tall|high)\s+(?:\w+\s+)?(?:bridges?|buildings?|"
            r"towers?|cliffs?|rooftops?|roofs?|parking\s+(?:garages?|structures?)|overpass(?:es)?|"
            r"skyscrapers?|dams?|balcon(?:y|ies)|places?)|\bhow\s+(?:high|tall|far\s+down|deep)\s+"
            r"(?:is|are)\s+(?:the\s+)?(?:\w+\s+){0,3}(?:bridge|building|tower|cliff|roof|"
            r"overpass|dam|water|river|drop|fall)\b|\b(?:bridges?|buildings?|cliffs?|roofs?)\s+"
            r"(?:that\s+(?:are|is)\s+)?(?:high|tall)\s+enough\b|\b(?:roof|rooftop)\s+access\b|"
            r"\baccess\s+to\s+(?:the|a)\s+(?:roof|rooftop)\b"
        ),
        "suicide",
        "low",
        first_person=False,
        negatable=False,
        question=True,
    ),
    _Rule(
        "means_question",
        _r(
            r"\bhow\s+(?:many|much)\s+(?:\w+\s+){0,3}(?:pills|tablets|capsules|mg|milligrams|grams|"
            r"sleeping\s+pills|tylenol|acetaminophen|paracetamol|ibuprofen|advil|aspirin|xanax|"
            r"benadryl|insulin|valium|ambien|melatonin|lithium|oxy(?:codone|contin)?|morphine|"
            r"fentanyl|alcohol|vodka|bleach)\b.{0,40}?(?:\?|\bwould|\bdoes|\bdo|\bis|\bcan|\bto\b|"
            r"\btake)|\b(?:maximum|max|highest|strongest)\s+(?:safe\s+)?dose\s+(?:of|for)\b|"
            r"\bwhere\s+(?:can|could|do|would|should)\s+(?:i|someone|one|you)\s+(?:buy|get|find|"
            r"obtain|order|purchase|score)\s+(?:a\s+|some\s+|any\s+)?(?:\w+\s+)?(?:poison|cyanide|"
            r"arsenic|strychnine|rat\s+poison|pesticide|gun|firearm|handgun|pistol|rope|pills|"
            r"sleeping\s+pills|barbiturates|pentobarbital|nembutal|helium|opioids|fentanyl|"
            r"painkillers|razor\s+blades|charcoal)\b|\b(?:which|what)\s+(?:\w+\s+){0,4}?(?:pills|meds|"
            r"medications?|drugs|tablets)\s+(?:are|is)\s+(?:the\s+)?(?:most\s+)?(?:dangerous|lethal|"
            r"deadly|toxic|fatal)\b|\bwhere\s+to\s+(?:buy|get|find)\s+(?:\w+\s+)?"
            r"(?:poison|cyanide|a\s+gun|a\s+rope|sleeping\s+pills|barbiturates|pentobarbital|"
            r"nembutal|helium)\b"
        ),
        "suicide",
        "low",
        first_person=False,
        negatable=False,
        question=True,
    ),
    _Rule(
        "lethal_means_question",
        _r(
            r"\b(?:lethal|fatal|deadly|toxic|overdose|od)\s+(?:dose|doses|amount|amounts|quantity|"
            r"level|threshold|limit)\b|\bhow\s+(?:many|much)\b.{0,40}?\b(?:to\s+(?:die|kill\s+"
            r"(?:me|myself|a\s+person|someone|you)|overdose|od|be\s+(?:fatal|lethal|deadly)|stop\s+"
            r"(?:my|your|the|a)\s+heart)|would\s+(?:kill|be\s+(?:fatal|lethal))|(?:is|are)\s+"
            r"(?:fatal|lethal|deadly))|\b(?:quickest|fastest|easiest|painless|least\s+painful|"
            r"surest|most\s+effective|best|most\s+reliable)\s+(?:way|ways|method|methods)\s+(?:to|"
            r"of)\s+(?:die|dying|kill\s+(?:myself|yourself|oneself)|end\s+(?:my|your|one'?s)\s+life|"
            r"commit\s+suicide|suicide|overdose)\b|\bhow\s+(?:to|do\s+(?:i|you))\s+(?:kill\s+"
            r"(?:myself|yourself)|end\s+(?:my|your)\s+life|commit\s+suicide|overdose|tie\s+a\s+"
            r"noose|hang\s+(?:myself|yourself)|slit\s+(?:my|your)\s+wrists?)\b|\bhow\s+long\s+"
            r"(?:does\s+it|would\s+it|to)\s+(?:take\s+to\s+)?(?:die|bleed\s+out|drown|suffocate|"
            r"lose\s+consciousness)\b|\bcan\s+(?:you|i|someone|a\s+person)\s+(?:die|overdose|od)\s+"
            r"(?:from|on|of)\b|\b(?:which|what)\s+(?:pills|meds|medications?|drugs|poisons?|"
            r"chemicals?)\s+(?:can|could|would|will)\s+(?:kill|be\s+(?:fatal|lethal))"
        ),
        "suicide",
        "moderate",
        first_person=False,
        negatable=False,
        question=True,
    ),
    # ---- self-harm
    _Rule(
        "self_harm",
        _r(
            r"\b(?:cut|cutting|cuts|burn(?:ed|t|ing|s)?|scratch(?:ed|ing|es)?|hit(?:ting|s)?|"
            r"punch(?:ed|ing|es)?|bit(?:e|ing|es)?|hurt(?:ing|s)?|harm(?:ed|ing|s)?|starv(?:e|ed|"
            r"ing)|carv(?:e|ed|ing)|bang(?:ed|ing)?\s+my\s+head|slash(?:ed|ing)?)\s+(?:myself|my\s+"
            r"(?:arms?|wrists?|legs?|thighs?|skin|stomach|hips?))\b(?!\s+(?:while|when|by\s+"
            r"accident|accidentally|playing|shaving|cooking|on\s+(?:a|the)|at\s+(?:the\s+)?(?:gym|"
            r"work)|lifting|running|falling|in\s+(?:the\s+)?(?:kitchen|gym|garden)|with\s+(?:a|the)"
            r"\s+(?:knife|paper)\s+while|at\s+football|on\s+purpose\s+not))"
        ),
        "self_harm",
        "moderate",
        past_downgrade=True,
    ),
    _Rule(
        "self_harm",
        _r(
            r"\b(?:self[- ]?harm(?:ing|ed|s)?|self[- ]?injur(?:y|ies|ing|e)|sh\s+relapse|"
            r"relaps(?:ed|ing|e)\s+(?:on|into|with)?\s*(?:cutting|self[- ]?harm|sh)|been\s+cutting"
            r"(?:\s+again)?|started\s+cutting|cutting\s+again|i\s+cut\s+again|(?:fresh|new|deep)\s+"
            r"cuts\s+on\s+my|my\s+(?:arms?|wrists?|legs?|thighs?)\s+(?:are|is)\s+(?:covered\s+in\s+)?"
            r"(?:cuts|bleeding))\b"
        ),
        "self_harm",
        "moderate",
        past_downgrade=True,
        needs_subject=True,
    ),
    _Rule(
        "self_harm",
        _r(
            r"\b(?:urges?|want|wanna|wanting|tempted|need|needing|craving|itching)\s+to\s+(?:cut|"
            r"burn|hurt|harm|punish|scratch)\s+(?:myself|again|my\s+(?:arms?|wrists?|legs?|thighs?"
            r"|skin|stomach))\b|\burges?\s+to\s+(?:cut|self[- ]?harm|sh)\b"
        ),
        "self_harm",
        "moderate",
        past_downgrade=True,
    ),
    _Rule(
        "self_harm",
        _r(
            r"\b(?:(?:hitting|banging|slamming|smashing|punching)\s+(?:my\s+head|myself)|(?:hit|"
            r"bang|banged|slam|slammed|smash|smashed)\s+my\s+head\s+(?:against|into|on)\s+[^.?!]{0,30}?"
            r"\buntil)\s+(?:against|into|on)?\s*(?:the\s+|a\s+)?(?:wall|walls|floor|door|desk|"
            r"table|mirror)?[^.?!]{0,40}?\b(?:until|till|again|every\s+time|when(?:ever)?\s+i'?m|"
            r"to\s+(?:feel|punish|stop|calm))"
        ),
        "self_harm",
        "moderate",
        past_downgrade=True,
    ),
    _Rule(
        "self_harm_past",
        _r(
            r"\b(?:used\s+to|stopped|quit)\s+(?:cutting|self[- ]?harming|burning\s+myself|hurting"
            r"\s+myself)|\b(?:self[- ]?harm|cutting)\s+scars\b|\bmy\s+(?:old\s+)?scars\s+"
            r"(?:from|on)\b|\bclean\s+(?:from|of)\s+(?:self[- ]?harm|cutting|sh)\b"
        ),
        "self_harm",
        "low",
        negatable=False,
    ),
    # ---- harm to others
    _Rule(
        "harm_others_ideation",
        _r(
            rf"\b(?:want|wanna|wanted|thinking\s+(?:about|of)|thought\s+(?:about|of)|fantasi[sz]"
            rf"(?:e|ing|ed)\s+about|dream\s+about|thoughts\s+(?:about|of)|urges?\s+to|tempted\s+to|"
            rf"feel\s+like|imagin(?:e|ing))\s+(?:to\s+)?(?:really\s+)?(?:kill(?:ing)?|hurt(?:ing)?|"
            rf"stab(?:bing)?|shoot(?:ing)?|strangl(?:e|ing)|chok(?:e|ing)|beat(?:ing)?\s+up|"
            rf"harm(?:ing)?|murder(?:ing)?|poison(?:ing)?|attack(?:ing)?|smash(?:ing)?\s+"
            rf"(?:his|her|their)\s+(?:face|head))\s+{_PEOPLE}\b(?!\s+(?:with\s+kindness|at\s+"
            rf"(?:chess|cards|games)|'?s\s+feelings))"
        ),
        "harm_to_others",
        "moderate",
    ),
    _Rule(
        "harm_others_intent",
        _r(
            rf"\b(?:going\s+to|gonna|i'?ll|i\s+will|planning\s+(?:to|on)|plan\s+to|about\s+to|"
            rf"intend\s+to|decided\s+to|ready\s+to|finally\s+going\s+to)\s+(?:really\s+|actually\s+"
            rf"|finally\s+|go\s+)?(?:kill|stab|shoot|strangle|murder|poison|run\s+over|burn\s+down\s+"
            rf"the\s+house\s+(?:of|with)|hurt|attack|beat)\s+{_PEOPLE}\b(?!\s+(?:if|for|when|at|in\s+"
            rf"(?:chess|a\s+game)))|\b(?:bring|take|bringing|taking)\s+(?:a|my|the|my\s+dad'?s)\s+"
            rf"(?:gun|rifle|knife|weapon|pistol)\s+to\s+(?:school|work|class|the\s+office|church|"
            rf"the\s+party|campus)|\bshoot\s+up\s+(?:the|my|a)\s+(?:school|office|workplace|"
            rf"church|mall|class)"
        ),
        "harm_to_others",
        "high",
    ),
    _Rule(
        "harm_others_intent",
        _r(
            rf"\b(?:going\s+to|gonna|i'?ll|i\s+will|want\s+to|wanna)\s+make\s+{_PEOPLE}\s+pay\b"
            rf"[^.?!]{{0,80}}?\b(?:know\s+where\s+(?:he|she|they)\s+lives?|(?:i'?ve\s+got|i\s+have|"
            rf"i\s+got|i\s+bought)\s+(?:a|my|the)\s+(?:\w+\s+)?(?:bat|knife|gun|crowbar|hammer|weapon|"
            rf"pistol|rifle|machete|axe))"
        ),
        "harm_to_others",
        "high",
    ),
    _Rule(
        "harm_others_command",
        _r(
            rf"\bvoices?\s+(?:are\s+|keeps?\s+)?(?:telling|tell|told|command(?:ing|s)?)\s+me\s+to\s+"
            rf"(?:kill|hurt|stab|harm|attack)\s+{_PEOPLE}"
        ),
        "harm_to_others",
        "high",
        first_person=False,
    ),
    # ---- abuse by others
    _Rule(
        "abuse",
        _r(
            rf"\b{_ABUSER}\s+(?:still\s+|always\s+|sometimes\s+|often\s+|keeps\s+|has\s+been\s+|"
            rf"have\s+been\s+|is\s+|are\s+)?(?:hits?|hitting|beats?|beating|punch(?:es|ing)|kicks?|"
            rf"kicking|chokes?|choking|strangles?|strangling|slaps?|slapping|rapes?|raping|abuses?|"
            rf"abusing|molests?|molesting|burns?|forces?\s+(?:me\s+)?to\s+have\s+sex|forcing\s+me|"
            rf"threatens?\s+to\s+(?:kill|hurt|hit)|threatening\s+to\s+(?:kill|hurt|hit)|locks?\s+me"
            rf"\s+(?:in|up|out)|won'?t\s+let\s+me\s+(?:leave|go\s+out|see\s+anyone|eat)|touch(?:es|"
            rf"ing)\s+me\s+(?:inappropriately|when|down\s+there|at\s+night|where))(?:\s+(?:me|my)\b|"
            rf"(?<=inappropriately)|(?<=when)|(?<=there)|(?<=night)|(?<=where))(?!\s+(?:up\b|at\s+|"
            rf"in\s+(?:chess|a\s+game)|to\s+(?:it|the|do|be|try)))"
        ),
        "abuse_by_others",
        "high",
        first_person=False,
        past_downgrade=True,
    ),
    _Rule(
        "abuse",
        _r(
            rf"\b{_ABUSER}\s+(?:hit|beat|punched|kicked|choked|strangled|slapped|raped|abused|"
            rf"molested|assaulted|threatened\s+to\s+(?:kill|hurt|hit)|pushed|shoved|threw\s+\w+\s+at"
            rf"|attacked|sexually\s+assaulted|touched)\s+me\b(?!\s+(?:up|at\s+|in\s+(?:chess|a\s+"
            rf"game)|to\s+(?:it|the|do|be|try)|into\s+(?:doing|trying)|(?:a|the)\s+(?:text|"
            rf"message|ball)|deeply|emotionally))"
        ),
        "abuse_by_others",
        "high",
        first_person=False,
        past_downgrade=True,
    ),
    _Rule(
        "abuse",
        _r(
            r"\b(?:i\s+(?:was|got|am\s+being|'m\s+being|have\s+been|'ve\s+been|keep\s+getting)|"
            r"i'?m\s+(?:being|getting)|being)\s+(?:sexually\s+|physically\s+|emotionally\s+|"
            r"verbally\s+|repeatedly\s+)?(?:abused|raped|molested|assaulted|beaten(?:\s+up)?|"
            r"trafficked|groomed|strangled|choked|stalked|sexually\s+harassed)\b(?!\s+(?:by\s+(?:a|"
            r"the)\s+(?:car|ball|bus|truck|bike|wave)|at\s+(?:chess|cards)))"
        ),
        "abuse_by_others",
        "high",
        past_downgrade=True,
    ),
    _Rule(
        "abuse",
        _r(
            rf"\b{_IM}\s+(?:so\s+|really\s+)?(?:scared|afraid|terrified|frightened)\s+(?:to\s+go\s+"
            rf"(?:back\s+)?home|of\s+(?:my\s+)?(?:husband|wife|partner|boyfriend|girlfriend|dad|"
            rf"father|mom|mother|stepdad|stepfather|ex)\b|(?:he|she|they)(?:'ll|\s+will|\s+is\s+going"
            rf"\s+to|'s\s+going\s+to|\s+might)\s+(?:hurt|kill|hit|beat)\s+me)|\b{_ABUSER}\s+"
            rf"(?:said|says|told\s+me|keeps\s+saying|has\s+said|threatened)\s+(?:that\s+)?(?:he|she|"
            rf"they)(?:'d|\s+would|'ll|\s+will)\s+(?:kill|hurt)\s+me"
        ),
        "abuse_by_others",
        "high",
        first_person=False,
    ),
    _Rule(
        "abuse_bullying",
        _r(
            r"\b(?:they|people|everyone|he|she|kids|classmates|someone|my\s+\w+)\s+(?:keep\s+)?"
            r"(?:tell|tells|told|telling|said|say|says)\s+(?:me\s+)?(?:to\s+(?:go\s+)?kill\s+myself|"
            r"i\s+should\s+(?:go\s+)?(?:kill\s+myself|die))"
        ),
        "abuse_by_others",
        "moderate",
        first_person=False,
        negatable=False,
    ),
    _Rule(
        "abuse",
        _r(
            r"\b(?:touch(?:es|ed|ing)|grop(?:es|ed|ing)|molest(?:s|ed|ing)|rap(?:es|ed|ing)|"
            r"fondl(?:es|ed|ing))\s+me\b(?!\s+(?:deeply|emotionally|so\s+much|with\s+(?:your|"
            r"his|her)\s+(?:words|kindness|story)))"
        ),
        "abuse_by_others",
        "high",
        first_person=False,
        past_downgrade=True,
    ),
    # ---- psychosis: delusions, hallucinations
    _Rule(
        "delusion",
        _r(
            rf"\b(?:{_IM}|im|i'?ve\s+been|i\s+have\s+been)\s+(?:already\s+|actually\s+|really\s+"
            rf"|truly\s+)(?:dead|a\s+corpse|a\s+ghost|not\s+alive)\b|\b{_IM}\s+dead\s+(?:already|"
            rf"and\s+(?:nobody|no\s+one|everyone))|\bi\s+died\s+(?:\w+\s+)?(?:years|months|weeks|"
            rf"days)\s+ago\s+and|\bmy\s+(?:organs|brain|heart|blood|insides|body)\s+(?:is|are|has|"
            rf"have)\s+(?:rotting|rotted|gone|missing|dead|stopped|disappeared)\b"
        ),
        "delusion",
        "moderate",
        past_downgrade=False,
    ),
    _Rule(
        "delusion",
        _r(
            r"\b(?:the\s+)?(?:tv|television|radio|news(?:\s+anchors?|readers?)?|newscasters?|songs"
            r"|billboards?|adverts?|ads|license\s+plates|the\s+internet|my\s+phone|the\s+computer)"
            r"\s+(?:is|are|keeps?|has\s+been|have\s+been)?\s*(?:sending|giving|talking\s+to|"
            r"speaking\s+to|sends|gives|talks\s+to|speaks\s+to|broadcasting\s+to|signall?ing|"
            r"communicating\s+with)\s+(?:me|(?:secret|hidden|special|coded)\s+messages)|\b(?:secret"
            r"|hidden|coded|special)\s+(?:messages?|signals?|signs?)\s+(?:meant\s+)?(?:for|to|at)\s+"
            r"me\b"
        ),
        "delusion",
        "moderate",
        first_person=False,
    ),
    _Rule(
        "delusion",
        _r(
            r"\b(?:they|someone|people|the\s+government|aliens|the\s+cia|the\s+fbi|the\s+nsa|"
            r"satellites?|my\s+neighbou?rs?|demons?|the\s+devil|microwaves?)\s+(?:are|is|can|keep|"
            r"have\s+been|has\s+been)\s+(?:\w+\s+)?(?:reading|hearing|stealing|controlling|"
            r"inserting|putting|broadcasting|monitoring|removing|taking)\s+(?:thoughts\s+(?:in|into)"
            r"\s+)?(?:my\s+)?(?:thoughts|mind|brain|head)\b|\bmy\s+thoughts\s+(?:are|is)\s+being\s+"
            r"(?:broadcast|stolen|controlled|read|inserted)|\b(?:implanted|put|placed|installed|"
            r"hid)\s+(?:a\s+)?(?:chip|tracker|tracking\s+device|device|camera|microphone|"
            r"transmitter)s?\s+(?:in|into|inside|under)\s+(?:my|me)\b|\b(?:the\s+government|the\s+"
            r"cia|the\s+fbi|the\s+nsa|aliens|the\s+mafia|the\s+illuminati|satellites?)\s+(?:is|are|"
            r"has\s+been|have\s+been)\s+(?:watching|following|tracking|spying\s+on|monitoring|"
            r"poisoning|targeting|controlling)\s+me\b"
        ),
        "delusion",
        "moderate",
        first_person=False,
    ),
    _Rule(
        "delusion",
        _r(
            rf"\b{_IM}\s+(?:actually\s+|really\s+|secretly\s+)?(?:the\s+)?(?:messiah|chosen\s+one|"
            rf"son\s+of\s+god|daughter\s+of\s+god|reincarnation\s+of|second\s+coming|a\s+prophet|"
            rf"the\s+prophet|immortal|invincible\s+and\s+can'?t\s+die|god)\b(?!\s*(?:damn|knows|"
            rf"awful))|\b(?:replaced|swapped)\s+(?:by|with)\s+(?:an?\s+)?(?:impostor|imposter|"
            rf"double|robot|clone|body\s+double)s?\b|\bi\s+(?:hear|heard|am\s+hearing|'m\s+hearing|"
            rf"keep\s+hearing)\s+(?:voices|a\s+voice)\b"
        ),
        "delusion",
        "moderate",
    ),
    # ---- mania (combined in the detector: one strong or two weaker signals)
    _Rule(
        "sleep_loss",
        _r(
            r"\b(?:haven'?t|have\s+not|havent|didn'?t|did\s+not|barely|hardly|not)\s+(?:slept|sleep|"
            r"been\s+sleeping|gone\s+to\s+(?:bed|sleep))\b.{0,25}?\b(?:in|for)\s+(?:\d+|two|three|"
            r"four|five|six|seven|several|a\s+few|days|nights)\s*(?:days|nights)?|\b(?:\d+|two|three"
            r"|four|five|six|seven)\s+(?:days|nights)\s+(?:without|with\s+no)\s+sleep|\b(?:awake|up)"
            r"\s+for\s+(?:\d+|two|three|four|five)\s+(?:days|nights)|\bno\s+sleep\s+(?:in|for)\s+"
            r"(?:\d+|two|three|four|five|days)|\bdon'?t\s+(?:even\s+)?need\s+(?:to\s+)?sleep\b"
        ),
        "mania",
        "none",
        negatable=False,
    ),
    _Rule(
        "grandiosity",
        _r(
            r"\b(?:genius|brilliant|billion[- ]dollar|million[- ]dollar|world[- ]changing|"
            r"revolutionary|groundbreaking|divine)\s+(?:\w+\s+)?(?:idea|plan|invention|scheme|"
            r"vision|business|startup)|\binvest(?:ing)?\s+(?:all\s+(?:of\s+)?|every\s+(?:penny|cent)\s+"
            r"of\s+)?(?:my|our)\s+(?:entire\s+|whole\s+|life\s+)?(?:savings|money|retirement|"
            r"pension|inheritance|house)|\b(?:spend|spent|spending|blow|blew|max(?:ed)?"
            r"\s+out|cash(?:ed)?\s+out)\s+(?:all\s+(?:of\s+)?)?(?:my|our)\s+(?:\w+\s+)?(?:savings|"
            r"credit\s+cards?|retirement|pension|401k|inheritance)|\bquit(?:ting)?\s+my\s+job\s+"
            r"(?:tonight|today|tomorrow|right\s+now|this\s+week)|\b(?:i'?m|i\s+am|i\s+feel)\s+"
            r"(?:unstoppable|invincible|on\s+top\s+of\s+the\s+world|limitless|godlike|a\s+genius|"
            r"destined\s+for\s+greatness|going\s+to\s+be\s+(?:rich|famous|a\s+billionaire|a\s+"
            r"millionaire))|\b(?:racing\s+thoughts|thoughts\s+are\s+racing|mind\s+is\s+racing|"
            r"can'?t\s+stop\s+(?:talking|moving)|so\s+much\s+energy)\b"
        ),
        "mania",
        "none",
        negatable=False,
    ),
)

_NEGATION = _r(
    r"\b(?:not|never|no|don'?t|dont|doesn'?t|didn'?t|didnt|won'?t|wont|wouldn'?t|wouldnt|isn'?t|"
    r"wasn'?t|aren'?t|haven'?t|havent|hasn'?t|hadn'?t|shouldn'?t|nor|without|no\s+longer|"
    r"nothing\s+like)\b(?P<after>(?:\s+[\w']+){0,4})\s*$"
)
_NEG_EXEMPT = _r(
    r"^\s+(?:know|sure|care|understand|mind|remember|matter|one|reason|point|way|idea|wonder|"
    r"stop|help|even\s+know|really\s+know|think\s+(?:anyone|anybody|people))\b"
)
_CLAUSE_BREAK = _r(
    r"(?:[.!?;:,\n\"()\[\]]|\s[-\u2013\u2014]\s|\b(?:but|because|cause|cuz|so|though|although|"
    r"however|yet|except|and\s+(?:then|now|yet))\b)"
)
_FIRST = r"(?:i|i'?m|im|i'?ve|ive|i'?d|i'?ll|me|myself)"
_THIRD = (
    r"(?:you|you'?re|youre|you'?ve|youve|you'?d|youd|you'?ll|youll|u|ur|your|yourself|he|she|they|he'?s|she'?s|they'?re|someone|somebody|"
    r"people|everyone|everybody|anyone|anybody|friend|friends|brother|sister|mom|mum|mother|dad|"
    r"father|son|daughter|husband|wife|partner|boyfriend|girlfriend|bf|gf|cousin|uncle|aunt|"
    r"grandma|grandpa|kid|child|classmate|coworker|colleague|roommate|patient|character|op|guy|"
    r"girl|man|woman|person|client|student|teen|teenager|who|celebrity|actor|singer)"
)
_SUBJECT = _r(rf"\b(?:(?P<first>{_FIRST})|(?P<third>{_THIRD}))\b")
_SPEAKER = _r(r"\b(?:i|i'?m|im|i'?ve|ive|i'?d|i'?ll|me|my|mine|myself)\b")
_QUESTION_LEAD = _r(
    r"\b(?:how|what|what'?s|which|where|where'?s|when|is\s+there|are\s+there|can|could|does|do|"
    r"tell\s+me|wondering|wonder|want\s+to\s+know|need\s+to\s+know|look(?:ed|ing)?\s+(?:up|for)|"
    r"googl\w*|search\w*|asking|ask)\b"
)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")

MODIFIER_SIGNALS = frozenset(
    {
        "timing",
        "means_access",
        "intent_vague",
        "plan_vague",
        "distress",
        "sleep_loss",
        "grandiosity",
        "negated",
        "other_person",
        "idiom",
    }
)
"""Signals with level ``none`` that only matter in combination (see the detector).

``negated``, ``other_person`` and ``idiom`` mark risk words the filters cancelled ("I'm not
suicidal", "she wants to die", "this exam is killing me"); the detector then ignores the
classifier on that sentence unless it also holds a risk statement of the speaker's own.
"""

_KEYWORDS = _r(
    r"\b(?:suicid\w*|kill\s+(?:my|me|him|her|them)\w*|die|dying|dead|death|end\s+(?:it|my\s+life)"
    r"|overdos\w*|pills|bridge|jump\w*|cut\w*|hurt\w*|harm\w*|gun|rope|noose|poison\w*|"
    r"hopeless|worthless|abus\w*|rap(?:e|ed)|hit\s+me|voices|goodbye)\b"
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the sentences of ``text`` (newlines also split)."""
    spans = []
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def _clause_prefix(text: str, sent_start: int, match_start: int) -> str:
    prefix = text[sent_start:match_start]
    ends = [m.end() for m in _CLAUSE_BREAK.finditer(prefix)]
    return prefix[ends[-1] :] if ends else prefix


def _is_negated(prefix: str) -> bool:
    m = _NEGATION.search(prefix)
    if m is None:
        return False
    return _NEG_EXEMPT.match(m.group("after") or "") is None


def _other_person(prefix: str) -> bool:
    """Say whether the nearest subject before the match is someone other than the speaker."""
    subjects = list(_SUBJECT.finditer(prefix))
    return bool(subjects) and subjects[-1].group("third") is not None


def _speaker_is_subject(prefix: str) -> bool:
    """Say whether a noun-like risk phrase is about the speaker ("my suicide attempt")."""
    if not prefix.strip():
        return True
    return _SPEAKER.search(prefix) is not None and not _other_person(prefix)


def about_someone_else(sentence: str) -> bool:
    """Say whether a sentence speaks of or to another person and nowhere of the speaker.

    Whose risk it is matters: "you deserve to live" or "he wants to die" is not the speaker's
    own ideation, while "life isn't worth living" (no person named) or "nobody would miss me" is.
    """
    if _SPEAKER.search(sentence) is not None:
        return False
    return any(m.group("third") is not None for m in _SUBJECT.finditer(sentence))


def _is_question(sentence: str, prefix: str, match: str) -> bool:
    """Say whether a means phrase is asked for, not mentioned ("no painless way to die")."""
    return (
        "?" in sentence
        or not prefix.strip()
        or _QUESTION_LEAD.match(match) is not None
        or _QUESTION_LEAD.search(prefix) is not None
    )


def _downgrade(level: RiskLevel) -> RiskLevel:
    return RISK_LEVELS[max(0, RISK_LEVELS.index(level) - 1)]


def scan(text: str) -> list[PatternHit]:
    """Return every rule hit in ``text``, after idiom masking, negation and person filters.

    Offsets refer to ``text`` as given; hits are ordered by position.
    """
    if not isinstance(text, str):
        raise TypeError(f"scan() needs a str, got {type(text).__name__}")
    masked = mask_idioms(text)
    sentences = split_sentences(masked) or [(0, len(masked))]
    hits: list[PatternHit] = [
        PatternHit(
            signal="idiom",
            category=None,
            level="none",
            start=m.start(),
            end=m.end(),
            text=text[m.start() : m.end()],
        )
        for m in _IDIOMS.finditer(text.replace("\u2019", "'").replace("\u2018", "'"))
    ]
    seen: set[tuple[str, int, int]] = set()
    for s_start, s_end in sentences:
        sentence = masked[s_start:s_end]
        long_ago = _LONG_AGO.search(sentence) is not None
        for rule in _RULES:
            for m in rule.regex.finditer(sentence):
                if m.end() == m.start():
                    continue
                start, end = s_start + m.start(), s_start + m.end()
                prefix = _clause_prefix(masked, s_start, start)
                blocked = None
                if rule.negatable and _is_negated(prefix):
                    blocked = "negated"
                elif rule.first_person and _other_person(prefix):
                    blocked = "other_person"
                elif rule.needs_subject and not _speaker_is_subject(prefix):
                    blocked = "other_person"
                elif rule.question and not _is_question(sentence, prefix, m.group(0)):
                    continue
                if blocked is not None:
                    if rule.level != "none":  # keep a trace: it discounts the classifier too
                        hits.append(
                            PatternHit(
                                signal=blocked,
                                category=rule.category,
                                level="none",
                                start=start,
                                end=end,
                                text=text[start:end],
                            )
                        )
                    continue
                level = rule.level
                if rule.past_downgrade and long_ago:
                    level = _downgrade(level)
                    if rule.category == "abuse_by_others":
                        level = "moderate"
                key = (rule.signal, start, end)
                if key in seen:
                    continue
                seen.add(key)
                hits.append(
                    PatternHit(
                        signal=rule.signal,
                        category=rule.category,
                        level=level,
                        start=start,
                        end=end,
                        text=text[start:end],
                    )
                )
    hits.sort(key=lambda h: (h.start, h.end))
    return hits


def risk_keywords(texts: Sequence[str]) -> list[str]:
    """Return broad risk words found in ``texts``: the recall-first net used when a layer fails."""
    found: list[str] = []
    for t in texts:
        found.extend(m.group(0).lower() for m in _KEYWORDS.finditer(t))
    return found
