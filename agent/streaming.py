"""Streaming a turn: release the therapist's draft sentence by sentence, each one checked first.

The intra-session graph streams the ``respond`` node's tokens. :func:`release_checked` gathers
them into sentences and lets a sentence out only once the draft checks and the reply guard have
passed the whole reply up to and including it, so no unchecked text reaches the client. Once a
sentence fails, or the graph regenerates the draft, nothing more of the draft is released;
:func:`rest_of_reply` then says what of the recorded reply the client has not seen yet.
:func:`pump` turns such a blocking iterator into an async one.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig

from theraloop.agent.context import SessionContext
from theraloop.agent.prompts import draft_problem
from theraloop.agent.state import SessionInput

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

    from theraloop.agent.safety import ReplyGuard, RiskAssessment

__all__ = ["SentenceGate", "release_checked", "rest_of_reply", "pump"]


class SentenceGate:
    """Gather streamed tokens into sentences (ending in . ! ? or a newline, with what follows)."""

    _END = re.compile(r"[.!?…]+[\"')\]]*\s+|\n+")

    def __init__(self) -> None:
        """Start with nothing buffered and the gate open."""
        self._buffer = ""
        self.closed = False

    def feed(self, token: str) -> list[str]:
        """Add a token; return the sentences it completed, trailing whitespace included."""
        self._buffer += token
        out = []
        while (match := self._END.search(self._buffer)) is not None:
            out.append(self._buffer[: match.end()])
            self._buffer = self._buffer[match.end() :]
        return out

    def close(self) -> None:
        """Release nothing more from this draft."""
        self.closed = True


def release_checked(
    graph: CompiledStateGraph[Any, SessionContext, SessionInput, Any],
    turn: SessionInput,
    config: RunnableConfig,
    context: SessionContext,
    *,
    recent: Sequence[str] = (),
) -> Generator[str, None, str]:
    """Run one turn through ``graph``, yielding the first draft's sentences that pass the checks.

    ``recent`` are the session's latest replies, which a sentence may not repeat. Risk is read
    from the graph's updates before any token arrives, so the guard judges each sentence with the
    turn's assessed risk. The graph runs to its end (the turn is recorded) whatever is released.

    Returns:
        (as the generator's value) the text released, so the caller can send the rest.
    """
    gate = SentenceGate()
    draft_id: str | None = None
    risk: RiskAssessment | None = None
    released = ""
    for mode, payload in graph.stream(
        turn, config, context=context, stream_mode=["messages", "updates"], durability="sync"
    ):
        if mode == "updates":
            for update in payload.values():
                if isinstance(update, dict) and update.get("risk") is not None:
                    risk = update["risk"]
            continue
        chunk, meta = payload
        if meta.get("langgraph_node") != "respond" or gate.closed:
            continue
        draft_id = draft_id or chunk.id
        if chunk.id != draft_id:  # a regeneration after the guard fired: not streamed
            gate.close()
            continue
        for sentence in gate.feed(str(chunk.content)):
            sentence = sentence if released else sentence.lstrip()
            if _passes(
                context.guard, released + sentence, sentence, turn["client_text"], risk, recent
            ):
                released += sentence
                yield sentence
            else:
                gate.close()
                break
    return released


def _passes(
    guard: ReplyGuard,
    reply_so_far: str,
    sentence: str,
    client_text: str,
    risk: RiskAssessment | None,
    recent: Sequence[str],
) -> bool:
    """Return whether ``sentence`` may go out: no draft problem, and the guard passes the reply."""
    problem = draft_problem(sentence, recent)
    ok_draft = problem is None or problem.kind == "empty"
    return ok_draft and guard.check(reply_so_far, client_text, risk).ok


def rest_of_reply(released: str, final: str) -> str | None:
    r"""Return what of the recorded reply ``final`` to send after ``released``, or ``None``.

    When the recorded reply continues the released text, only its continuation follows. When the
    guard replaced the draft, the safe reply follows in full after a blank line.

    Example:
        >>> rest_of_reply("That sounds hard. ", "That sounds hard. What helps?")
        'What helps?'
        >>> rest_of_reply("That sounds hard. ", "That sounds hard.") is None
        True
        >>> rest_of_reply("Here is how. ", "I can't help with that.")
        "\n\nI can't help with that."
    """
    done = released.rstrip()
    if final.startswith(done):
        tail = final[len(done) :]
        if not tail.strip():
            return None
        return tail.lstrip() if released != done or not released else tail
    return ("\n\n" if released else "") + final


async def pump(produce: Callable[[], Iterator[str]]) -> AsyncIterator[str]:
    """Run the blocking iterator ``produce()`` in a worker thread; yield its pieces here.

    An exception in the worker is re-raised in the caller's task; the worker is awaited even when
    the caller stops early, so no thread outlives the iteration.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def run() -> None:
        try:
            for piece in produce():
                loop.call_soon_threadsafe(queue.put_nowait, ("piece", piece))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's task
            loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
        else:
            loop.call_soon_threadsafe(queue.put_nowait, ("done", None))

    worker = asyncio.create_task(asyncio.to_thread(run))
    try:
        while True:
            kind, value = await queue.get()
            if kind == "piece":
                yield value
            elif kind == "error":
                raise value
            else:
                break
    finally:
        await worker
