"""The in-browser converter's ONNX templates equal the Python converter's graphs: a template made from
one random checkpoint, filled with another checkpoint's weights, is byte for byte the file the
converter writes for that other checkpoint (fp32, both int8 recipes, fp16)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import torch

from tools.dinobloom import templates as T
from tools.dinobloom.convert import convert
from tools.dinobloom.vit import ViTConfig, random_state_dict

from ckpt_formats import write

TINY = ViTConfig(dim=8, depth=2, num_heads=2)
COMMITTED = Path(__file__).resolve().parents[2] / "public" / "checkpoint-templates"


@pytest.fixture(scope="module")
def tiny_templates():
    return T.make_templates(TINY)


def test_tiny_templates_fill_to_the_converters_files(tiny_templates, tmp_path):
    sd = random_state_dict(8, 2, 2, seed=77)
    res = convert(write(sd, "hf-flat", tmp_path / "ck"), tmp_path / "b", num_heads=2, bench_runs=0, n_random=1)
    for precision in ("fp32", "int8", "fp16"):
        want = (res["out"] / f"encoder.{precision}.onnx").read_bytes()
        assert T.fill_template(tiny_templates[precision], sd) == want, precision
    # the second int8 recipe (FFN output MatMuls kept fp32) is made with the same functions
    files = T._export_variants(sd, TINY, tmp_path, ("int8-fc2fp32",))
    assert T.fill_template(tiny_templates["int8-fc2fp32"], sd) == files["int8-fc2fp32"].read_bytes()


def test_external_data_graph_gives_the_same_outputs(tiny_templates, tmp_path):
    """The graph the browser verifies with (weights as external data, cut out of the filled file)
    computes exactly what the filled file computes."""
    import numpy as np
    import onnxruntime as ort

    sd = random_state_dict(8, 2, 2, seed=78)
    x = np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype(np.float32)
    for precision, tpl in tiny_templates.items():
        filled = T.fill_template(tpl, sd)
        full = ort.InferenceSession(filled, providers=["CPUExecutionProvider"]).run(None, {"pixel_values": x})[0]
        (tmp_path / T.EXTERNAL_LOCATION).write_bytes(T.external_weights(tpl, filled))
        (tmp_path / f"{precision}.onnx").write_bytes(tpl.graph)
        ext = ort.InferenceSession(str(tmp_path / f"{precision}.onnx"), providers=["CPUExecutionProvider"]).run(
            None, {"pixel_values": x})[0]
        assert np.array_equal(full, ext), precision


def test_template_round_trips_and_holes_cover_every_weight(tiny_templates):
    for precision, tpl in tiny_templates.items():
        again = T.Template.from_bytes(tpl.to_bytes())
        assert again.header == tpl.header and again.literal == tpl.literal and again.graph == tpl.graph
        keys = {h["key"] for h in tpl.header["holes"]}
        expected = set(random_state_dict(8, 2, 2, seed=0)) - {"mask_token"}
        assert keys == expected, precision
        assert sum(h["n"] for h in tpl.header["holes"]) + len(tpl.literal) == tpl.header["bytes"]


def test_refuses_a_graph_it_cannot_map(tmp_path):
    sd = random_state_dict(8, 2, 2, seed=5)
    files = T._export_variants(sd, TINY, tmp_path, ())
    other = random_state_dict(8, 2, 2, seed=6)  # weights that are not in this graph
    with pytest.raises(T.TemplateError):
        T._fp32_sources(files["fp32"], other)


@pytest.mark.parametrize("size,dim,depth,heads,precisions", [
    ("S", 384, 12, 6, ("fp32", "int8", "int8-fc2fp32", "fp16")),
    # B: the same code path at 4x the bytes. fp32 checks B's graph and weight holes. B's int8 template
    # is made by the same quantisation code as S's (checked above) and is not re-checked here:
    # quantising 86 M weights took most of the Python suite's time in CI.
    ("B", 768, 12, 12, ("fp32",)),
])
def test_committed_templates_match_the_converter(size, dim, depth, heads, precisions):
    sd = random_state_dict(dim, depth, heads, seed=2024)
    with tempfile.TemporaryDirectory() as td:
        files = T._export_variants(sd, ViTConfig(dim=dim, depth=depth, num_heads=heads), Path(td), precisions)
        for precision in precisions:
            tpl = T.Template.from_bytes(T.read_template_file(COMMITTED / T.file_name(size, precision)))
            assert (tpl.header["dim"], tpl.header["depth"], tpl.header["numHeads"]) == (dim, depth, heads)
            assert T.fill_template(tpl, sd) == files[precision].read_bytes(), f"{size} {precision}"
    torch.set_num_threads(1)
