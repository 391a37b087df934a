"""Detect and strictly load DinoBloom checkpoints into the official flat DINOv2 key layout.

Accepted formats (auto-detected from the file content, not its name):
  zenodo-teacher   Zenodo 10908163 DinoBloom-{S,B,L,G}.pth: {"teacher": {"backbone.<key>": ...,
                   "dino_head.*", "ibot_head.*"}, ...}; the prefix is stripped, the heads dropped.
  hf-flat          Hugging Face MarrLab/DinoBloom pytorch_model_{s,b}.bin: a flat backbone state dict.
  timm-safetensors 1aurent/vit_{small,base}_patch14_224.dinobloom model.safetensors (timm names,
                   identical here; no mask_token; head.* absent or empty).
Chunked blocks (`blocks.<chunk>.<i>.*`) are flattened. torch files are read with
torch.load(weights_only=True): nothing but tensors and plain containers is ever unpickled.
"""
from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .vit import SIZES, DinoVisionTransformer, ViTConfig

PATCH_SIZE = 14
IMG_SIZE = 224
NUM_TOKENS = (IMG_SIZE // PATCH_SIZE) ** 2 + 1  # 257
OPTIONAL_KEYS = {"mask_token"}  # training-only; zero-filled when absent


class CheckpointError(Exception):
    """A checkpoint that cannot be converted; the message is one line and says why."""


class TruncatedCheckpointError(CheckpointError):
    pass


class NotDinoV2Error(CheckpointError):
    pass


class RegistersModelError(CheckpointError):
    pass


class KeyMismatchError(CheckpointError):
    pass


@dataclass
class LoadedCheckpoint:
    state_dict: dict[str, torch.Tensor]  # official flat keys, float32, mask_token included
    config: ViTConfig
    source: str  # "zenodo-teacher" | "hf-flat" | "timm-safetensors"
    size: str  # "S" | "B" | "L" | "G" | "custom"
    variant: str  # e.g. "vit_small_patch14"
    path: Path
    notes: list[str] = field(default_factory=list)

    def build_model(self) -> DinoVisionTransformer:
        """The module with these weights (built on the meta device, weights assigned: no re-init)."""
        with torch.device("meta"):
            m = DinoVisionTransformer(self.config)
        m.load_state_dict(self.state_dict, strict=True, assign=True)
        return m.eval()


def _sample(keys, n: int = 6) -> str:
    keys = sorted(keys)
    return ", ".join(keys[:n]) + (f", ... ({len(keys)} in all)" if len(keys) > n else "")


# ------------------------------------------------------------------------------------ reading

def _read_safetensors(path: Path, size: int) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = f.read(n)
    if len(header) < n:
        raise TruncatedCheckpointError(
            f"{path.name}: truncated safetensors file (header needs {n} bytes, file has {size - 8})")
    try:
        meta = json.loads(header)
    except ValueError as e:
        raise CheckpointError(f"{path.name}: corrupt safetensors header ({e})") from None
    end = max((v["data_offsets"][1] for k, v in meta.items() if k != "__metadata__"), default=0)
    if 8 + n + end > size:
        raise TruncatedCheckpointError(
            f"{path.name}: truncated safetensors file ({size} bytes, its header describes {8 + n + end})")
    try:
        return load_file(str(path), device="cpu")
    except Exception as e:  # noqa: BLE001 - re-raised as one clear line
        raise CheckpointError(f"{path.name}: unreadable safetensors file ({str(e).splitlines()[0]})") from None


def _first_sentence(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return re.split(r"(?<=[a-z)])\. ", text, maxsplit=1)[0][:200]


def _read_torch(path: Path, is_zip: bool):
    import pickle

    size = path.stat().st_size
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True, mmap=is_zip)
    except pickle.UnpicklingError as e:
        glob = re.search(r"GLOBAL ([\w.]+)", str(e))
        if glob or "weights_only" in str(e) or "Unsupported" in str(e):
            what = glob.group(1) if glob else _first_sentence(e)
            raise CheckpointError(f"{path.name}: refusing to unpickle {what} (only tensors and plain containers are "
                                  f"loaded, weights_only=True); save a plain state dict instead") from None
        raise TruncatedCheckpointError(
            f"{path.name}: truncated or corrupt PyTorch checkpoint ({size} bytes; {_first_sentence(e)})") from None
    except Exception as e:  # noqa: BLE001 - RuntimeError (zip), EOFError/IndexError (cut pickle), ...
        raise TruncatedCheckpointError(
            f"{path.name}: truncated or corrupt PyTorch checkpoint ({size} bytes; {_first_sentence(e)})") from None


def read_checkpoint(path: str | Path) -> tuple[dict, str]:
    """Read a checkpoint file -> (raw flat dict of tensors with original names, source format)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(16)
    if size == 0:
        raise TruncatedCheckpointError(f"{path.name}: empty file")
    if head[:4] == b"PK\x03\x04":
        obj, kind = _read_torch(path, is_zip=True), "torch"
    elif len(head) >= 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] < (1 << 31):
        obj, kind = _read_safetensors(path, size), "safetensors"
    elif head[:1] == b"\x80":  # legacy (non-zip) torch.save pickle
        obj, kind = _read_torch(path, is_zip=False), "torch"
    else:
        raise CheckpointError(f"{path.name}: not a PyTorch checkpoint (.pth/.bin) or safetensors file "
                              f"(starts with {head[:8]!r})")

    if not isinstance(obj, dict):
        raise NotDinoV2Error(f"{path.name}: expected a state dict, found a {type(obj).__name__}")
    if kind == "safetensors":
        return dict(obj), "timm-safetensors"
    if isinstance(obj.get("teacher"), dict):
        teacher = obj["teacher"]
        sd, stray = {}, []
        for k, v in teacher.items():
            if k.startswith("backbone."):
                sd[k[len("backbone."):]] = v
            elif k.startswith(("dino_head.", "ibot_head.")):
                continue
            else:
                stray.append(k)
        if stray:
            raise KeyMismatchError(f"{path.name}: teacher checkpoint has unexpected keys outside backbone./"
                                   f"dino_head./ibot_head.: {_sample(stray)}")
        return sd, "zenodo-teacher"
    non_tensor = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if non_tensor:
        raise NotDinoV2Error(f"{path.name}: not a flat state dict and not a DINOv2 training checkpoint with a "
                             f"'teacher' entry (top-level keys: {_sample(obj.keys())})")
    return dict(obj), "hf-flat"


# ----------------------------------------------------------------------------- normalising

_CHUNKED = re.compile(r"^blocks\.(\d+)\.(\d+)\.(.+)$")
_BLOCK = re.compile(r"^blocks\.(\d+)\.")


def _flatten_chunks(sd: dict) -> dict:
    if not any(_CHUNKED.match(k) for k in sd):
        return sd
    out = {}
    for k, v in sd.items():
        m = _CHUNKED.match(k)
        out[f"blocks.{m.group(2)}.{m.group(3)}" if m else k] = v
    return out


def _looks_like(keys) -> str:
    ks = set(keys)
    prefixed = [k[: -len("cls_token")] for k in ks if k.endswith(".cls_token")]
    if prefixed:
        return f" (keys carry a {prefixed[0]!r} prefix; expected the flat backbone layout)"
    if any(k.startswith("layer1.") for k in ks) and ("conv1.weight" in ks or "fc.weight" in ks):
        return " (looks like a ResNet/CNN state dict)"
    if any(".encoder.layer." in k or k.startswith("encoder.layer.") for k in ks):
        return " (looks like a Hugging Face transformers model, not the DINOv2/timm layout)"
    return ""


def infer_config(sd: dict, name: str, num_heads: int | None = None) -> tuple[ViTConfig, str, str]:
    """ViTConfig, size letter and variant name from tensor shapes (heads: 64-dim unless given)."""
    if "register_tokens" in sd:
        shape = list(sd["register_tokens"].shape)
        raise RegistersModelError(f"{name}: this is a DINOv2 model with registers (register_tokens {shape}); "
                                  f"DinoBloom has no registers, so it is not a DinoBloom checkpoint")
    core = ["cls_token", "pos_embed", "patch_embed.proj.weight"]
    if any(k not in sd for k in core):
        raise NotDinoV2Error(f"{name}: not a DINOv2 ViT state dict: missing "
                             f"{', '.join(k for k in core if k not in sd)}{_looks_like(sd)}; "
                             f"keys: {_sample(sd.keys())}")
    cls, pos, pw = sd["cls_token"], sd["pos_embed"], sd["patch_embed.proj.weight"]
    if cls.dim() != 3 or tuple(cls.shape[:2]) != (1, 1):
        raise NotDinoV2Error(f"{name}: cls_token has shape {list(cls.shape)}, expected [1, 1, D]")
    dim = int(cls.shape[2])
    if pw.dim() != 4 or tuple(pw.shape[:2]) != (dim, 3) or pw.shape[2] != pw.shape[3]:
        raise NotDinoV2Error(f"{name}: patch_embed.proj.weight has shape {list(pw.shape)}, expected [{dim}, 3, 14, 14]")
    if int(pw.shape[2]) != PATCH_SIZE:
        raise NotDinoV2Error(f"{name}: patch size {pw.shape[2]}, DinoBloom uses 14")
    if tuple(pos.shape) != (1, NUM_TOKENS, dim):
        extra = ""
        if pos.dim() == 3 and int((pos.shape[1] - 1) ** 0.5) ** 2 == pos.shape[1] - 1:
            g = int((pos.shape[1] - 1) ** 0.5)
            extra = f" (a {g * PATCH_SIZE}-px model, {g}x{g} patches)"
        if pos.dim() == 3 and pos.shape[1] in (NUM_TOKENS + 4, NUM_TOKENS + 1):
            extra = " (extra tokens: a registers/distillation model?)"
        raise NotDinoV2Error(f"{name}: pos_embed has shape {list(pos.shape)}{extra}; DinoBloom needs "
                             f"[1, {NUM_TOKENS}, {dim}] (224-px input, 16x16 patches + CLS, no interpolation)")
    idx = sorted({int(m.group(1)) for k in sd if (m := _BLOCK.match(k))})
    if not idx:
        raise NotDinoV2Error(f"{name}: no transformer blocks (blocks.<i>.*) found")
    if idx != list(range(len(idx))):
        missing = sorted(set(range(idx[-1] + 1)) - set(idx))
        raise KeyMismatchError(f"{name}: missing keys: every key of blocks {missing}")
    depth = len(idx)
    if "blocks.0.mlp.w12.weight" in sd:
        ffn, hidden = "swiglu", int(sd["blocks.0.mlp.w12.weight"].shape[0]) // 2
    elif "blocks.0.mlp.fc1.weight" in sd:
        ffn, hidden = "mlp", int(sd["blocks.0.mlp.fc1.weight"].shape[0])
    else:
        raise KeyMismatchError(f"{name}: missing keys: blocks.0.mlp.fc1.weight (or mlp.w12.weight for SwiGLU)")
    std = SIZES.get(dim)
    if num_heads is None:
        if std is None:
            raise CheckpointError(f"{name}: embed dim {dim} is not a standard DINOv2 size (384/768/1024/1536); "
                                  f"pass the number of attention heads (--num-heads)")
        num_heads = std[2]
    if dim % num_heads:
        raise CheckpointError(f"{name}: embed dim {dim} is not divisible by {num_heads} heads")
    if std and depth == std[3] and num_heads == std[2]:
        size, variant = std[1], std[0]
    elif std and num_heads == std[2]:
        raise KeyMismatchError(f"{name}: missing keys: a {std[1]}-size model (D={dim}) has {std[3]} blocks, "
                               f"this file has {depth} (blocks.{depth}.* onwards missing?)"
                               if depth < std[3] else
                               f"{name}: unexpected keys: a {std[1]}-size model (D={dim}) has {std[3]} blocks, "
                               f"this file has {depth}")
    else:
        size, variant = "custom", f"vit_d{dim}_depth{depth}_h{num_heads}_patch14"
    cfg = ViTConfig(dim=dim, depth=depth, num_heads=num_heads, patch_size=PATCH_SIZE, img_size=IMG_SIZE,
                    ffn=ffn, hidden=hidden)
    return cfg, size, variant


def load_checkpoint(path: str | Path, num_heads: int | None = None) -> LoadedCheckpoint:
    """Read, detect, normalise and strictly check a DinoBloom checkpoint."""
    path = Path(path)
    raw, source = read_checkpoint(path)
    sd = _flatten_chunks(raw)
    notes: list[str] = []
    if source == "timm-safetensors" or any(k.startswith("head.") for k in sd):
        head = [k for k in sd if k.startswith("head.")]
        if source == "timm-safetensors" and head:
            if any(sd[k].numel() for k in head):
                notes.append(f"ignored timm classifier {', '.join(head)} (the bundle exports the embedding; "
                             f"its head comes from train-head)")
            for k in head:
                del sd[k]
        elif head and all(sd[k].numel() == 0 for k in head):  # an empty (identity) head
            for k in head:
                del sd[k]
    cfg, size, variant = infer_config(sd, path.name, num_heads)

    with torch.device("meta"):
        expected = DinoVisionTransformer(cfg).state_dict()
    missing = [k for k in expected if k not in sd and k not in OPTIONAL_KEYS]
    unexpected = [k for k in sd if k not in expected]
    if unexpected:
        raise KeyMismatchError(f"{path.name}: unexpected keys: {_sample(unexpected)}")
    if missing:
        raise KeyMismatchError(f"{path.name}: missing keys: {_sample(missing)}")
    bad = [f"{k} {list(sd[k].shape)} (expected {list(expected[k].shape)})"
           for k in sd if tuple(sd[k].shape) != tuple(expected[k].shape)]
    if bad:
        raise KeyMismatchError(f"{path.name}: shape mismatch: {'; '.join(bad[:4])}")
    dtypes = {str(v.dtype).replace("torch.", "") for v in sd.values()}
    if not all(v.is_floating_point() for v in sd.values()):
        raise CheckpointError(f"{path.name}: non-floating-point tensors in the state dict ({sorted(dtypes)})")
    if dtypes != {"float32"}:
        notes.append(f"weights stored as {'/'.join(sorted(dtypes))}; converted to float32")
    out = {k: (sd[k].detach().to(torch.float32).contiguous() if k in sd else torch.zeros(expected[k].shape))
           for k in expected}
    if "mask_token" not in sd:
        notes.append("no mask_token (training-only) in the file; zero-filled")
    bad_vals = [k for k, v in out.items() if not torch.isfinite(v).all()]
    if bad_vals:
        raise CheckpointError(f"{path.name}: NaN/Inf values in {_sample(bad_vals, 3)}")
    return LoadedCheckpoint(state_dict=out, config=cfg, source=source, size=size, variant=variant,
                            path=path, notes=notes)
