"""export_bundle.py --rotations K (model.EmbeddingOnly): the exported graph's embedding is the mean of
the net's embeddings of the cell's first K quarter turns, computed per cell (a batch of cells does not mix), in
onnxruntime as in torch; with 4 turns it no longer depends on how the cell was turned; bad K is refused."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools" / "train_default"))
from model import EmbeddingOnly, quarter_turn  # noqa: E402
from tools.dinobloom import bundle  # noqa: E402
from tiny_cellnet import random_images, tiny_cellnet  # noqa: E402


@pytest.mark.parametrize("k", [2, 4])
def test_exported_mean_over_turns(tmp_path: Path, k: int) -> None:
    net = tiny_cellnet(trained_bn=True).eval()
    x = random_images(5)
    enc = EmbeddingOnly(net, k).eval()
    path = bundle.export_onnx(enc, tmp_path / "enc.onnx", x[:2])
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"pixel_values": x.numpy()})[0]
    with torch.no_grad():
        want = torch.stack([net.embed(torch.rot90(x, r, dims=(2, 3))) for r in range(k)]).mean(0).numpy()
        one = net.embed(x).numpy()
    assert got.shape == (5, net.embedding_dim)
    assert np.abs(got - want).max() <= 1e-4
    assert np.abs(got - one).max() > 1e-3  # it is not the plain embedding
    with torch.no_grad():  # per cell: the first cell alone gives its row of the batch
        assert np.abs(enc(x[:1]).numpy() - want[:1]).max() <= 1e-5


def test_four_turns_do_not_depend_on_the_turn() -> None:
    net = tiny_cellnet(trained_bn=True).eval()
    x = random_images(3)
    enc = EmbeddingOnly(net, 4).eval()
    with torch.no_grad():
        assert torch.allclose(enc(x), enc(torch.rot90(x, 1, dims=(2, 3))), atol=1e-5)


def test_quarter_turn_is_rot90() -> None:
    x = random_images(2, 8)[:, :, :, :6]  # not square: a swapped axis would show
    for k in range(5):
        assert torch.equal(quarter_turn(x, k), torch.rot90(x, k, dims=(2, 3)))


def test_other_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="1, 2 or 4 quarter turns"):
        EmbeddingOnly(tiny_cellnet(), 3)
