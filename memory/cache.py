"""Where theraloop keeps files it derives from installed weights (GGUF assemblies, ONNX exports).

One place, so the embedded chat model and the embedder share one directory and one override.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "default_cache_dir"]

CACHE_ENV = "THERALOOP_CACHE_DIR"


def default_cache_dir() -> Path:
    """Return the model cache: ``$THERALOOP_CACHE_DIR`` or ``~/.cache/theraloop/models``."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "theraloop" / "models"
