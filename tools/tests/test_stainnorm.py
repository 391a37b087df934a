"""stainnorm.py (the LISC diagnosis's per-crop Macenko normalisation) on synthetic two-stain crops."""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train_default"))
import stainnorm  # noqa: E402


def crop(he: torch.Tensor, size: int = 64) -> torch.Tensor:
    """A white field, a ring of stain 2 (cytoplasm) around a disc of stain 1 (nucleus); 1×3×H×W in [0, 1]."""
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    r = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2).sqrt()
    noise = torch.Generator().manual_seed(1)
    c1 = torch.where(r < 12, 1.6, 0.0) + 0.05 * torch.rand(size, size, generator=noise)
    c2 = torch.where((r >= 12) & (r < 22), 0.5, 0.0) + torch.where(r < 12, 0.2, 0.0) + 0.05 * torch.rand(size, size, generator=noise)
    od = he @ torch.stack([c1, c2]).reshape(2, -1)
    return torch.exp(-od).reshape(1, 3, size, size)


def unit(m: torch.Tensor) -> torch.Tensor:
    return m / m.norm(dim=0, keepdim=True)


PBC_LIKE = unit(torch.tensor([[0.65, 0.07], [0.70, 0.99], [0.29, 0.11]]))
# another lab's stains: a bluer "eosin" with more red absorption, closer to the nucleus's hue (as LISC's)
OTHER = unit(torch.tensor([[0.55, 0.35], [0.75, 0.80], [0.37, 0.50]]))


def test_recovers_the_stain_colours_and_orders_the_nucleus_first():
    he, _ = stainnorm.estimate(stainnorm._od(crop(OTHER)[0]).reshape(3, -1))
    assert torch.nn.functional.cosine_similarity(he[:, 0], OTHER[:, 0], dim=0) > 0.99
    assert torch.nn.functional.cosine_similarity(he[:, 1], OTHER[:, 1], dim=0) > 0.99


def test_maps_another_labs_crop_onto_the_reference_colours():
    ref = stainnorm.reference(crop(PBC_LIKE))
    out, ok = stainnorm.macenko(crop(OTHER), ref)
    assert ok.tolist() == [True]
    target = crop(PBC_LIKE)
    before = (crop(OTHER) - target).abs().max()
    after = (out - target).abs().max()
    assert before > 0.15 and after < 0.02, (before, after)


def test_a_blank_crop_is_returned_unchanged():
    blank = torch.full((1, 3, 64, 64), 0.97)
    out, ok = stainnorm.macenko(blank, stainnorm.reference(crop(PBC_LIKE)))
    assert ok.tolist() == [False]
    assert torch.equal(out, blank)
