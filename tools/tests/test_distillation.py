"""Distillation from frozen teachers (train.py --teacher/--distill, model.py `distillation_loss` and
`teacher_probs`): what each promises. Weight 0 is the plain label loss; the distillation term is zero exactly
when the student already gives the teachers' distribution and grows as it moves away; the teachers are run
without feature noise and, with four rotations, their answer does not depend on how the crop was turned;
a teacher loaded from a checkpoint is the net that was saved; the two flags are refused one without the other."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "train_default"))
from model import distillation_loss, teacher_probs  # noqa: E402
from train import load_teacher  # noqa: E402
from tiny_cellnet import random_images, tiny_cellnet  # noqa: E402


def _logits() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    return torch.randn(6, 8, generator=g) * 2, torch.randint(0, 8, (6,), generator=g)


def _sharp(net: torch.nn.Module) -> torch.nn.Module:
    """A fresh tiny net's logits are nearly equal; a larger head makes its answers (and their turns) differ."""
    with torch.no_grad():
        net.head.weight.mul_(200)
    return net


def test_weight_zero_is_the_label_loss() -> None:
    z, y = _logits()
    teacher = torch.full((6, 8), 1 / 8)
    assert torch.equal(distillation_loss(z, teacher, y, 0.0, 2.0, 0.1), F.cross_entropy(z, y, label_smoothing=0.1))


def test_distillation_term_is_zero_only_at_the_teachers_distribution() -> None:
    z, y = _logits()
    t = 3.0
    ce = F.cross_entropy(z, y)
    same = (z / t).softmax(1)
    assert torch.allclose(distillation_loss(z, same, y, 0.4, t), 0.6 * ce, atol=1e-6)
    other = (torch.flip(z, dims=(1,)) / t).softmax(1)
    assert distillation_loss(z, other, y, 0.4, t) > 0.6 * ce + 0.1
    # its gradient moves the student's distribution towards the teacher's
    zs = z.clone().requires_grad_(True)
    distillation_loss(zs, other, y, 1.0, t).backward()
    stepped = (z - 0.5 * zs.grad) / t
    kl = lambda logits: F.kl_div(F.log_softmax(logits, 1), other, reduction="batchmean")  # noqa: E731
    assert kl(stepped) < kl(z / t)


def test_teachers_run_without_feature_noise_and_rotations_average_out_the_turn() -> None:
    net = _sharp(tiny_cellnet(style_p=1.0, trained_bn=True))
    x = random_images(4, 32)
    a, b = teacher_probs([net], x, 1, 2.0), teacher_probs([net], x, 1, 2.0)
    assert torch.equal(a, b), "a teacher must be deterministic (eval mode: no feature noise)"
    assert not net.training
    assert torch.allclose(a, (net(x) / 2.0).softmax(1))
    assert torch.allclose(a.sum(1), torch.ones(4), atol=1e-6)
    four = teacher_probs([net], x, 4, 2.0)
    turned = teacher_probs([net], torch.rot90(x, 1, dims=(2, 3)), 4, 2.0)
    assert torch.allclose(four, turned, atol=1e-5)
    assert not torch.allclose(four, a, atol=1e-3), "four views must differ from one on a net that is not rotation-invariant"
    two = teacher_probs([net, _sharp(tiny_cellnet(trained_bn=True))], x, 1, 2.0)
    assert torch.allclose(two, a, atol=1e-6), "one seed, one net: the mean of two copies is the copy"


def test_teacher_from_a_checkpoint_is_the_saved_net(tmp_path: Path) -> None:
    net = tiny_cellnet(trained_bn=True).eval()
    ck = {"ema": net.state_dict(), "widths": (8, 16), "stem": 8, "classes": [str(i) for i in range(8)]}
    torch.save(ck, tmp_path / "best.pt")
    teacher = load_teacher(tmp_path / "best.pt")
    x = random_images(3, 32)
    with torch.no_grad():
        assert torch.allclose(teacher(x), net(x), atol=1e-6)
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())


def test_distill_and_teacher_go_together() -> None:
    train = ROOT / "tools" / "train_default" / "train.py"
    r = subprocess.run([sys.executable, str(train), "--distill", "0.5"], capture_output=True, text=True)
    assert r.returncode == 2 and "--distill W and --teacher PATH go together" in r.stderr
