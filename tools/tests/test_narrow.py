"""Channel pruning (train.py --narrow, narrow.py): the pruned net keeps the most important channels (a channel
whose BatchNorm scale and shift are zero never fires, so dropping it leaves the function as it was); keeping
every channel is the identity; BN statistics re-estimated are the batches' own; widening, a wrong number of
stages and a bad flag are refused; MACs are counted as the model card states them."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "train_default"))
from narrow import macs, narrow, reestimate_bn  # noqa: E402
from tiny_cellnet import random_images, tiny_cellnet, trained_like_cellnet  # noqa: E402


def _trained_like():
    return trained_like_cellnet().eval()


def _kill(bn: torch.nn.BatchNorm2d, channel: int) -> None:
    with torch.no_grad():
        bn.weight[channel] = 0.0
        bn.bias[channel] = 0.0


def test_keeping_every_channel_is_the_identity() -> None:
    net = _trained_like()
    same = narrow(net, (8, 16), 8).eval()
    x = random_images(5)
    with torch.no_grad():
        assert torch.equal(same(x), net(x))


def test_dead_channels_go_first_and_the_function_stays() -> None:
    """Channel 3 of stage 1's output (every BN writing into it: both blocks' c2 and the skip) and channel 5 of
    block 3's inner layer, and one stem channel, are made dead (BN scale and shift 0: always 0 after the ReLU or
    the add). Narrowing exactly those groups by one must drop exactly them, so the output does not change."""
    net = _trained_like()
    for b in (net.stages[2], net.stages[3]):
        _kill(b.c2[1], 3)
    _kill(net.stages[2].skip[1], 3)
    _kill(net.stages[3].c1[1], 5)
    _kill(net.stem[0][1], 2)
    _kill(net.stages[2].c1[1], 7)  # block 2's inner layer is narrowed to 15 as well: give it a dead channel too
    small = narrow(net, (8, 15), 7).eval()
    assert small.stages[3].c2[0].out_channels == 15 and small.stem[0][0].out_channels == 7
    x = random_images(5)
    with torch.no_grad():
        want, got = net(x), small(x)
    assert torch.allclose(got, want, atol=1e-5), float((got - want).abs().max())
    # a live channel dropped instead changes the answer (the test can fail)
    net2 = _trained_like()
    with torch.no_grad():
        want2, got2 = net2(x), narrow(net2, (8, 15), 8).eval()(x)
    assert not torch.allclose(got2, want2, atol=1e-3)


def test_reestimated_statistics_are_the_batches() -> None:
    net = _trained_like()
    net.style_p = 1.0  # the feature noise must be off while statistics are taken
    x = random_images(8)
    batches = [x[:4], x[4:]]
    n = reestimate_bn(net, batches)
    assert n == 8 and net.style_p == 1.0 and not net.training
    with torch.no_grad():
        z = net.stem[0][0](x)  # the first conv's output, the first BN's input
    assert torch.allclose(net.stem[0][1].running_mean, z.mean((0, 2, 3)), atol=1e-5)
    assert net.stem[0][1].momentum == 0.1  # restored


def test_widening_and_wrong_shapes_are_refused() -> None:
    net = tiny_cellnet()
    with pytest.raises(ValueError, match="narrowing cannot widen a layer"):
        narrow(net, (8, 20), 8)
    with pytest.raises(ValueError, match="3 stage widths for a net with 2 stages"):
        narrow(net, (8, 16, 32), 8)
    train = ROOT / "tools" / "train_default" / "train.py"
    r = subprocess.run([sys.executable, str(train), "--narrow", "17,34,67,134:11", "--data", "/nonexistent"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--narrow prunes a trained net: give --init or --init-onnx" in r.stderr


def test_macs_of_the_default_architecture() -> None:
    # v3's model card: 94 MMACs a cell at 128 px
    assert round(macs((24, 48, 96, 192), 16, 128) / 1e6) == 94
    assert macs((17, 34, 67, 134), 11, 128) < 0.5 * macs((24, 48, 96, 192), 16, 128)
