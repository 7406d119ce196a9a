"""Decide whether the installed llama.cpp build can run on this CPU, before it runs.

A llama.cpp build carries the instruction sets it was compiled for (``llama_print_system_info``
lists them); running it on a CPU without one of them dies with SIGILL, and an AMX build on a
CPU whose OS or hypervisor does not let the process use AMX tiles dies with a general
protection fault inside ``llama_decode``. Neither is a way for a user to learn about their CPU,
so the local model checks two things before its first load:

1. **Static**: every instruction set the build needs is among the CPU's flags (``/proc/cpuinfo``).
2. **Probe**: one real load and one decoded token in a child process, per build, CPU, model
   file and load setting. A native fault kills the child, not the caller. If the probe with
   llama.cpp's extra buffer types (weight repacking, which is where AMX kernels are used)
   faults and the probe without them runs, the model is loaded without them. The verdict is
   cached on disk, so the probe costs a few seconds once per machine and model.

The default install builds llama.cpp for every x86-64 CPU with AVX2 (see the Makefile's
``LLAMA_CPU=portable``); ``python -m theraloop.agent.llm.cpu`` prints the verdict, and
``--expect portable`` fails when the installed build is not the portable one (for instance a
native build that pip's wheel cache brought back).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from theraloop.agent.llm.errors import BackendUnavailableError
from theraloop.memory.cache import default_cache_dir

if TYPE_CHECKING:
    from llama_cpp import Llama

__all__ = [
    "BuildCheck",
    "LoadPlan",
    "PORTABLE_FEATURES",
    "build_features",
    "check_build",
    "cpu_flags",
    "plan_load",
]

# ggml's feature names (llama_print_system_info) -> the Linux /proc/cpuinfo flag each needs
_FEATURE_FLAGS: dict[str, tuple[str, ...]] = {
    "SSE3": ("pni",),
    "SSSE3": ("ssse3",),
    "AVX": ("avx",),
    "AVX_VNNI": ("avx_vnni",),
    "AVX2": ("avx2",),
    "F16C": ("f16c",),
    "FMA": ("fma",),
    "BMI2": ("bmi2",),
    "AVX512": ("avx512f",),
    "AVX512_VBMI": ("avx512vbmi",),
    "AVX512_VNNI": ("avx512_vnni",),
    "AVX512_BF16": ("avx512_bf16",),
    "AMX_INT8": ("amx_tile", "amx_int8"),
}

PORTABLE_FEATURES = frozenset({"SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA", "BMI2"})
"""Instruction sets of the portable build: every x86-64 CPU with AVX2 has them all."""

ProbeOutcome = Literal["ok", "fault", "error", "timeout"]


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    """Return the CPU flags of the first processor in a ``/proc/cpuinfo`` text."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def build_features(system_info: str) -> frozenset[str]:
    """Return the CPU instruction sets a llama.cpp build was compiled with.

    ``system_info`` is ``llama_print_system_info()``'s text, e.g.
    ``"CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AMX_INT8 = 1 | OPENMP = 1 | "``; only the CPU
    backend's instruction sets are returned (not OPENMP, REPACK, LLAMAFILE).
    """
    features: set[str] = set()
    for part in system_info.split("|"):
        name, _, value = part.partition("=")
        name = name.split(":")[-1].strip()
        if name in _FEATURE_FLAGS and value.strip() not in ("", "0"):
            features.add(name)
    return frozenset(features)


@dataclass(frozen=True, slots=True)
class BuildCheck:
    """Whether a llama.cpp build fits a CPU, from the build's features and the CPU's flags."""

    features: frozenset[str]
    """Instruction sets the build was compiled with."""
    missing: tuple[str, ...]
    """Instruction sets the build needs that the CPU does not have (sorted)."""
    portable: bool
    """The build uses no instruction set beyond :data:`PORTABLE_FEATURES`."""
    has_amx: bool
    """The build has llama.cpp's AMX kernels (used through its extra buffer types)."""

    @property
    def runs_here(self) -> bool:
        """No instruction set the build needs is missing on the CPU."""
        return not self.missing

    def explain(self) -> str:
        """Say in one sentence what the check found and what to do."""
        if self.missing:
            return (
                f"the installed llama.cpp build uses {', '.join(self.missing)}, which this CPU "
                "does not have (it would crash); reinstall the portable build: "
                "`make install LLAMA_CPU=portable`, or "
                "CMAKE_ARGS='-DGGML_NATIVE=OFF' pip install --no-cache-dir --force-reinstall "
                "llama-cpp-python"
            )
        kind = "portable" if self.portable else "non-portable (built for a newer CPU than AVX2)"
        return f"the installed llama.cpp build is {kind} and fits this CPU"


def check_build(features: Iterable[str], flags: Iterable[str]) -> BuildCheck:
    """Compare a build's instruction sets with a CPU's flags.

    Example:
        >>> check = check_build({"AVX2", "AVX512"}, {"avx2", "fma"})
        >>> check.missing, check.portable
        (('AVX512',), False)
    """
    features, flags = frozenset(features), frozenset(flags)
    missing = sorted(
        name for name in features if not all(flag in flags for flag in _FEATURE_FLAGS.get(name, ()))
    )
    return BuildCheck(
        features=features,
        missing=tuple(missing),
        portable=features <= PORTABLE_FEATURES,
        has_amx="AMX_INT8" in features,
    )


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """How to load a GGUF with the installed build on this CPU, as the probe found."""

    use_extra_bufts: bool
    """Load with llama.cpp's extra buffer types (weight repacking; AMX where compiled in)."""
    probe: str
    """What decided it: ``"ok"``, ``"fault-with-extra-bufts"``, or ``"timeout"`` (the probe ran
    out of time: extra buffer types stay on unless the build has AMX kernels; not cached)."""


def read_system_info() -> str:
    """Return the installed llama.cpp build's ``llama_print_system_info()`` text.

    Raises:
        BackendUnavailableError: llama-cpp-python is not installed.
    """
    try:
        import llama_cpp
    except ImportError as error:
        raise BackendUnavailableError(
            "the local model needs llama-cpp-python; install it with `make install` or "
            "pip install 'theraloop[local]'"
        ) from error
    return llama_cpp.llama_print_system_info().decode("utf-8", "replace")


def read_cpu_flags(path: Path = Path("/proc/cpuinfo")) -> frozenset[str] | None:
    """Return this CPU's flags, or ``None`` where ``/proc/cpuinfo`` does not exist."""
    try:
        return cpu_flags(path.read_text(errors="replace"))
    except OSError:
        return None


ProbeRunner = Callable[[str, bool], ProbeOutcome]

_PROBE_TIMEOUT_S = 180.0


def run_probe(model_path: str, use_extra_bufts: bool) -> ProbeOutcome:
    """Load ``model_path`` and decode one token in a child process; say how it ended."""
    command = [sys.executable, "-m", "theraloop.agent.llm.cpu", "--probe", model_path]
    if not use_extra_bufts:
        command.append("--no-extra-bufts")
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            command,
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "timeout"  # a loaded machine, not a verdict on the build
    if done.returncode == 0:
        return "ok"
    # killed by a signal (SIGILL, SIGSEGV, SIGBUS) or by the faulthandler's abort
    return "fault" if done.returncode < 0 or done.returncode in (132, 134, 135, 139) else "error"


_plans: dict[str, LoadPlan] = {}
_plans_lock = threading.Lock()


def _plan_key(system_info: str, flags: frozenset[str] | None, model_path: str) -> str:
    stat = Path(model_path).stat()
    text = json.dumps(
        [system_info, sorted(flags or ()), Path(model_path).name, stat.st_size, sys.version],
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_load(
    model_path: str,
    *,
    system_info: str | None = None,
    flags: frozenset[str] | None = None,
    probe: ProbeRunner = run_probe,
    cache_dir: Path | None = None,
) -> LoadPlan:
    """Check the build against this CPU, probe a real load once, and say how to load.

    The verdict is kept in memory and on disk (``<cache>/llama-probe-<key>.json``), keyed by
    the build, the CPU flags, the model file and the Python version.

    Raises:
        BackendUnavailableError: the build needs an instruction set this CPU lacks, or a real
            load faults with and without extra buffer types (the message says what to do).
    """
    system_info = read_system_info() if system_info is None else system_info
    flags = read_cpu_flags() if flags is None else flags
    if flags is not None and platform.machine() in ("x86_64", "AMD64", "i686", "x86"):
        check = check_build(build_features(system_info), flags)
        if not check.runs_here:
            raise BackendUnavailableError(check.explain())
    key = _plan_key(system_info, flags, model_path)
    with _plans_lock:
        if key in _plans:
            return _plans[key]
        cache_file = (cache_dir or default_cache_dir()) / f"llama-probe-{key}.json"
        try:
            plan = LoadPlan(**json.loads(cache_file.read_text()))
        except (OSError, ValueError, TypeError):
            plan = _probe_plan(model_path, probe, has_amx="AMX_INT8" in build_features(system_info))
            if plan.probe == "timeout":  # inconclusive: this process keeps it, the disk does not
                _plans[key] = plan
                return plan
            try:
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                cache_file.write_text(json.dumps(asdict(plan)))
            except OSError:
                pass  # a read-only cache only costs the probe again next time
        _plans[key] = plan
        return plan


def _probe_plan(model_path: str, probe: ProbeRunner, *, has_amx: bool) -> LoadPlan:
    first = probe(model_path, True)
    if first == "ok":
        return LoadPlan(use_extra_bufts=True, probe="ok")
    if first == "timeout":
        return LoadPlan(use_extra_bufts=not has_amx, probe="timeout")
    if first == "fault" and probe(model_path, False) == "ok":
        return LoadPlan(use_extra_bufts=False, probe="fault-with-extra-bufts")
    raise BackendUnavailableError(
        f"llama.cpp could not load {Path(model_path).name!r} on this CPU in a test process "
        f"({first}); reinstall the portable build (`make install LLAMA_CPU=portable`), or run "
        "`python -m theraloop.agent.llm.cpu --probe MODEL.gguf` to see llama.cpp's own error"
    )


_params_lock = threading.Lock()


def new_llama(use_extra_bufts: bool, **kwargs: Any) -> Llama:
    """Create a ``llama_cpp.Llama``, optionally without llama.cpp's extra buffer types.

    ``Llama()`` has no argument for ``use_extra_bufts``; it reads the default model params
    once while loading, so those are swapped for the duration of the load (under a lock).
    """
    import llama_cpp
    import llama_cpp.llama as llama_module

    if use_extra_bufts:
        return llama_cpp.Llama(**kwargs)
    low_level = llama_module.llama_cpp
    with _params_lock:
        original = low_level.llama_model_default_params

        def without_extra_bufts() -> Any:
            params = original()
            params.use_extra_bufts = False
            return params

        low_level.llama_model_default_params = without_extra_bufts
        try:
            return llama_cpp.Llama(**kwargs)
        finally:
            low_level.llama_model_default_params = original


def _probe_main(model_path: str, use_extra_bufts: bool) -> int:
    llama = new_llama(
        use_extra_bufts, model_path=model_path, n_ctx=256, n_threads=2, n_batch=64, verbose=False
    )
    # a batch of prompt tokens (matrix kernels, where AMX tiles are used) and decoded tokens
    # (vector kernels): both paths run once
    llama.create_completion("The weather today is calm. " * 12, max_tokens=2, temperature=0.0)
    llama.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Print the build and CPU verdict; with ``--probe``, load a model once (child process)."""
    parser = argparse.ArgumentParser(prog="python -m theraloop.agent.llm.cpu", description=__doc__)
    parser.add_argument("--expect", choices=["portable", "native"], help="fail unless it is")
    parser.add_argument("--probe", metavar="GGUF", help=argparse.SUPPRESS)
    parser.add_argument("--no-extra-bufts", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        return _probe_main(args.probe, not args.no_extra_bufts)
    flags = read_cpu_flags()
    features = build_features(read_system_info())
    check = check_build(features, flags or frozenset())
    print(f"llama.cpp build: {', '.join(sorted(features)) or 'no x86 instruction sets'}")
    if flags is None:
        print("CPU flags: unknown (no /proc/cpuinfo)")
    else:
        print(
            f"CPU: {'AMX' if 'amx_tile' in flags else 'no AMX'}, "
            f"{'AVX-512' if 'avx512f' in flags else 'no AVX-512'}, "
            f"{'AVX2' if 'avx2' in flags else 'no AVX2'}"
        )
    print(check.explain())
    if flags is not None and not check.runs_here:
        return 1
    if args.expect == "portable" and not check.portable:
        print(
            "expected the portable build, found one compiled for "
            f"{', '.join(sorted(features - PORTABLE_FEATURES))}: pip reused a wheel built with "
            "other flags; rebuild with `make install LLAMA_CPU=portable` after "
            "`pip uninstall llama-cpp-python`"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
