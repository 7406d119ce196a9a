"""Clinical safety: crisis-risk detection before every reply, the crisis protocol, reply guards.

Nothing here imports torch or sentence-transformers at import time; the classifier loads through
the injected embedder when it is first used.
"""

from theraloop.agent.safety.classifier import CLASS_MAP, ClassifierReading, EmbeddingRiskClassifier
from theraloop.agent.safety.conditions import perceive as perceive_conditions
from theraloop.agent.safety.default import assess_risk, default_assessor
from theraloop.agent.safety.detector import RiskAssessor
from theraloop.agent.safety.guards import (
    FALLBACK_KINDS,
    FallbackKind,
    ReplyGuard,
    protocol_urgent_lines,
    safe_fallback_reply,
)
from theraloop.agent.safety.models import (
    RISK_CATEGORIES,
    RISK_LEVELS,
    ConditionKind,
    ConditionReading,
    CrisisEvent,
    EvidenceSpan,
    GuardedReply,
    GuardKind,
    GuardVerdict,
    GuardViolation,
    Layer,
    LLMRiskOpinion,
    RiskAssessment,
    RiskCategory,
    RiskLevel,
    TextSpan,
    level_rank,
    max_level,
)
from theraloop.agent.safety.patterns import PatternHit, scan
from theraloop.agent.safety.protocol import (
    CrisisResource,
    CrisisResources,
    LocaleResources,
    crisis_reply,
    default_resources,
    resources_text,
)
from theraloop.agent.safety.reader import LearnedRiskReader

__all__ = [
    "ConditionKind",
    "ConditionReading",
    "perceive_conditions",
    "RiskLevel",
    "RISK_LEVELS",
    "RiskCategory",
    "RISK_CATEGORIES",
    "Layer",
    "level_rank",
    "max_level",
    "EvidenceSpan",
    "LLMRiskOpinion",
    "RiskAssessment",
    "RiskAssessor",
    "assess_risk",
    "default_assessor",
    "LearnedRiskReader",
    "EmbeddingRiskClassifier",
    "ClassifierReading",
    "CLASS_MAP",
    "PatternHit",
    "scan",
    "CrisisResource",
    "LocaleResources",
    "CrisisResources",
    "default_resources",
    "crisis_reply",
    "protocol_urgent_lines",
    "resources_text",
    "CrisisEvent",
    "ReplyGuard",
    "GuardKind",
    "GuardViolation",
    "GuardVerdict",
    "GuardedReply",
    "TextSpan",
    "safe_fallback_reply",
    "FallbackKind",
    "FALLBACK_KINDS",
]
