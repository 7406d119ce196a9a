"""Counselling knowledge of theraloop: strategies, modalities, the strategy policy, instruments.

Imports nothing else of theraloop and nothing heavy, so any layer can use it.
"""

from theraloop.strategies.catalog import (
    CATALOG,
    ESCONV_LABELS,
    Exemplar,
    Strategy,
    StrategyFamily,
    get_strategy,
    load_catalog,
    strategy_ids,
)
from theraloop.strategies.classifier import StrategyClassification, StrategyClassifier
from theraloop.strategies.errors import (
    CatalogError,
    StrategiesError,
    StrategyInputError,
    UnknownStrategyError,
)
from theraloop.strategies.guidance import strategy_guidance
from theraloop.strategies.instruments import (
    ANSWER_OPTIONS,
    GAD7_ITEMS,
    PHQ9_ITEMS,
    Instrument,
    InstrumentScore,
    Severity,
    score_gad7,
    score_phq9,
)
from theraloop.strategies.modalities import (
    MODALITIES,
    MODALITY_IDS,
    Modality,
    ModalityInfo,
    get_modality,
)
from theraloop.strategies.policy import PolicyInput, PolicyWeights, StrategyChoice, choose_strategy
from theraloop.strategies.requests import CLIENT_REQUESTS, ClientRequest, detect_request
from theraloop.strategies.vocab import (
    EMOTION_FAMILY,
    EMOTIONS,
    REACTIONS,
    STAGES,
    Emotion,
    EmotionFamily,
    Reaction,
    TreatmentStage,
    emotion_family,
)

__all__ = [
    # catalog
    "Strategy",
    "Exemplar",
    "StrategyFamily",
    "CATALOG",
    "ESCONV_LABELS",
    "get_strategy",
    "load_catalog",
    "strategy_ids",
    "strategy_guidance",
    "StrategyClassifier",
    "StrategyClassification",
    # modalities
    "Modality",
    "MODALITY_IDS",
    "MODALITIES",
    "ModalityInfo",
    "get_modality",
    # vocabularies
    "Emotion",
    "EMOTIONS",
    "EmotionFamily",
    "EMOTION_FAMILY",
    "emotion_family",
    "Reaction",
    "REACTIONS",
    "TreatmentStage",
    "STAGES",
    # policy
    "ClientRequest",
    "CLIENT_REQUESTS",
    "detect_request",
    "PolicyInput",
    "PolicyWeights",
    "StrategyChoice",
    "choose_strategy",
    # instruments
    "Instrument",
    "InstrumentScore",
    "Severity",
    "ANSWER_OPTIONS",
    "PHQ9_ITEMS",
    "GAD7_ITEMS",
    "score_phq9",
    "score_gad7",
    # errors
    "StrategiesError",
    "StrategyInputError",
    "UnknownStrategyError",
    "CatalogError",
]
