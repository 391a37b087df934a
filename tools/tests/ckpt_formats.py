"""Write a flat official-layout state dict in each published DinoBloom checkpoint format."""
from __future__ import annotations

import re
from pathlib import Path

import torch

FORMATS = ("zenodo-teacher", "hf-flat", "timm-safetensors")
FILE_NAMES = {"zenodo-teacher": "DinoBloom-X.pth", "hf-flat": "pytorch_model_x.bin",
              "timm-safetensors": "model.safetensors"}


def chunked(sd: dict, chunks: int) -> dict:
    """DINOv2 BlockChunk layout: blocks.<chunk>.<global index>.<rest>."""
    depth = 1 + max(int(m.group(1)) for k in sd if (m := re.match(r"blocks\.(\d+)\.", k)))
    per = -(-depth // chunks)
    out = {}
    for k, v in sd.items():
        m = re.match(r"blocks\.(\d+)\.(.+)", k)
        out[f"blocks.{int(m.group(1)) // per}.{m.group(1)}.{m.group(2)}" if m else k] = v
    return out


def write(sd: dict, fmt: str, folder: Path, block_chunks: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAMES[fmt]
    if fmt == "zenodo-teacher":
        dim = sd["cls_token"].shape[-1]
        body = chunked(sd, block_chunks) if block_chunks else sd
        teacher = {f"backbone.{k}": v for k, v in body.items()}
        # DINO / iBOT projection heads live next to the backbone in the teacher dict
        teacher["dino_head.mlp.0.weight"] = torch.randn(64, dim)
        teacher["dino_head.mlp.0.bias"] = torch.zeros(64)
        teacher["dino_head.last_layer.weight_g"] = torch.ones(128, 1)
        teacher["ibot_head.mlp.0.weight"] = torch.randn(64, dim)
        torch.save({"teacher": teacher, "iteration": 1000}, path)
    elif fmt == "hf-flat":
        torch.save(dict(sd), path)
    elif fmt == "timm-safetensors":
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in sd.items() if k != "mask_token"}, str(path))
    else:
        raise ValueError(fmt)
    return path
