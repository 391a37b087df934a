"""Format detection, strict loading and the clear errors for bad checkpoints (tiny models: fast)."""
from __future__ import annotations

import argparse

import pytest
import torch
from ckpt_formats import FORMATS, write

from tools.dinobloom import convert as convert_mod
from tools.dinobloom.checkpoints import (CheckpointError, KeyMismatchError, NotDinoV2Error, RegistersModelError,
                                         TruncatedCheckpointError, load_checkpoint)
from tools.dinobloom.convert import ConversionError, convert
from tools.dinobloom.convert import main as cli_main
from tools.dinobloom.vit import random_state_dict

TINY = dict(dim=32, depth=3, num_heads=2)


@pytest.fixture(scope="module")
def tiny_sd():
    return random_state_dict(**TINY, seed=3)


@pytest.fixture(scope="module")
def small_sd():
    return random_state_dict(384, 12, 6, seed=4)


def _same(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.parametrize("fmt", FORMATS)
def test_detects_format_and_size(small_sd, tmp_path, fmt):
    ck = load_checkpoint(write(small_sd, fmt, tmp_path))
    assert (ck.source, ck.size, ck.variant) == (fmt, "S", "vit_small_patch14")
    assert (ck.config.dim, ck.config.depth, ck.config.num_heads, ck.config.ffn) == (384, 12, 6, "mlp")
    expected = dict(small_sd)
    if fmt == "timm-safetensors":
        expected["mask_token"] = torch.zeros_like(small_sd["mask_token"])
    _same(ck.state_dict, expected)


def test_detection_ignores_file_names(small_sd, tmp_path):
    p = write(small_sd, "timm-safetensors", tmp_path)
    renamed = p.rename(tmp_path / "weights.pth")
    assert load_checkpoint(renamed).source == "timm-safetensors"


def test_timm_safetensors_without_mask_token_loads(tiny_sd, tmp_path):
    p = write(tiny_sd, "timm-safetensors", tmp_path)
    from safetensors import safe_open

    with safe_open(str(p), "pt") as f:
        assert "mask_token" not in f.keys()
    ck = load_checkpoint(p, num_heads=2)
    assert ck.source == "timm-safetensors"
    assert torch.equal(ck.state_dict["mask_token"], torch.zeros(1, 32))
    assert any("mask_token" in n for n in ck.notes)
    _same({k: v for k, v in ck.state_dict.items() if k != "mask_token"},
          {k: v for k, v in tiny_sd.items() if k != "mask_token"})


def test_timm_classifier_head_is_dropped(tiny_sd, tmp_path):
    from safetensors.torch import save_file

    sd = {k: v for k, v in tiny_sd.items() if k != "mask_token"}
    p = tmp_path / "model.safetensors"
    save_file({**sd, "head.weight": torch.randn(8, 32), "head.bias": torch.zeros(8)}, str(p))
    ck = load_checkpoint(p, num_heads=2)
    assert "head.weight" not in ck.state_dict and any("head" in n for n in ck.notes)


def test_chunked_teacher_blocks(tiny_sd, tmp_path):
    p = write(tiny_sd, "zenodo-teacher", tmp_path, block_chunks=2)
    ck = load_checkpoint(p, num_heads=2)
    assert ck.source == "zenodo-teacher" and ck.config.depth == 3
    _same(ck.state_dict, tiny_sd)


def test_half_precision_weights_are_upcast(tiny_sd, tmp_path):
    p = write({k: v.half() for k, v in tiny_sd.items()}, "hf-flat", tmp_path)
    ck = load_checkpoint(p, num_heads=2)
    assert all(v.dtype == torch.float32 for v in ck.state_dict.values())
    assert any("float16" in n for n in ck.notes)


def test_swiglu_ffn_giant_layout(tmp_path):
    """DinoBloom-G's SwiGLU FFN (mlp.w12 / mlp.w3), tiny: detected and converted + verified."""
    sd = random_state_dict(32, 2, 2, seed=5, ffn="swiglu", hidden=48)
    assert sd["blocks.0.mlp.w12.weight"].shape == (96, 32) and sd["blocks.0.mlp.w3.weight"].shape == (32, 48)
    ck = load_checkpoint(write(sd, "hf-flat", tmp_path), num_heads=2)
    assert (ck.config.ffn, ck.config.ffn_hidden) == ("swiglu", 48)
    res = convert(ck.path, tmp_path / "b", num_heads=2, bench_runs=0, skip_fp16=True)
    assert res["report"]["fp32"]["maxAbsDiff"] <= 1e-4


# ------------------------------------------------------------------------------ clear errors

@pytest.mark.parametrize("fmt", ["hf-flat", "zenodo-teacher", "timm-safetensors"])
def test_truncated_file(tiny_sd, tmp_path, fmt):
    p = write(tiny_sd, fmt, tmp_path)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedCheckpointError, match="truncated"):
        load_checkpoint(p, num_heads=2)


def test_truncated_legacy_pickle(tiny_sd, tmp_path):
    p = tmp_path / "legacy.pth"
    torch.save(tiny_sd, p, _use_new_zipfile_serialization=False)
    assert load_checkpoint(p, num_heads=2).source == "hf-flat"
    p.write_bytes(p.read_bytes()[:5000])
    with pytest.raises(TruncatedCheckpointError, match="truncated"):
        load_checkpoint(p, num_heads=2)


def test_empty_and_garbage_files(tmp_path):
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(TruncatedCheckpointError, match="empty"):
        load_checkpoint(tmp_path / "empty.pth")
    (tmp_path / "notes.txt").write_text("hello, not weights")
    with pytest.raises(CheckpointError, match="not a PyTorch checkpoint"):
        load_checkpoint(tmp_path / "notes.txt")
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pth")


def test_resnet_state_dict(tmp_path):
    sd = {"conv1.weight": torch.randn(64, 3, 7, 7), "bn1.weight": torch.ones(64), "bn1.bias": torch.zeros(64),
          "bn1.running_mean": torch.zeros(64), "bn1.running_var": torch.ones(64),
          "layer1.0.conv1.weight": torch.randn(64, 64, 3, 3), "fc.weight": torch.randn(1000, 2048),
          "fc.bias": torch.zeros(1000)}
    p = tmp_path / "resnet50.pth"
    torch.save(sd, p)
    with pytest.raises(NotDinoV2Error) as e:
        load_checkpoint(p)
    msg = str(e.value)
    assert "not a DINOv2 ViT" in msg and "ResNet" in msg and "\n" not in msg


def test_registers_model(tiny_sd, tmp_path):
    sd = dict(tiny_sd, register_tokens=torch.zeros(1, 4, 32))
    with pytest.raises(RegistersModelError) as e:
        load_checkpoint(write(sd, "zenodo-teacher", tmp_path), num_heads=2)
    assert "registers" in str(e.value) and "DinoBloom has no registers" in str(e.value)


def test_unknown_extra_key(tiny_sd, tmp_path):
    sd = dict(tiny_sd, **{"blocks.1.attn.q_norm.weight": torch.ones(16)})
    with pytest.raises(KeyMismatchError, match=r"unexpected keys: blocks\.1\.attn\.q_norm\.weight"):
        load_checkpoint(write(sd, "hf-flat", tmp_path), num_heads=2)


def test_missing_key(tiny_sd, tmp_path):
    sd = {k: v for k, v in tiny_sd.items() if k != "blocks.1.ls2.gamma"}
    with pytest.raises(KeyMismatchError, match=r"missing keys: blocks\.1\.ls2\.gamma"):
        load_checkpoint(write(sd, "hf-flat", tmp_path), num_heads=2)


def test_missing_last_block_of_standard_size(small_sd, tmp_path):
    sd = {k: v for k, v in small_sd.items() if not k.startswith("blocks.11.")}
    with pytest.raises(KeyMismatchError, match="missing keys.*12 blocks"):
        load_checkpoint(write(sd, "hf-flat", tmp_path))


def test_shape_mismatch_and_wrong_resolution(tiny_sd, tmp_path):
    sd = dict(tiny_sd, **{"blocks.0.attn.proj.bias": torch.zeros(31)})
    with pytest.raises(KeyMismatchError, match=r"shape mismatch: blocks\.0\.attn\.proj\.bias \[31\]"):
        load_checkpoint(write(sd, "hf-flat", tmp_path / "a"), num_heads=2)
    sd = dict(tiny_sd, pos_embed=torch.zeros(1, 1370, 32))  # the original DINOv2 518-px layout
    with pytest.raises(NotDinoV2Error, match="518-px"):
        load_checkpoint(write(sd, "hf-flat", tmp_path / "b"), num_heads=2)


def test_non_standard_dim_needs_heads(tiny_sd, tmp_path):
    with pytest.raises(CheckpointError, match="--num-heads"):
        load_checkpoint(write(tiny_sd, "hf-flat", tmp_path))


def test_refuses_arbitrary_pickled_objects(tmp_path):
    p = tmp_path / "evil.pth"
    torch.save({"args": argparse.Namespace(lr=0.1), "cls_token": torch.zeros(1, 1, 32)}, p)
    with pytest.raises(CheckpointError, match="refusing to unpickle"):
        load_checkpoint(p)


def test_training_wrapper_without_teacher(tiny_sd, tmp_path):
    p = tmp_path / "ckpt.pth"
    torch.save({"model": tiny_sd, "iteration": 3}, p)
    with pytest.raises(NotDinoV2Error, match="teacher"):
        load_checkpoint(p, num_heads=2)


def test_cli_error_is_one_line_without_traceback(tiny_sd, tmp_path, capsys):
    p = write(tiny_sd, "hf-flat", tmp_path)
    p.write_bytes(p.read_bytes()[:3000])
    out = tmp_path / "bundle"
    assert cli_main([str(p), "--out", str(out), "--num-heads", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "truncated" in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_failed_verification_leaves_nothing(tiny_sd, tmp_path, monkeypatch):
    p = write(tiny_sd, "hf-flat", tmp_path / "ck")
    out = tmp_path / "out" / "bundle"
    monkeypatch.setattr(convert_mod, "FP32_MAX_ABS_DIFF", 0.0)
    with pytest.raises(ConversionError, match="verification failed.*maxAbsDiff"):
        convert(p, out, num_heads=2, bench_runs=0)
    assert not out.exists() and list(out.parent.iterdir()) == []


def test_failed_int8_leaves_nothing(tiny_sd, tmp_path, monkeypatch):
    p = write(tiny_sd, "hf-flat", tmp_path / "ck")
    out = tmp_path / "out" / "bundle"
    monkeypatch.setattr(convert_mod, "INT8_MIN_COSINE", 1.01)
    with pytest.raises(ConversionError, match="no int8 recipe reaches minCosine"):
        convert(p, out, num_heads=2, bench_runs=0)
    assert not out.exists() and list(out.parent.iterdir()) == []


def test_too_large_model_refused(tiny_sd, tmp_path, monkeypatch):
    monkeypatch.setattr(convert_mod, "MAX_ONNX_BYTES", 1000)
    with pytest.raises(ConversionError, match="2 GB single-file ONNX limit"):
        convert(write(tiny_sd, "hf-flat", tmp_path), tmp_path / "b", num_heads=2, bench_runs=0)
    assert not (tmp_path / "b").exists()


def test_prefixed_flat_dict_gets_a_hint(tiny_sd, tmp_path):
    p = tmp_path / "m.pth"
    torch.save({f"module.backbone.{k}": v for k, v in tiny_sd.items()}, p)
    with pytest.raises(NotDinoV2Error, match="'module.backbone.' prefix"):
        load_checkpoint(p, num_heads=2)
