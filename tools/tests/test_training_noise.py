"""Training-only regularisers of the cross-lab model (model.py `perturb_feature_statistics`, augment.py
`_randconv`) and the luminance-only input (`input_norm="grey"`): what each promises. The feature noise must
never reach the exported graph (eval mode is the plain net); it must be off when the batch has no spread of
feature statistics to scale it by; random convolutions stay images; a grey net cannot tell two crops apart
that differ only in hue at equal luminance; the clean/noisy consistency loss is the clean pass's cross-entropy
plus a divergence that is zero only when the noise does not move the answer; the noise goes only where
style_at puts it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "train_default"))
import model as model_module  # noqa: E402 - the module CellNet.forward looks perturb_feature_statistics up in
from augment import _randconv  # noqa: E402
from model import IMAGENET_MEAN, IMAGENET_STD, CellNet, clean_noisy_consistency_loss, perturb_feature_statistics  # noqa: E402
from train import parse_places  # noqa: E402
from tiny_cellnet import random_images as _images, tiny_cellnet  # noqa: E402


def _net(style_p: float) -> CellNet:
    return tiny_cellnet(style_p=style_p)


def test_feature_noise_is_not_in_eval_mode() -> None:
    x = _images()
    plain, noisy = _net(0.0).eval(), _net(1.0).eval()
    with torch.no_grad():
        assert torch.equal(plain(x), noisy(x))


def test_feature_noise_changes_training_outputs() -> None:
    x = _images()
    plain, noisy = _net(0.0).train(), _net(1.0).train()
    with torch.no_grad():
        assert (plain(x) - noisy(x)).abs().max() > 1e-3


def test_feature_noise_scales_with_the_batch_spread() -> None:
    torch.manual_seed(3)
    same = _images(1).expand(6, -1, -1, -1).clone()  # no spread across the batch: (almost) nothing to add
    assert (perturb_feature_statistics(same, 1.0) - same).abs().max() < 1e-2
    varied = _images(6)
    assert torch.allclose(perturb_feature_statistics(varied, 0.0), varied, atol=1e-4)
    assert (perturb_feature_statistics(varied, 1.0) - varied).abs().max() > 1e-2
    one = _images(1)  # a batch of one has no statistics to scale by: left as it is
    assert torch.equal(perturb_feature_statistics(one, 1.0), one)


def test_randconv_keeps_images_in_range_and_is_seeded() -> None:
    x = (_images(5) + 1) / 2
    a = _randconv(x.clone(), torch.Generator().manual_seed(7))
    b = _randconv(x.clone(), torch.Generator().manual_seed(7))
    assert a.shape == x.shape and torch.equal(a, b)
    assert a.min() >= 0 and a.max() <= 1
    assert (a - x).abs().mean() > 1e-3


def test_grey_input_ignores_hue_at_equal_luminance() -> None:
    net = tiny_cellnet("grey").eval()
    g = torch.Generator().manual_seed(2)
    lum = torch.rand(2, 1, 32, 32, generator=g) * 0.6 + 0.2
    grey = lum.expand(-1, 3, -1, -1)
    c = torch.rand(2, 1, 32, 32, generator=g) * 0.1
    tinted = grey + torch.cat([c, -c * 0.299 / 0.587, torch.zeros_like(c)], 1)  # same BT.601 luminance
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        e1, e2 = net.embed((grey - mean) / std), net.embed((tinted - mean) / std)
    assert torch.allclose(e1, e2, atol=1e-5)
    plain = tiny_cellnet().eval()
    plain.load_state_dict(net.state_dict())
    with torch.no_grad():  # the colour net does see the tint
        assert (plain.embed((grey - mean) / std) - plain.embed((tinted - mean) / std)).abs().max() > 1e-4


def test_consistency_loss_is_clean_cross_entropy_plus_a_divergence() -> None:
    x, y = _images(6), torch.tensor([0, 1, 2, 3, 4, 5])
    net = _net(1.0).train()
    torch.manual_seed(5)
    loss = clean_noisy_consistency_loss(net, x, y, weight=10.0)
    assert net.style_p == 1.0  # the noise is switched back on after the clean pass
    torch.manual_seed(5)
    clean = F.cross_entropy(_net(0.0).train()(x), y)  # same weights, same batch statistics, no noise
    assert loss.item() > clean.item() + 1e-4  # the noisy pass disagrees: a positive divergence on top
    torch.manual_seed(5)
    weightless = clean_noisy_consistency_loss(_net(1.0).train(), x, y, weight=0.0)
    assert torch.allclose(weightless, clean, atol=1e-6)
    # without noise the two passes agree and the divergence is (numerically) zero
    quiet = clean_noisy_consistency_loss(_net(0.0).train(), x, y, weight=10.0)
    assert torch.allclose(quiet, clean, atol=1e-5)
    loss.backward()
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad)


def test_feature_noise_goes_only_where_style_at_puts_it(monkeypatch: pytest.MonkeyPatch) -> None:
    widths_seen: list[int] = []
    original = model_module.perturb_feature_statistics
    monkeypatch.setattr(model_module, "perturb_feature_statistics",
                        lambda t, s: widths_seen.append(t.shape[1]) or original(t, s))
    width_after = {"stem": 8, 0: 8, 1: 8, 2: 16, 3: 16}  # _net: stem 8, two stages of two blocks, widths 8 and 16
    for where in (("stem",), (1,), (3,), ("stem", 1, 3), ()):
        net = _net(1.0).train()  # p = 1: every place named in style_at is perturbed on every pass
        net.style_at = where
        widths_seen.clear()
        with torch.no_grad():
            net(_images())
        assert widths_seen == [width_after[w] for w in where], (where, widths_seen)
    assert parse_places("stem,1,3", 4) == ("stem", 1, 3)
    assert parse_places(" stem ", 4) == ("stem",)
    for bad in ("stem,4", "head", "-1"):
        with pytest.raises(SystemExit, match="--style-at"):
            parse_places(bad, 4)
