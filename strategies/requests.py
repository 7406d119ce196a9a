"""Notice what the client is asking of the therapist: advice, information, or a warm goodbye.

A client who asks "what should I do?" and gets yet another reflection feels unheard; one who
says "thanks, that helped" needs a closing, not a probe. These are surface acts with reliable
wording, so high-precision patterns suffice and keep the policy input cheap and transparent.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

__all__ = ["ClientRequest", "CLIENT_REQUESTS", "detect_request"]

ClientRequest = Literal["none", "advice", "information", "thanks"]
"""What the client's message asks for: nothing in particular, advice, information, or it
thanks / says goodbye."""

CLIENT_REQUESTS: tuple[ClientRequest, ...] = get_args(ClientRequest)

_ADVICE = re.compile(
    r"\b(what (should|can|could|do) i do|what would you (do|suggest|recommend)|"
    r"(any|some|your) (advice|suggestions?|tips|ideas)|do you have (any )?(advice|suggestions?|"
    r"tips|ideas)|how (do|can|should|could) i (deal|cope|handle|get|stop|make|start|fix|"
    r"move on|improve|overcome|talk|tell|find)|should i\b|what do you (think|suggest) i should|"
    r"is there anything i can do|how to (deal|cope|handle|stop|get))",
    re.I,
)
_INFORMATION = re.compile(
    r"\b(is (it|this|that) (normal|common|true|possible)|do you know (if|whether|where|how|"
    r"what|any)|how long (does|will|do)|what (is|are|does) (a |an |the )?\w+( \w+)? (mean|do|"
    r"like)\b|where can i (find|get)|are there (any )?(\w+ )?(resources|programs|services|"
    r"places|groups|hotlines|apps|books)|what are (the )?(signs|symptoms|options))",
    re.I,
)
_THANKS = re.compile(
    r"^\W*(ok(ay)?,? |well,? |alright,? )?(thanks?|thank you|thx|ty|bye|goodbye|good night|"
    r"have a (good|great|nice|wonderful)|take care)\b|\b(thank you|thanks)( so much| a lot| "
    r"again| for (everything|your help|listening|the advice|talking))\W*$",
    re.I,
)


def detect_request(text: str) -> ClientRequest:
    """Return what the client's message asks for; ``"none"`` when it asks nothing specific.

    Thanks and goodbyes win over questions in the same message ("thanks, what should I do
    next time?" is still mainly a question, so only a message that *starts* with thanks or
    *ends* with a thank-you counts as thanks); advice wins over information.
    """
    if not isinstance(text, str) or not text.strip():
        return "none"
    if _ADVICE.search(text):
        return "advice"
    if _THANKS.search(text.strip()) and "?" not in text:
        return "thanks"
    if _INFORMATION.search(text) and "?" in text:
        return "information"
    if _THANKS.search(text.strip()):
        return "thanks"
    return "none"
