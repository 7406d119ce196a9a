"""Measure the embedded models: load time, prompt and generation speed, prefix reuse, RAM.

Usage:
    .venv/bin/python benchmarks/llm_speed.py [--models local local-small] [--threads 2]
        [--builds portable=installed native=/path/to/site-dir] [--rounds 2]

``--builds`` compares llama.cpp builds in one run: each ``NAME=DIR`` puts a llama-cpp-python
installed with ``pip install --target DIR`` first on the path of its subprocess (``installed``
is the venv's own); rounds alternate between builds so a change in machine load hits both.

Each model runs in its own subprocess so its RAM is measured alone. Numbers are end-to-end
through ChatLlamaCpp (chat template, tokenization, sampling), not raw llama.cpp kernels:

- load: constructing the Llama (weights memory-mapped; a cold page cache reads the file);
- prompt tok/s: a ~500-token prompt evaluated from an empty KV cache, time to first token;
- generation tok/s: tokens after the first one, divided by the time after the first token;
- cached prefix: time to first token when only the last line of that prompt changes;
- JSON: one structured-output call (grammar-constrained) into a two-field schema;
- RAM: resident set after the runs (VmRSS) and its peak (VmHWM), weights included;
- tok/CPU-s: tokens per CPU-second of this process. With --threads 1 on a busy machine it
  estimates the speed of one free core (wall-clock rates then mostly measure the other load).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PARAGRAPH = (
    "The client describes a week of poor sleep, tension before work meetings, and a habit of "
    "replaying conversations at night. They mention a supportive sister, a recent argument "
    "with a manager, and worry that they are letting their team down. "
)


class Emotion(BaseModel):
    """A two-field schema for the structured-output timing."""

    label: Literal["joy", "sadness", "anger", "fear", "neutral"] = Field(description="emotion")
    intensity: int = Field(ge=1, le=5, description="1 faint .. 5 overwhelming")


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def measure(name: str, threads: int, prompt_words: int, gen_tokens: int) -> dict:
    """Run every measurement on one model in this process and return the figures."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from theraloop.agent.llm import make_chat_model

    model = make_chat_model(
        name, temperature=0.0, max_tokens=gen_tokens, n_threads=threads, n_ctx=4096
    )
    loaded = model.load()  # type: ignore[attr-defined]
    system = SystemMessage(
        "You are a counselor. Read the notes and answer briefly.\n"
        + PARAGRAPH * max(1, prompt_words // 45)
    )

    def first_token_and_rate(
        messages: list, max_tokens: int
    ) -> tuple[float, float, float, float, dict]:
        """Return TTFT, generation rate, and the CPU seconds of both phases."""
        start, cpu_start = time.perf_counter(), time.process_time()
        first = cpu_first = None
        last_chunk = None
        for chunk in model.stream(messages, max_tokens=max_tokens):
            if first is None and chunk.text:
                first, cpu_first = time.perf_counter(), time.process_time()
            last_chunk = chunk
        end, cpu_end = time.perf_counter(), time.process_time()
        usage = last_chunk.usage_metadata  # type: ignore[union-attr]
        if first is None or cpu_first is None:
            first, cpu_first = end, cpu_end
        rate = (usage["output_tokens"] - 1) / (end - first) if end > first else 0.0
        return first - start, rate, cpu_first - cpu_start, cpu_end - cpu_first, usage

    # Prompt processing from an empty cache.
    loaded.llama.reset()
    ttft, _, prompt_cpu, _, usage = first_token_and_rate(
        [system, HumanMessage("Summarize in one line.")], 1
    )
    prompt_tokens = usage["input_tokens"]
    # Same prefix, new last line: the KV cache serves the prefix.
    cached_ttft, _, _, _, cached_usage = first_token_and_rate(
        [system, HumanMessage("What is the main worry?")], 1
    )
    # Generation speed on a short prompt, long reply.
    loaded.llama.reset()
    _, gen_rate, _, gen_cpu, gen_usage = first_token_and_rate(
        [HumanMessage("Write a calm, detailed paragraph about how to prepare for sleep.")],
        gen_tokens,
    )
    structured = model.with_structured_output(Emotion)  # type: ignore[attr-defined]
    start = time.perf_counter()
    result = structured.invoke(
        "Classify the main emotion of this message: I can't stop worrying about tomorrow's "
        "meeting, my stomach is in knots."
    )
    json_seconds = time.perf_counter() - start
    from theraloop.agent.llm.cpu import build_features, read_system_info

    return {
        "model": name,
        "build": ",".join(sorted(build_features(read_system_info()))),
        "threads": threads,
        "load_s": round(loaded.load_seconds, 2),
        "prompt_tokens": prompt_tokens,
        "prompt_tok_s": round(prompt_tokens / ttft, 1),
        "prompt_tok_cpu_s": round(prompt_tokens / max(prompt_cpu, 1e-9), 1),
        "ttft_s": round(ttft, 2),
        "cached_ttft_s": round(cached_ttft, 3),
        "cache_read": cached_usage["input_token_details"]["cache_read"],
        "gen_tokens": gen_usage["output_tokens"],
        "gen_tok_s": round(gen_rate, 1),
        "gen_tok_cpu_s": round((gen_usage["output_tokens"] - 1) / max(gen_cpu, 1e-9), 1),
        "json_s": round(json_seconds, 2),
        "json_result": result.model_dump(),
        "rss_gib": round(_status_kib("VmRSS") / 2**20, 2),
        "peak_rss_gib": round(_status_kib("VmHWM") / 2**20, 2),
    }


def main() -> None:
    """Measure each model in a subprocess and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["local-small", "local"])
    parser.add_argument("--threads", type=int, nargs="+", default=[2])
    parser.add_argument("--prompt-words", type=int, default=400)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--builds", nargs="+", default=["installed=installed"])
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds per build")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        result = measure(args.one, args.threads[0], args.prompt_words, args.gen_tokens)
        print(json.dumps(result))
        return
    load_at_start = os.getloadavg()[0]
    rows = []
    for _round in range(args.rounds):
        for label, site in (build.split("=", 1) for build in args.builds):
            env = {**os.environ, "HF_HUB_OFFLINE": "1"}
            if site != "installed":
                env["PYTHONPATH"] = os.pathsep.join([site, env.get("PYTHONPATH", "")])
            for name in args.models:
                for threads in args.threads:
                    out = subprocess.run(
                        [sys.executable, __file__, "--one", name, "--threads", str(threads),
                         "--prompt-words", str(args.prompt_words),
                         "--gen-tokens", str(args.gen_tokens)],
                        capture_output=True, text=True, check=True, env=env,
                    )  # fmt: skip
                    row = json.loads(out.stdout.strip().splitlines()[-1])
                    rows.append({"label": label, **row})
    columns = [
        ("label", "build"),
        ("build", "instruction sets"),
        ("model", "model"),
        ("threads", "threads"),
        ("load_s", "load s"),
        ("prompt_tokens", "prompt tok"),
        ("prompt_tok_s", "prompt tok/s"),
        ("prompt_tok_cpu_s", "prompt tok/CPU-s"),
        ("ttft_s", "TTFT s"),
        ("cached_ttft_s", "cached TTFT s"),
        ("cache_read", "cached tok"),
        ("gen_tok_s", "gen tok/s"),
        ("gen_tok_cpu_s", "gen tok/CPU-s"),
        ("json_s", "JSON call s"),
        ("rss_gib", "RSS GiB"),
        ("peak_rss_gib", "peak GiB"),
    ]
    print(f"cpus={os.cpu_count()}, load average at start={load_at_start:.2f}")
    print(" | ".join(title for _, title in columns))
    for row in rows:
        print(" | ".join(str(row[key]) for key, _ in columns))
    for row in rows:
        print(f"{row['model']}: structured output -> {row['json_result']}")


if __name__ == "__main__":
    main()
