"""tools/dinobloom/bundle.py helpers, and the committed tiny test bundle."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tools.dinobloom import bundle
from tools.dinobloom.vit import DinoVisionTransformer, ViTConfig, random_state_dict

TEST_BUNDLE_ID = "test-tiny-dinov2"
PBC = ["basophil", "eosinophil", "erythroblast", "ig", "lymphocyte", "monocyte", "neutrophil", "platelet"]


def _fields(**over) -> dict:
    f = {"formatVersion": 1, "id": "x-model", "name": "X", "version": "1",
         "architecture": {"family": "cnn", "variant": "toy"}, "embeddingDim": 4,
         "input": {"name": "pixel_values", "size": 16, "mean": [0.5] * 3, "std": [0.25] * 3,
                   "resize": "whole-bilinear-antialias"},
         "output": {"name": "embedding"}, "unidentifiedThreshold": 0.5, "licence": "MIT", "citation": "none"}
    f.update(over)
    return f


class ToyCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.c1 = torch.nn.Conv2d(3, 8, 3, 2, 1)
        self.c2 = torch.nn.Conv2d(8, 4, 3, 2, 1)

    def forward(self, x):
        return torch.relu(self.c2(torch.relu(self.c1(x)))).mean((2, 3))


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    d = tmp_path_factory.mktemp("toy")
    m = ToyCNN().eval()
    x = np.random.default_rng(0).standard_normal((6, 3, 16, 16)).astype(np.float32)
    fp32 = bundle.export_onnx(m, d / "encoder.fp32.onnx", torch.from_numpy(x[:2]))
    with torch.no_grad():
        ref = m(torch.from_numpy(x)).numpy()
    return d, fp32, x, ref


def test_sha256_file(tmp_path):
    p = tmp_path / "a.bin"
    p.write_bytes(b"abc")
    assert bundle.sha256_file(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_head_json_roundtrip(tmp_path):
    w = np.arange(8, dtype=np.float32).reshape(2, 4) / 3
    entry = bundle.write_head_json(tmp_path / "head.json", ["a", "b"], torch.from_numpy(w), [0.1, -0.2],
                                   trained_on="toy")
    doc = json.loads((tmp_path / "head.json").read_text())
    assert doc["format"] == "linear-softmax-v1" and doc["classes"] == ["a", "b"] and doc["inputDim"] == 4
    np.testing.assert_array_equal(np.asarray(doc["weight"], dtype=np.float32), w)  # exact float32 round trip
    assert entry["type"] == "linear-softmax" and entry["file"] == "head.json" and entry["trainedOn"] == "toy"
    assert entry["sha256"] == bundle.sha256_file(tmp_path / "head.json")
    with pytest.raises(bundle.BundleError, match="C x D"):
        bundle.write_head_json(tmp_path / "h2.json", ["a", "b", "c"], w, [0, 0, 0])
    with pytest.raises(bundle.BundleError, match="unique"):
        bundle.write_head_json(tmp_path / "h3.json", ["a", "a"], w, [0, 0])


def test_write_manifest_and_validation(toy, tmp_path):
    d, fp32, x, ref = toy
    out = tmp_path / "b"
    with bundle.staged_bundle_dir(out) as stage:
        (stage / fp32.name).write_bytes(fp32.read_bytes())
        head = bundle.write_head_json(stage / "head.json", ["a", "b"], np.zeros((2, 4)), np.zeros(2))
        m = bundle.write_manifest(stage, _fields(), [{"precision": "fp32", "file": fp32.name, "backends": ["wasm"],
                                                     "bytes": 1, "sha256": "0" * 64}], head=head)
    assert m["encoder"]["variants"][0]["bytes"] == fp32.stat().st_size  # recomputed, not trusted
    assert bundle.validate_bundle(out) == m
    # integrity: a modified file is caught
    (out / "head.json").write_text((out / "head.json").read_text().replace("0.0", "1.0", 1))
    with pytest.raises(bundle.BundleError, match="head.json"):
        bundle.validate_bundle(out)
    # schema: a bad id / unknown field is rejected before anything is written
    with pytest.raises(bundle.BundleError, match="id"):
        bundle.write_manifest(out, _fields(id="Bad ID"), [{"precision": "fp32", "file": fp32.name, "backends": ["wasm"]}])
    with pytest.raises(bundle.BundleError, match="bundle file missing"):
        bundle.write_manifest(out, _fields(), [{"precision": "fp32", "file": "nope.onnx", "backends": ["wasm"]}])


def test_staged_dir_cleans_up_on_failure(tmp_path):
    out = tmp_path / "bundle"
    with pytest.raises(RuntimeError):
        with bundle.staged_bundle_dir(out) as stage:
            (stage / "x").write_text("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    out.mkdir()
    (out / "old").write_text("keep")
    with pytest.raises(bundle.BundleError, match="already exists"):
        with bundle.staged_bundle_dir(out):
            pass
    with bundle.staged_bundle_dir(out, overwrite=True) as stage:
        (stage / "new").write_text("new")
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"] and [p.name for p in out.iterdir()] == ["new"]


def test_quantize_verify_benchmark_generic(toy):
    """The generic helpers on a CNN: dynamic + static (QDQ, calibrated) int8, fp16, verification."""
    d, fp32, x, ref = toy
    assert bundle.verify_onnx(fp32, x, ref, max_abs_diff=1e-5)["maxAbsDiff"] <= 1e-5
    st = bundle.quantize_int8(fp32, d / "static.onnx", mode="static", op_types=("Conv",),
                              calibration=[x[:3], x[3:]], input_name="pixel_values")
    assert "QuantizeLinear" in bundle.graph_ops(st)
    assert bundle.verify_onnx(st, x, ref, min_cosine=0.95)["minCosine"] >= 0.95
    f16 = bundle.convert_fp16(fp32, d / "f16.onnx")
    assert bundle.verify_onnx(f16, x, ref, min_cosine=0.999)["maxAbsDiff"] < 1e-2
    with pytest.raises(bundle.VerificationError, match="maxAbsDiff"):
        bundle.verify_onnx(f16, x, ref, max_abs_diff=0.0)
    assert bundle.benchmark_onnx(fp32, x[:1], runs=2) > 0


def test_dynamic_int8_on_vit_uses_plain_onnx_ops(tmp_path):
    m = DinoVisionTransformer(ViTConfig(dim=32, depth=1, num_heads=2))
    m.load_state_dict(random_state_dict(32, 1, 2, seed=0))
    fp32 = bundle.export_onnx(m, tmp_path / "v.onnx", torch.zeros(1, 3, 224, 224))
    q = bundle.quantize_int8(fp32, tmp_path / "q.onnx")
    ops = bundle.graph_ops(q)
    assert ops["MatMulInteger"] == 4 and "DynamicQuantizeLinear" in ops  # qkv, proj, fc1, fc2
    assert ops["MatMul"] == 2  # q@k and attn@v stay float (activation x activation)
    assert not [k for k in ops if ":" in k]


# ------------------------------------------------------------------------ committed test bundle

def test_committed_tiny_test_bundle(repo_root):
    d = repo_root / "public" / "models" / TEST_BUNDLE_ID
    m = bundle.validate_bundle(d)
    assert m["id"] == TEST_BUNDLE_ID and m["testModel"] is True and "not for diagnosis" in m["name"]
    assert m["architecture"]["family"] == "dinov2-vit" and m["architecture"]["patchSize"] == 14
    assert m["input"]["size"] == 224 and m["head"]["classes"] == PBC
    assert {v["precision"] for v in m["encoder"]["variants"]} >= {"fp32", "int8"}
    total = sum(p.stat().st_size for p in d.iterdir())
    assert total < 1_000_000
    head = json.loads((d / "head.json").read_text())
    assert head["classes"] == PBC and len(head["weight"]) == 8 and len(head["weight"][0]) == m["embeddingDim"]


def test_tiny_test_bundle_is_deterministic(repo_root):
    """The committed ONNX holds exactly the weights make_test_bundle.py generates from its seed."""
    import sys

    sys.path.insert(0, str(repo_root / "tools"))
    import make_test_bundle as mtb

    sd = random_state_dict(mtb.DIM, mtb.DEPTH, mtb.HEADS, seed=mtb.SEED)
    assert all(torch.equal(v, random_state_dict(mtb.DIM, mtb.DEPTH, mtb.HEADS, seed=mtb.SEED)[k]) for k, v in sd.items())
    m = DinoVisionTransformer(ViTConfig(dim=mtb.DIM, depth=mtb.DEPTH, num_heads=mtb.HEADS))
    m.load_state_dict(sd)
    m.eval()
    x = np.random.default_rng(1).standard_normal((2, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        ref = m(torch.from_numpy(x)).numpy()
    d = repo_root / "public" / "models" / TEST_BUNDLE_ID
    np.testing.assert_allclose(bundle.run_onnx(d / "encoder.fp32.onnx", x), ref, atol=1e-5)
    head = mtb.tiny_head(sd)
    committed = json.loads((d / "head.json").read_text())
    np.testing.assert_array_equal(np.asarray(committed["weight"], np.float32), np.asarray(head["weight"], np.float32))
    np.testing.assert_array_equal(np.asarray(committed["bias"], np.float32), np.asarray(head["bias"], np.float32))
