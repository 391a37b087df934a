"""Freezing the early layers (train.py --freeze-through, model.py `freeze_early`): a training step leaves the
frozen stem and blocks exactly as loaded — weights and BatchNorm statistics, even with the net in training
mode — while the later layers and the head still learn; bad places and a freeze without a warm start are
refused."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "train_default"))
from model import freeze_early  # noqa: E402
from train import parse_places  # noqa: E402
from tiny_cellnet import random_images, tiny_cellnet  # noqa: E402


def _state(m: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


def _one_step(net: torch.nn.Module, frozen: list[torch.nn.Module]) -> None:
    opt = torch.optim.AdamW([q for q in net.parameters() if q.requires_grad], lr=1e-2)
    net.train()
    for m in frozen:  # what train.py does after model.train()
        m.eval()
    x = random_images(6)
    loss = F.cross_entropy(net(x), torch.arange(6) % 8)
    opt.zero_grad()
    loss.backward()
    opt.step()


@pytest.mark.parametrize("through", ["stem", 0, 1])
def test_frozen_part_stays_as_loaded_and_the_rest_learns(through: str | int) -> None:
    net = tiny_cellnet(trained_bn=True)
    frozen = freeze_early(net, through)
    n_frozen_blocks = 0 if through == "stem" else int(through) + 1
    before_frozen = [_state(m) for m in frozen]
    before_later = [_state(b) for b in net.stages[n_frozen_blocks:]]
    before_head = _state(net.head)
    _one_step(net, frozen)
    for m, s in zip(frozen, before_frozen):
        for k, v in m.state_dict().items():
            assert torch.equal(v, s[k]), f"frozen {k} changed"
    for b, s in zip(net.stages[n_frozen_blocks:], before_later):
        assert any(not torch.equal(v, s[k]) for k, v in b.state_dict().items()), "a later block did not train"
    assert not torch.equal(net.head.weight, before_head["weight"])
    assert len(frozen) == 1 + n_frozen_blocks


def test_bad_places_are_refused() -> None:
    net = tiny_cellnet()
    for bad in ("head", 4, -1):  # the tiny net has blocks 0-3
        with pytest.raises(ValueError, match="neither 'stem' nor a block index 0-3"):
            freeze_early(net, bad)
    # train.py reads the flag with the --style-at parser; a bad place names this flag
    assert parse_places(" 3 ", 8, "--freeze-through") == (3,)
    with pytest.raises(SystemExit, match="--freeze-through: 'head' is neither 'stem' nor a block index 0-7"):
        parse_places("head", 8, "--freeze-through")


def test_freeze_needs_a_warm_start() -> None:
    train = ROOT / "tools" / "train_default" / "train.py"
    r = subprocess.run([sys.executable, str(train), "--freeze-through", "stem", "--data", "/nonexistent"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "give --init or --init-onnx" in r.stderr
