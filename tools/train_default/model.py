"""The compact cell encoder shipped as the default model: a small residual CNN.

Why a CNN and not a tiny ViT: from 10k crops on a 2-core CPU in < 90 minutes, convolutions learn
cell morphology far faster (built-in locality/translation priors); a ViT of the same budget stays
well under the accuracy target. Only Conv, BatchNormalization (folded at export), Relu, Add and
GlobalAveragePool are used, all of which ORT-web runs on both WASM and WebGPU.

Output of `forward` is the embedding (global-average-pooled features, not normalised); the linear
head lives outside the ONNX graph, in the bundle's head file, exactly like the DinoBloom bundles.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def conv_bn(cin: int, cout: int, stride: int = 1, k: int = 3) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.c1 = conv_bn(cin, cout, stride)
        self.c2 = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = (nn.Identity() if stride == 1 and cin == cout
                     else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.c2(self.c1(x)) + self.skip(x))


def perturb_feature_statistics(x: torch.Tensor, strength: float) -> torch.Tensor:
    """Training only. Each image's per-channel feature mean and std are moved by Gaussian noise scaled by
    how much those statistics vary across the batch (Li et al., "Uncertainty modeling for out-of-distribution
    generalization", ICLR 2022, "DSU"). Early feature statistics carry a lab's look (stain, contrast, sharpness)
    more than the cell's class, so a net trained under this noise must not lean on them. Not in the export."""
    if x.shape[0] < 2:
        return x
    mu = x.mean(dim=(2, 3), keepdim=True)
    sig = (x.var(dim=(2, 3), keepdim=True) + 1e-6).sqrt()
    s_mu = (mu.var(dim=0, keepdim=True) + 1e-6).sqrt()
    s_sig = (sig.var(dim=0, keepdim=True) + 1e-6).sqrt()
    beta = mu + strength * torch.randn_like(mu) * s_mu
    gamma = sig + strength * torch.randn_like(sig) * s_sig
    return (x - mu) / sig * gamma + beta


def clean_noisy_consistency_loss(model: "CellNet", x: torch.Tensor, y: torch.Tensor, weight: float,
                                 label_smoothing: float = 0.0) -> torch.Tensor:
    """Training only (train.py --consistency). Two passes of one batch: one without the feature-statistics
    noise, one with it (model.style_p / style_strength). Cross-entropy on the clean pass, plus `weight` times
    the Jensen-Shannon divergence between the two passes' class probabilities (the consistency term of AugMix,
    Hendrycks et al., ICLR 2020). Training on noisy passes alone (strong --style-noise) bought LISC with PBC
    accuracy; here the labels are fitted on the cells as they are and the noise only asks that the answer not
    move with the features' statistics."""
    p_noise = model.style_p
    model.style_p = 0.0
    try:
        logits_clean = model(x)
    finally:
        model.style_p = p_noise
    logits_noisy = model(x)
    ce = F.cross_entropy(logits_clean, y, label_smoothing=label_smoothing)
    p_clean, p_noisy = logits_clean.softmax(1), logits_noisy.softmax(1)
    log_mid = ((p_clean + p_noisy) / 2).clamp_min(1e-7).log()
    js = 0.5 * (F.kl_div(log_mid, p_clean, reduction="batchmean") + F.kl_div(log_mid, p_noisy, reduction="batchmean"))
    return ce + weight * js


def distillation_loss(student_logits: torch.Tensor, teacher_probs: torch.Tensor, y: torch.Tensor, weight: float,
                      temperature: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Training only (train.py --teacher/--distill). (1 - weight) x the label cross-entropy plus weight x T^2 x
    KL(teacher || student) at temperature T (Hinton et al. 2015; T^2 keeps the term's gradient scale as T
    changes). `teacher_probs` are the teachers' softmax at T, averaged over teachers and views (teacher_probs).
    The strong feature-statistics noise bought LISC at PBC's cost because the labels alone were a weak anchor on
    noisy passes; a teacher that is better than the student on PBC (an ensemble with test-time rotations) gives
    the whole class distribution to fit instead."""
    ce = F.cross_entropy(student_logits, y, label_smoothing=label_smoothing)
    if weight <= 0:
        return ce
    log_p = F.log_softmax(student_logits / temperature, dim=1)
    kd = F.kl_div(log_p, teacher_probs, reduction="batchmean") * temperature ** 2
    return (1 - weight) * ce + weight * kd


@torch.no_grad()
def teacher_probs(teachers: list[nn.Module], x: torch.Tensor, rotations: int, temperature: float) -> torch.Tensor:
    """Softmax at `temperature` of each teacher (eval mode: no feature noise) on `x` and on its first
    `rotations` quarter turns (1 = as is, 4 = the rotations of probe_tta.py), averaged."""
    acc = None
    for t in teachers:
        t.eval()
        for k in range(rotations):
            p = (t(torch.rot90(x, k, dims=(2, 3))) / temperature).softmax(1)
            acc = p if acc is None else acc + p
    return acc / (len(teachers) * rotations)


def freeze_early(net: "CellNet", through: str | int) -> list[nn.Module]:
    """Training only (train.py --freeze-through). Freezes the stem, and with a block index also the blocks up to
    and including it: their weights get no gradient and their BatchNorm statistics stay as loaded. The idea
    measured with it: strong feature-statistics noise (d4) makes the early features stain-robust (what LISC
    needs) but costs PBC accuracy because every layer was fitted under the noise; with the early part frozen,
    the later layers and the head can be fitted on the cells as they are. Returns the frozen modules, which
    the caller keeps in eval mode (model.train() would switch their BatchNorm back to updating)."""
    if through == "stem":
        frozen: list[nn.Module] = [net.stem]
    elif isinstance(through, int) and 0 <= through < len(net.stages):
        frozen = [net.stem, *net.stages[:through + 1]]
    else:
        raise ValueError(f"freeze through {through!r}: neither 'stem' nor a block index 0-{len(net.stages) - 1}")
    for m in frozen:
        m.eval()
        for q in m.parameters():
            q.requires_grad_(False)
    return frozen


class CellNet(nn.Module):
    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 256), stem: int = 24, num_classes: int = 8,
                 input_norm: str = "none"):
        super().__init__()
        assert input_norm in ("none", "instance", "grey"), input_norm
        # "instance": each image's channels standardised to zero mean and unit variance over the image before
        # the stem, inside the exported graph (so the app's preprocessing stays as it is): a lab's overall
        # colour cast, stain strength and contrast are taken out; what is left is colour *within* the crop.
        # "grey": the (ImageNet-normalised) input is turned back into RGB, to luminance (BT.601, as augment.py's
        # greyscale copies) and normalised again per channel, inside the graph: the net sees no hue at all, so a
        # lab's stain colours cannot move a cell from one class to another; only stain strength and morphology.
        self.input_norm = input_norm
        # training only (train.py --style-noise): probability and strength of perturb_feature_statistics;
        # style_at (train.py --style-at): where, "stem" and/or block indices (two blocks a stage: 1 and 3 end
        # stages 1 and 2, the d1-d5 placement)
        self.style_p, self.style_strength = 0.0, 1.0
        self.style_at: tuple[str | int, ...] = ("stem", 1, 3)
        # train.py --twin-at N: after block N the feature map is also turned a quarter and the later blocks run on
        # both (as one batch); the embedding is the mean of the two pooled features. Two quarter turns of the whole
        # image (EmbeddingOnly rotations=2) lift PBC and LISC but cost two passes; this shares the blocks up to N
        # and so costs 1 + (the later blocks' share) of a pass. Not the same function as the two turns (the early
        # blocks are not rotation-equivariant), so it is trained (fine-tuned) with the twin in place. None: off.
        self.twin_at: int | None = None
        self.stem = nn.Sequential(conv_bn(3, stem, 2), conv_bn(stem, widths[0]))
        layers: list[nn.Module] = []
        cin = widths[0]
        for i, w in enumerate(widths):
            layers += [Block(cin, w, 2), Block(w, w, 1)]
            cin = w
        self.stages = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.embedding_dim = cin
        self.head = nn.Linear(cin, num_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_norm == "instance":
            m = x.mean(dim=(2, 3), keepdim=True)
            v = ((x - m) ** 2).mean(dim=(2, 3), keepdim=True)
            x = (x - m) / torch.sqrt(v + 1e-4)
        elif self.input_norm == "grey":
            mean = x.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
            std = x.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
            rgb = x * std + mean
            y = 0.299 * rgb[:, 0:1] + 0.587 * rgb[:, 1:2] + 0.114 * rgb[:, 2:3]
            x = (y - mean) / std
        noisy = self.training and self.style_p > 0
        x = self.stem(x)
        if noisy and "stem" in self.style_at and torch.rand(()) < self.style_p:
            x = perturb_feature_statistics(x, self.style_strength)
        n = x.shape[0]
        for i, block in enumerate(self.stages):
            x = block(x)
            if noisy and i in self.style_at and torch.rand(()) < self.style_p:
                x = perturb_feature_statistics(x, self.style_strength)
            if i == self.twin_at:
                x = torch.cat([x, quarter_turn(x, 1)], 0)
        e = self.pool(x).flatten(1)
        return e if self.twin_at is None else e.view(2, n, -1).mean(0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


def quarter_turn(x: torch.Tensor, k: int) -> torch.Tensor:
    """torch.rot90(x, k, dims=(2, 3)) written with flips and a transpose, which export to ONNX (rot90 does not)."""
    k %= 4
    if k == 1:
        return x.flip(3).transpose(2, 3)
    if k == 2:
        return x.flip(2).flip(3)
    if k == 3:
        return x.transpose(2, 3).flip(3)
    return x


class EmbeddingOnly(nn.Module):
    """What gets exported: image -> embedding. With export_bundle.py --rotations K (K > 1), the mean of the
    embeddings of the image's first K quarter turns (2: 0° and 90°; 4: all four). Cells have no "up" and the net
    was trained on every rotation, but its answer still moves with the turn; the mean is a small ensemble that
    lifts PBC val and LISC together (v3's model card). Inside the graph, so the app, the CLI, lab heads and shift statistics see one
    embedding per cell as before; it costs one encoder pass per turn (the turns run as one batch)."""

    def __init__(self, net: CellNet, rotations: int = 1):
        super().__init__()
        if rotations not in (1, 2, 4):
            raise ValueError(f"rotations {rotations}: 1, 2 or 4 quarter turns")
        self.net, self.rotations = net, rotations

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.rotations == 1:
            return self.net.embed(x)
        n = x.shape[0]
        turns = [x] + [quarter_turn(x, k) for k in range(1, self.rotations)]
        e = self.net.embed(torch.cat(turns, 0))
        return e.view(self.rotations, n, -1).mean(0)


def build_model(ck: dict) -> CellNet:
    """The network a training checkpoint (best.pt) describes, weights not loaded."""
    net = CellNet(tuple(ck["widths"]), ck["stem"], len(ck["classes"]), ck.get("input_norm", "none"))
    net.twin_at = ck.get("twin_at")
    return net
