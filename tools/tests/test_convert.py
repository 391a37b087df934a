"""End to end: random-init DinoBloom-S and -B checkpoints in all three published formats ->
detect -> convert -> verify -> bundle (schema, integrity, accuracy, torch == ORT)."""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
import torch
from ckpt_formats import FORMATS, write
from PIL import Image

from tools.dinobloom import bundle
from tools.dinobloom.convert import main as cli_main
from tools.dinobloom.convert import convert, random_inputs
from tools.dinobloom.vit import DinoVisionTransformer, ViTConfig, random_state_dict

SIZES = {  # letter: (dim, depth, heads, variant)
    "S": (384, 12, 6, "vit_small_patch14"),
    "B": (768, 12, 12, "vit_base_patch14"),
}


class Model:
    """One random checkpoint of a size, its torch reference, and its conversions per format."""

    def __init__(self, letter: str, tmp, seed: int, skip_fp16: bool, int8_formats=FORMATS):
        self.letter, self.tmp, self.skip_fp16, self.int8_formats = letter, tmp, skip_fp16, int8_formats
        dim, depth, heads, self.variant = SIZES[letter]
        self.sd = random_state_dict(dim, depth, heads, seed=seed)
        self.torch = DinoVisionTransformer(ViTConfig(dim=dim, depth=depth, num_heads=heads))
        self.torch.load_state_dict(self.sd)
        self.torch.eval()
        self.dim = dim
        self.results: dict[str, dict] = {}

    def converted(self, fmt: str) -> dict:
        if fmt not in self.results:
            ckpt = write(self.sd, fmt, self.tmp / f"ckpt-{fmt}")
            res = convert(ckpt, self.tmp / f"bundle-{fmt}", skip_fp16=self.skip_fp16,
                          skip_int8=fmt not in self.int8_formats, bench_runs=0, threads=1, n_random=2)
            self.results[fmt] = {**res, "ckpt": ckpt}
        return self.results[fmt]


@pytest.fixture(scope="module")
def model_s(tmp_path_factory):
    return Model("S", tmp_path_factory.mktemp("s"), seed=1, skip_fp16=False)


@pytest.fixture(scope="module")
def model_b(tmp_path_factory):
    # 86M parameters on 2 shared cores: fp16 skipped (same code path as S, ~15 s per conversion)
    return Model("B", tmp_path_factory.mktemp("b"), seed=2, skip_fp16=True)


def _check_bundle(m: Model, fmt: str) -> None:
    res = m.converted(fmt)
    out, manifest = res["out"], res["manifest"]
    # no temp/staging dirs left next to the bundle
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []
    # manifest: schema + file bytes/sha256 (validate_bundle), and re-checked by hand
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == manifest
    bundle.validate_bundle(out)
    for v in manifest["encoder"]["variants"]:
        p = out / v["file"]
        assert v["bytes"] == p.stat().st_size and v["sha256"] == bundle.sha256_file(p)
    assert "head" not in manifest  # encoder-only: train-head adds it
    src = manifest["convertedFrom"]  # the checkpoint behind it (the in-browser converter writes the same)
    assert (src["file"], src["layout"], src["bytes"]) == (res["ckpt"].name, fmt, res["ckpt"].stat().st_size)
    assert src["sha256"] == bundle.sha256_file(res["ckpt"])
    assert manifest["architecture"] == {"family": "dinov2-vit", "variant": m.variant, "patchSize": 14,
                                        "depth": 12, "numHeads": m.dim // 64,
                                        "parameters": sum(p.numel() for k, p in m.torch.named_parameters()
                                                          if k != "mask_token"),
                                        "source": fmt}
    assert manifest["embeddingDim"] == m.dim
    assert manifest["id"] == f"dinobloom-{m.letter.lower()}" and manifest["name"] == f"DinoBloom-{m.letter}"
    assert manifest["input"] == {"name": "pixel_values", "size": 224, "mean": [0.485, 0.456, 0.406],
                                 "std": [0.229, 0.224, 0.225], "resize": "whole-bilinear-antialias"}
    assert manifest["output"] == {"name": "embedding"}
    assert manifest["licence"] == "Apache-2.0" and "2404.05022" in manifest["citation"]
    assert manifest["unidentifiedThreshold"] == 0.5 and manifest["formatVersion"] == 1

    variants = {v["precision"]: v for v in manifest["encoder"]["variants"]}
    has_int8 = fmt in m.int8_formats
    assert set(variants) == {"fp32"} | ({"int8"} if has_int8 else set()) | (set() if m.skip_fp16 else {"fp16"})
    assert variants["fp32"]["backends"] == ["wasm", "webgpu"]
    assert variants["fp32"]["verification"]["maxAbsDiff"] <= 1e-4
    if has_int8:
        assert variants["int8"]["backends"] == ["wasm"]
        assert variants["int8"]["verification"]["minCosine"] >= 0.99
    if "fp16" in variants:
        assert variants["fp16"]["backends"] == ["webgpu"]
        assert variants["fp16"]["verification"]["minCosine"] >= 0.99

    # ONNX I/O contract: pixel_values float32 [N,3,224,224] with a symbolic N -> embedding [N, D]
    for v in variants.values():
        g = onnx.load(str(out / v["file"]), load_external_data=False).graph
        assert [i.name for i in g.input] == ["pixel_values"] and [o.name for o in g.output] == ["embedding"]
        dims = g.input[0].type.tensor_type.shape.dim
        assert g.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        assert dims[0].dim_param and [d.dim_value for d in dims[1:]] == [3, 224, 224]
        assert g.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        ops = bundle.graph_ops(out / v["file"])
        assert not [k for k in ops if ":" in k], f"{v['file']} uses contrib ops {ops}"  # plain ONNX everywhere

    # the torch module's CLS (x_norm_clstoken) == ORT output, on fresh inputs
    x = random_inputs(2, seed=99)
    with torch.no_grad():
        ref = m.torch(torch.from_numpy(x)).numpy()
    got = bundle.run_onnx(out / "encoder.fp32.onnx", x)
    assert got.shape == (2, m.dim)
    np.testing.assert_allclose(got, ref, atol=1e-4, rtol=0)
    if has_int8:
        assert bundle.compare_embeddings(ref, bundle.run_onnx(out / "encoder.int8.onnx", x))["minCosine"] >= 0.99


@pytest.mark.parametrize("fmt", FORMATS)
def test_s_all_formats(model_s, fmt):
    _check_bundle(model_s, fmt)


# B in its Zenodo layout only: reading the other layouts does not depend on the size (checked on S,
# with the same code), and a B conversion is the Python suite's slowest step (~45 s each in CI).
@pytest.mark.parametrize("fmt", FORMATS[:1])
def test_b_converts_and_verifies(model_b, fmt):
    _check_bundle(model_b, fmt)


@pytest.mark.parametrize("size", ["S"])
def test_formats_give_identical_weights(size, request):
    """Same weights whatever the file format: the fp32 ONNX outputs agree exactly."""
    m = request.getfixturevalue(f"model_{size.lower()}")
    x = random_inputs(1, seed=5)
    outs = [bundle.run_onnx(m.converted(f)["out"] / "encoder.fp32.onnx", x) for f in FORMATS]
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])


def test_cli_with_images_and_timing(model_s, tmp_path, capsys):
    """The CLI end to end on the S checkpoint, with --images crops and the ORT timing."""
    imgs = tmp_path / "crops"
    imgs.mkdir()
    rng = np.random.default_rng(0)
    for i, size in enumerate([(90, 110), (224, 224), (360, 300)]):
        Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(imgs / f"cell{i}.png")
    ckpt = model_s.converted("hf-flat")["ckpt"]
    out = tmp_path / "bundle"
    rc = cli_main([str(ckpt), "--out", str(out), "--images", str(imgs), "--name", "My DinoBloom",
                   "--id", "my-dinobloom", "--version", "2.1", "--threshold", "0.6", "--skip-fp16",
                   "--bench-runs", "1", "--threads", "1"])
    text = capsys.readouterr().out
    assert rc == 0, text
    m = bundle.validate_bundle(out)
    assert (m["id"], m["name"], m["version"], m["unidentifiedThreshold"]) == ("my-dinobloom", "My DinoBloom", "2.1", 0.6)
    assert [v["precision"] for v in m["encoder"]["variants"]] == ["fp32", "int8"]
    assert "3 crops" in m["encoder"]["variants"][0]["verification"]["inputs"]
    assert "ms/img" in text and "maxAbsDiff" in text
    # an existing bundle is not silently replaced
    rc = cli_main([str(ckpt), "--out", str(out), "--skip-fp16", "--bench-runs", "0"])
    assert rc == 1 and "already exists" in capsys.readouterr().err
