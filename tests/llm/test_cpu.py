"""Which llama.cpp build runs on which CPU, decided before the build can fault."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from theraloop.agent.llm import BackendUnavailableError
from theraloop.agent.llm.cpu import (
    PORTABLE_FEATURES,
    build_features,
    check_build,
    cpu_flags,
    plan_load,
)

HASWELL = "flags\t\t: fpu sse2 pni ssse3 fma sse4_1 sse4_2 avx f16c bmi2 avx2\n"
SKYLAKE_X = HASWELL.rstrip("\n") + " avx512f avx512dq avx512bw avx512vl avx512_vnni\n"
SAPPHIRE_RAPIDS = (
    SKYLAKE_X.rstrip("\n") + " avx512_bf16 avx512vbmi avx512_fp16 amx_bf16 amx_tile amx_int8\n"
)
OLD_NO_AVX2 = "flags\t\t: fpu sse2 pni ssse3 sse4_1 sse4_2 avx\n"

PORTABLE_INFO = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | "
NATIVE_AMX_INFO = (
    PORTABLE_INFO + "AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | "
    "AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
)
NATIVE_AVX512_INFO = PORTABLE_INFO + "AVX512 = 1 | AVX512_VNNI = 1 | OPENMP = 1 | REPACK = 1 | "


@pytest.fixture
def gguf(tmp_path: Path) -> str:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 60)
    return str(path)


def test_cpu_flags_are_read_from_the_first_processor() -> None:
    text = "processor\t: 0\n" + SAPPHIRE_RAPIDS + "processor\t: 1\nflags\t\t: fpu\n"
    assert {"amx_tile", "amx_int8", "avx2"} <= cpu_flags(text)


def test_build_features_keep_only_instruction_sets() -> None:
    assert build_features(NATIVE_AMX_INFO) >= {"AVX2", "AVX512", "AMX_INT8"}
    assert "OPENMP" not in build_features(NATIVE_AMX_INFO)
    assert build_features(PORTABLE_INFO) == PORTABLE_FEATURES


@pytest.mark.parametrize("cpu", [HASWELL, SKYLAKE_X, SAPPHIRE_RAPIDS])
def test_the_portable_build_runs_on_every_avx2_cpu(cpu: str) -> None:
    check = check_build(build_features(PORTABLE_INFO), cpu_flags(cpu))
    assert check.runs_here and check.portable and not check.has_amx


def test_an_amx_build_is_refused_on_a_cpu_without_amx() -> None:
    check = check_build(build_features(NATIVE_AMX_INFO), cpu_flags(SKYLAKE_X))
    assert not check.runs_here
    assert "AMX_INT8" in check.missing and "AVX512_BF16" in check.missing
    assert "LLAMA_CPU=portable" in check.explain()


def test_an_avx512_build_is_refused_on_an_avx2_cpu() -> None:
    check = check_build(build_features(NATIVE_AVX512_INFO), cpu_flags(HASWELL))
    assert check.missing == ("AVX512", "AVX512_VNNI")


def test_a_cpu_without_avx2_cannot_run_the_portable_build() -> None:
    check = check_build(build_features(PORTABLE_INFO), cpu_flags(OLD_NO_AVX2))
    assert check.missing == ("AVX2", "BMI2", "F16C", "FMA")


def test_plan_load_raises_before_loading_a_build_the_cpu_lacks(gguf: str, tmp_path: Path) -> None:
    def probe(path: str, extra: bool) -> str:
        raise AssertionError("no model may be loaded when the static check fails")

    with pytest.raises(BackendUnavailableError, match="AVX512"):
        plan_load(
            gguf,
            system_info=NATIVE_AVX512_INFO,
            flags=cpu_flags(HASWELL),
            probe=probe,
            cache_dir=tmp_path,
        )


def test_a_fault_with_extra_buffer_types_loads_without_them(gguf: str, tmp_path: Path) -> None:
    calls: list[bool] = []

    def probe(path: str, extra: bool) -> str:
        calls.append(extra)
        return "fault" if extra else "ok"

    plan = plan_load(
        gguf,
        system_info=NATIVE_AMX_INFO,
        flags=cpu_flags(SAPPHIRE_RAPIDS),  # advertises AMX; the OS may still forbid the tiles
        probe=probe,
        cache_dir=tmp_path,
    )
    assert (plan.use_extra_bufts, plan.probe) == (False, "fault-with-extra-bufts")
    assert calls == [True, False]


def test_a_build_that_faults_either_way_is_refused_with_advice(gguf: str, tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailableError, match="portable"):
        plan_load(
            gguf,
            system_info=NATIVE_AMX_INFO + " ",  # another key than the test above
            flags=cpu_flags(SAPPHIRE_RAPIDS),
            probe=lambda path, extra: "fault",
            cache_dir=tmp_path,
        )


def test_the_probe_verdict_is_cached_on_disk(gguf: str, tmp_path: Path) -> None:
    calls: list[bool] = []

    def probe(path: str, extra: bool) -> str:
        calls.append(extra)
        return "ok"

    info = PORTABLE_INFO + "  "  # a key no other test uses (verdicts are also kept in memory)
    plan_load(gguf, system_info=info, flags=cpu_flags(HASWELL), probe=probe, cache_dir=tmp_path)
    (saved,) = tmp_path.glob("llama-probe-*.json")
    assert json.loads(saved.read_text()) == {"use_extra_bufts": True, "probe": "ok"}
    plan_load(gguf, system_info=info, flags=cpu_flags(HASWELL), probe=probe, cache_dir=tmp_path)
    assert calls == [True]


def test_a_probe_out_of_time_is_not_a_verdict(gguf: str, tmp_path: Path) -> None:
    info = PORTABLE_INFO + "   "
    plan = plan_load(
        gguf,
        system_info=info,
        flags=cpu_flags(HASWELL),
        probe=lambda path, extra: "timeout",
        cache_dir=tmp_path,
    )
    assert (plan.use_extra_bufts, plan.probe) == (True, "timeout")
    assert not list(tmp_path.glob("llama-probe-*.json"))


def test_an_amx_build_whose_probe_runs_out_of_time_loads_without_extra_buffers(
    gguf: str, tmp_path: Path
) -> None:
    plan = plan_load(
        gguf,
        system_info=NATIVE_AMX_INFO + "    ",
        flags=cpu_flags(SAPPHIRE_RAPIDS),
        probe=lambda path, extra: "timeout",
        cache_dir=tmp_path,
    )
    assert not plan.use_extra_bufts
