"""train.py --twin-at N (model.CellNet.twin_at): after block N the feature map is also turned a quarter, the later
blocks run on both, and the embedding is the mean of the two pooled features — per cell, in onnxruntime as in torch;
off (None) it is the plain embedding; checkpoints carry it (build_model) and train.py refuses a block with none after it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools" / "train_default"))
from model import EmbeddingOnly, build_model  # noqa: E402
from tools.dinobloom import bundle  # noqa: E402
from tiny_cellnet import random_images, tiny_cellnet  # noqa: E402


def twin_by_hand(net, x: torch.Tensor, at: int) -> torch.Tensor:
    """What the twin means, written out: the shared blocks once, then the rest on the map and on its quarter turn."""
    f = net.stem(x)
    for b in net.stages[: at + 1]:
        f = b(f)
    g = torch.rot90(f, 1, dims=(2, 3))
    for b in net.stages[at + 1:]:
        f, g = b(f), b(g)
    return (net.pool(f).flatten(1) + net.pool(g).flatten(1)) / 2


def test_twin_is_the_mean_of_the_map_and_its_turn(tmp_path: Path) -> None:
    net = tiny_cellnet(trained_bn=True).eval()
    x = random_images(5)
    with torch.no_grad():
        plain = net.embed(x)
        net.twin_at = 1
        want = twin_by_hand(net, x, 1)
        got = net.embed(x)
        alone = net.embed(x[:1])
    assert got.shape == (5, net.embedding_dim)
    assert torch.allclose(got, want, atol=1e-5)
    assert (got - plain).abs().max() > 1e-3  # the twin changes the embedding
    assert torch.allclose(alone, want[:1], atol=1e-5)  # a batch does not mix cells
    path = bundle.export_onnx(EmbeddingOnly(net).eval(), tmp_path / "enc.onnx", x[:2])
    onnx_out = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"pixel_values": x.numpy()})[0]
    assert np.abs(onnx_out - want.numpy()).max() <= 1e-4


def test_off_is_the_plain_embedding() -> None:
    net = tiny_cellnet(trained_bn=True).eval()
    x = random_images(3)
    assert net.twin_at is None
    with torch.no_grad():
        f = net.stem(x)
        for b in net.stages:
            f = b(f)
        assert torch.allclose(net.embed(x), net.pool(f).flatten(1), atol=1e-6)


def test_checkpoints_carry_the_twin() -> None:
    ck = {"widths": (8, 16), "stem": 8, "classes": list("abcdefgh")}
    assert build_model(ck).twin_at is None  # checkpoints from before --twin-at
    assert build_model(ck | {"twin_at": 2}).twin_at == 2


def test_train_refuses_a_twin_with_no_block_after_it() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "tools/train_default/train.py"), "--twin-at", "7", "--data", "/nonexistent"],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "--twin-at 7: a block index 0-6" in (r.stderr + r.stdout)
