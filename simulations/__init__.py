"""Simulations: simulated clients, a resumable multi-session runner, judges and reports.

The lab where the therapist is tried across many sessions before a person ever is. Names are
imported lazily (PEP 562) so ``theraloop --help`` and ``import simulations`` stay fast; pandas,
matplotlib and the agent load only when a report or a run needs them.

Example:
    >>> from theraloop.simulations import builtin_profiles, StatefulClient
    >>> client = StatefulClient(builtin_profiles()[0], seed=0)
    >>> client.start_session(1, turns=3).phq9_total >= 0
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    # profiles
    "ClientProfile",
    "Demographics",
    "Complaint",
    "LifeEvent",
    "RiskProfile",
    "RiskEscalation",
    "Baseline",
    "Attitude",
    "StageOfChange",
    "ClientEmotion",
    "RiskLevel",
    "PROFILE_DIR",
    "load_profile",
    "builtin_profiles",
    "builtin_profile_ids",
    "resolve_profiles",
    "load_cactus",
    "default_cactus_path",
    # client
    "ClientState",
    "ClientMemory",
    "ClientAction",
    "ClientTurn",
    "QuestionnaireAnswers",
    "TherapistTurn",
    "Move",
    "classify_move",
    "therapist_turn",
    "ClientDynamics",
    "SimulatedClient",
    "StatefulClient",
    "StatefulClientConfig",
    "CLIENT_REGISTRY",
    "make_client",
    "TemplateVoice",
    "LLMVoice",
    # runner and traces
    "RunConfig",
    "RunManifest",
    "RunResult",
    "ClientOutcome",
    "Ablation",
    "ABLATIONS",
    "ablation_settings",
    "run_simulation",
    "run_ablations",
    "RayOptions",
    "default_agent_factory",
    "Therapist",
    "RunStateError",
    "TraceTurn",
    "SessionStartRecord",
    "SessionEndRecord",
    "read_trace",
    "RunErasureReport",
    "erase_client_from_run",
    # results, judges, reports
    "Run",
    "ClientRun",
    "SessionRun",
    "load_run",
    "find_runs",
    "open_client_memory",
    "SAMPLE_PROFILES",
    "SampleRunError",
    "sample_run",
    "Judge",
    "HeuristicJudge",
    "LLMJudge",
    "make_judge",
    "judge_run",
    "JudgeReport",
    "SessionJudgement",
    "MultiSessionJudgement",
    "ScoredItem",
    "MitiCounts",
    "miti_counts",
    "trajectories",
    "emotion_trajectory",
    "strategy_timeline",
    "decisions",
    "client_outcomes",
    "safety_events",
    "miti_table",
    "judge_table",
    "multi_session_table",
    "ablation_table",
    "plot_questionnaires",
    "plot_emotions",
    "plot_strategy_timeline",
    "plot_judge_scores",
    "plot_ablation",
    "write_report",
    "write_comparison",
]

_WHERE = {
    "profiles": (
        "ClientProfile Demographics Complaint LifeEvent RiskProfile RiskEscalation Baseline "
        "Attitude StageOfChange ClientEmotion RiskLevel PROFILE_DIR load_profile builtin_profiles "
        "builtin_profile_ids resolve_profiles"
    ),
    "cactus": "load_cactus default_cactus_path",
    "state": "ClientState ClientMemory ClientAction ClientTurn QuestionnaireAnswers",
    "moves": "TherapistTurn Move classify_move therapist_turn",
    "dynamics": "ClientDynamics",
    "client": ("SimulatedClient StatefulClient StatefulClientConfig CLIENT_REGISTRY make_client"),
    "utterances": "TemplateVoice LLMVoice",
    "runner": (
        "RunConfig RunManifest RunResult ClientOutcome Ablation ABLATIONS ablation_settings "
        "run_simulation run_ablations default_agent_factory Therapist RunStateError"
    ),
    "_ray": "RayOptions",
    "trace": "TraceTurn SessionStartRecord SessionEndRecord read_trace",
    "erase": "RunErasureReport erase_client_from_run",
    "rundata": "Run ClientRun SessionRun load_run find_runs open_client_memory",
    "sample": "SAMPLE_PROFILES SampleRunError sample_run",
    "judge": (
        "Judge HeuristicJudge LLMJudge make_judge judge_run JudgeReport SessionJudgement "
        "MultiSessionJudgement ScoredItem MitiCounts miti_counts"
    ),
    "report": (
        "trajectories emotion_trajectory strategy_timeline decisions client_outcomes "
        "safety_events miti_table judge_table multi_session_table ablation_table "
        "plot_questionnaires plot_emotions plot_strategy_timeline plot_judge_scores "
        "plot_ablation write_report write_comparison"
    ),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names.split()}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from theraloop.simulations._ray import RayOptions
    from theraloop.simulations.cactus import default_cactus_path, load_cactus
    from theraloop.simulations.client import (
        CLIENT_REGISTRY,
        SimulatedClient,
        StatefulClient,
        StatefulClientConfig,
        make_client,
    )
    from theraloop.simulations.dynamics import ClientDynamics
    from theraloop.simulations.erase import RunErasureReport, erase_client_from_run
    from theraloop.simulations.judge import (
        HeuristicJudge,
        Judge,
        JudgeReport,
        LLMJudge,
        MitiCounts,
        MultiSessionJudgement,
        ScoredItem,
        SessionJudgement,
        judge_run,
        make_judge,
        miti_counts,
    )
    from theraloop.simulations.moves import Move, TherapistTurn, classify_move, therapist_turn
    from theraloop.simulations.profiles import (
        PROFILE_DIR,
        Attitude,
        Baseline,
        ClientEmotion,
        ClientProfile,
        Complaint,
        Demographics,
        LifeEvent,
        RiskEscalation,
        RiskLevel,
        RiskProfile,
        StageOfChange,
        builtin_profile_ids,
        builtin_profiles,
        load_profile,
        resolve_profiles,
    )
    from theraloop.simulations.report import (
        ablation_table,
        client_outcomes,
        decisions,
        emotion_trajectory,
        judge_table,
        miti_table,
        multi_session_table,
        plot_ablation,
        plot_emotions,
        plot_judge_scores,
        plot_questionnaires,
        plot_strategy_timeline,
        safety_events,
        strategy_timeline,
        trajectories,
        write_comparison,
        write_report,
    )
    from theraloop.simulations.rundata import (
        ClientRun,
        Run,
        SessionRun,
        find_runs,
        load_run,
        open_client_memory,
    )
    from theraloop.simulations.runner import (
        ABLATIONS,
        Ablation,
        ClientOutcome,
        RunConfig,
        RunManifest,
        RunResult,
        RunStateError,
        Therapist,
        ablation_settings,
        default_agent_factory,
        run_ablations,
        run_simulation,
    )
    from theraloop.simulations.sample import SAMPLE_PROFILES, SampleRunError, sample_run
    from theraloop.simulations.state import (
        ClientAction,
        ClientMemory,
        ClientState,
        ClientTurn,
        QuestionnaireAnswers,
    )
    from theraloop.simulations.trace import (
        SessionEndRecord,
        SessionStartRecord,
        TraceTurn,
        read_trace,
    )
    from theraloop.simulations.utterances import LLMVoice, TemplateVoice
