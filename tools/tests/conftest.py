"""pytest setup for tools/: repo root on sys.path (so `tools.dinobloom` imports), lean threading."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import torch  # noqa: E402

torch.set_num_threads(1)  # 2 shared cores: no oversubscription (onnxruntime also runs 1 thread)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
