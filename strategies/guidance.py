"""Render a strategy as prompt text the reply model can follow.

A 1.5B local model drifts into generic advice unless the move it should make is spelled out and
shown; this is the one place that turns catalog knowledge into that guidance.
"""

from __future__ import annotations

from theraloop.strategies.catalog import get_strategy

__all__ = ["strategy_guidance"]


def strategy_guidance(strategy_id: str, *, examples: bool = True) -> str:
    """Return the definition, when-to-use and example replies of a strategy as prompt text.

    Args:
        strategy_id: A catalog id such as ``"reflection_of_feelings"``.
        examples: Include the example replies (few-shot guidance); turn off for large models
            that copy examples too literally.

    Raises:
        UnknownStrategyError: the id is not in the catalog.
    """
    strategy = get_strategy(strategy_id)
    lines = [
        f"Strategy for this reply: {strategy.name}.",
        f"What it is: {strategy.definition}",
        f"Use it when: {strategy.when_to_use}",
    ]
    if strategy.directive:
        lines.append("Offer it as an option the client is free to take or leave.")
    else:
        lines.append("Do not give advice or suggestions in this reply.")
    if examples:
        lines.append("Examples of the style (adapt to the client's words, do not copy):")
        lines.extend(f'- "{example}"' for example in strategy.examples)
    return "\n".join(lines)
