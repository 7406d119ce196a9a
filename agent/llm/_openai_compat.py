"""``ChatOpenAI`` for any OpenAI-compatible server, with negotiated structured output.

Imported only when an ``openai:`` spec is built, since it needs ``theraloop[openai]``.
"""

from __future__ import annotations

import re
from typing import Any

import openai
from langchain_core.language_models import LanguageModelInput
from langchain_core.runnables import Runnable
from langchain_openai import ChatOpenAI
from pydantic import PrivateAttr

from theraloop.agent.llm._convert import schema_to_json_schema
from theraloop.agent.llm._structured import (
    Negotiation,
    StructuredMethod,
    negotiated_structured_output,
)

__all__ = ["ChatOpenAICompatible", "refuses_method"]

_REFUSAL = re.compile(
    r"response_format|json_schema|json_object|guided_|tool_choice|\btools?\b|not supported|"
    r"unsupported|not implemented",
    re.IGNORECASE,
)


def refuses_method(error: BaseException) -> bool:
    """Return whether an HTTP error says the server does not take the structured-output method.

    Servers say so in different ways: OpenAI and vLLM with 400, FastAPI-based ones with 422, and
    ``llama_cpp.server`` with 500 quoting its validation error on ``response_format.type``.
    """
    return (
        isinstance(error, openai.APIStatusError)
        and error.status_code in (400, 404, 422, 500, 501)
        and bool(_REFUSAL.search(str(error)))
    )


class ChatOpenAICompatible(ChatOpenAI):
    """An OpenAI-compatible chat model that finds the structured-output method its server takes.

    ``with_structured_output(schema)`` tries :attr:`structured_methods` in order: ``json_schema``
    (OpenAI, vLLM), ``json_mode`` with the schema in the prompt and in ``response_format.schema``
    (which ``llama_cpp.server`` turns into a grammar), then plain text validated against the
    schema. A method the server refuses is dropped for this model; :attr:`negotiation` says
    which method is in use and why others were dropped. Passing ``method=`` explicitly, or
    ``include_raw=True``, uses ``ChatOpenAI``'s own behaviour.
    """

    structured_methods: tuple[StructuredMethod, ...] = ("json_schema", "json_mode", "prompted")
    """Structured-output methods to try, best first."""

    _negotiation: Negotiation | None = PrivateAttr(default=None)

    @property
    def negotiation(self) -> Negotiation:
        """The structured-output method in use and the refusals that led to it."""
        if self._negotiation is None:
            self._negotiation = Negotiation(methods=self.structured_methods)
        return self._negotiation

    def with_structured_output(  # type: ignore[override]
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredMethod | None = None,
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Return a runnable producing ``schema``-shaped output; see the class docstring."""
        base = super().with_structured_output
        if method == "prompted" and schema is not None and not include_raw:
            return negotiated_structured_output(
                self,
                schema,
                negotiation=Negotiation(methods=("prompted",)),
                native=None,
                unsupported=refuses_method,
            )
        if method is not None or include_raw or schema is None:
            return base(
                schema,
                method=method or "json_schema",  # type: ignore[arg-type]
                include_raw=include_raw,
                strict=strict,
                **kwargs,
            )

        def native(chosen: StructuredMethod) -> Runnable[LanguageModelInput, Any]:
            if chosen == "json_mode":
                hint = {"type": "json_object", "schema": schema_to_json_schema(schema)}
                return base(schema, method="json_mode", response_format=hint, **kwargs)
            return base(schema, method=chosen, strict=strict, **kwargs)  # type: ignore[arg-type]

        return negotiated_structured_output(
            self,
            schema,
            negotiation=self.negotiation,
            native=native,
            unsupported=refuses_method,
        )
