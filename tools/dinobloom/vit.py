"""A plain-torch DINOv2 ViT (no registers) with exactly the official DINOv2 / DinoBloom key names.

forward(x) returns `x_norm_clstoken`: the CLS token after the final LayerNorm (not L2-normalised).
The maths is written out (softmax attention with scale head_dim**-0.5, exact erf GELU, LayerNorm
eps 1e-6, LayerScale) so that the legacy ONNX exporter emits a small, clean graph of standard ops.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

# Standard DINOv2 sizes: embed dim -> (name, heads, depth). 64-dim heads everywhere.
SIZES = {
    384: ("vit_small_patch14", "S", 6, 12),
    768: ("vit_base_patch14", "B", 12, 12),
    1024: ("vit_large_patch14", "L", 16, 24),
    1536: ("vit_giant2_patch14", "G", 24, 40),
}


@dataclass(frozen=True)
class ViTConfig:
    dim: int
    depth: int
    num_heads: int
    patch_size: int = 14
    img_size: int = 224
    ffn: str = "mlp"  # "mlp" (fc1/fc2, GELU) or "swiglu" (w12/w3, SiLU gate; DinoBloom-G)
    hidden: int = 0  # FFN hidden width; 0 -> 4*dim

    @property
    def ffn_hidden(self) -> int:
        return self.hidden or 4 * self.dim

    @property
    def num_tokens(self) -> int:
        return (self.img_size // self.patch_size) ** 2 + 1


class LayerScale(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class PatchEmbed(nn.Module):
    def __init__(self, dim: int, patch: int):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)  # [B, HW, D]


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int, num_tokens: int):
        super().__init__()
        self.dim, self.num_tokens, self.num_heads = dim, num_tokens, num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.proj = nn.Linear(dim, dim, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # token count and width are Python constants, so the exported graph needs no Shape ops;
        # the batch dimension stays dynamic (-1).
        n, c = self.num_tokens, self.dim
        qkv = self.qkv(x).reshape(-1, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(-1, n, c))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()  # exact (erf)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class SwiGLUFFN(nn.Module):
    """DINOv2's SwiGLUFFNFused (ViT-g): w12 [2H, D] -> silu(x1) * x2 -> w3 [D, H]."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.w12 = nn.Linear(dim, 2 * hidden)
        self.w3 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = self.w12(x).chunk(2, dim=-1)
        return self.w3(nn.functional.silu(x1) * x2)


class Block(nn.Module):
    def __init__(self, cfg: ViTConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.attn = Attention(cfg.dim, cfg.num_heads, cfg.num_tokens)
        self.ls1 = LayerScale(cfg.dim)
        self.norm2 = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.mlp = SwiGLUFFN(cfg.dim, cfg.ffn_hidden) if cfg.ffn == "swiglu" else Mlp(cfg.dim, cfg.ffn_hidden)
        self.ls2 = LayerScale(cfg.dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class DinoVisionTransformer(nn.Module):
    def __init__(self, cfg: ViTConfig):
        super().__init__()
        if cfg.dim % cfg.num_heads:
            raise ValueError(f"embed dim {cfg.dim} is not divisible by {cfg.num_heads} heads")
        self.cfg = cfg
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, cfg.num_tokens, cfg.dim))
        self.mask_token = nn.Parameter(torch.zeros(1, cfg.dim))  # training only; kept for key parity
        self.patch_embed = PatchEmbed(cfg.dim, cfg.patch_size)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(cfg.dim, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], 1, self.cfg.dim), x), dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x[:, 0])  # == x_norm_clstoken (LayerNorm is per token)

    def inference_parameters(self) -> int:
        return sum(p.numel() for n, p in self.named_parameters() if n != "mask_token")


def init_random_(model: DinoVisionTransformer, seed: int) -> DinoVisionTransformer:
    """Seeded, deterministic random weights with trained-model-like scales (LayerScale ~0.1-1 rather
    than DINOv2's 1e-5 init, non-trivial LayerNorm affine), so the blocks really matter in tests."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("gamma"):
                p.copy_(0.1 + 0.9 * torch.rand(p.shape, generator=g))
            elif ".norm" in name or name.startswith("norm"):
                base = 1.0 if name.endswith("weight") else 0.0
                p.copy_(base + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.02 * torch.randn(p.shape, generator=g))
            elif name.endswith("weight"):  # conv / linear weights: unit-variance outputs
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p[0].numel()))
            else:  # cls_token, pos_embed, mask_token
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    return model


def random_state_dict(dim: int, depth: int, num_heads: int, seed: int = 0, ffn: str = "mlp",
                      hidden: int = 0) -> dict[str, torch.Tensor]:
    """An official-layout flat state dict with seeded random weights (tests, the tiny test bundle)."""
    m = DinoVisionTransformer(ViTConfig(dim=dim, depth=depth, num_heads=num_heads, ffn=ffn, hidden=hidden))
    init_random_(m, seed)
    return {k: v.detach().clone() for k, v in m.state_dict().items()}
