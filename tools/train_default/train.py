"""Train the default compact PBC cell encoder (+ linear head) on CPU, reproducibly and resumably.

    npm run train-default            # = python3 tools/train_default/train.py (then export_bundle.py)

Trains on ../shared/datasets/pbc/train only; `val/` is used for nothing but picking the best epoch
(by balanced accuracy of the EMA weights). Every hyper-parameter is written to <out>/hparams.json and
every epoch to <out>/log.jsonl; <out>/last.pt is written after each epoch and a rerun resumes from it.

Warm start: `--init-onnx public/models/pbc-compact-cnn-v1` starts from a shipped bundle's encoder + head
(init_onnx.py: folded BatchNorms unfolded, re-parametrised on training batches so train-mode BN keeps the
exported function); its widths/stem are the bundle's. The initial network's PBC val score is logged as
epoch -1.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cellcrop  # noqa: E402
from augment import augment_batch, normalise  # noqa: E402
from cache_dataset import ensure_cache  # noqa: E402
from model import (IMAGENET_MEAN, IMAGENET_STD, CellNet, build_model, clean_noisy_consistency_loss,  # noqa: E402
                   distillation_loss, freeze_early, teacher_probs)
from init_onnx import load_bundle, reparametrise_bn  # noqa: E402
from narrow import macs, narrow, reestimate_bn  # noqa: E402
from widen import parse_widen, widen  # noqa: E402

HERE = Path(__file__).resolve().parent


def balanced_accuracy(y: np.ndarray, p: np.ndarray, n: int) -> float:
    recalls = [float((p[y == c] == c).mean()) for c in range(n) if (y == c).any()]
    return float(np.mean(recalls))


@torch.no_grad()
def predict(model: torch.nn.Module, x_u8: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, bs: int = 256) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(x_u8), bs):
        xb = normalise(x_u8[i:i + bs].permute(0, 3, 1, 2).float() / 255.0, mean, std)
        out.append(model(xb).argmax(1))
    return torch.cat(out).numpy()


def parse_places(spec: str, n_blocks: int, flag: str = "--style-at") -> tuple[str | int, ...]:
    """Places in the net for --style-at and --freeze-through: "stem,1,3" -> ("stem", 1, 3); anything else
    than "stem" or a block index is refused, naming the flag."""
    out: list[str | int] = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        if part == "stem":
            out.append(part)
        elif part.isdigit() and int(part) < n_blocks:
            out.append(int(part))
        else:
            raise SystemExit(f"{flag}: {part!r} is neither 'stem' nor a block index 0-{n_blocks - 1}")
    return tuple(out)


def load_teacher(path: Path) -> CellNet:
    """A frozen teacher for --teacher: a bundle folder (its fp32 encoder + head, init_onnx.load_bundle, exact in
    eval mode) or one of our training checkpoints (its EMA weights)."""
    if path.is_dir():
        net, _ = load_bundle(path)
    else:
        ck = torch.load(path, weights_only=False)  # our own training checkpoint
        net = build_model(ck)
        net.load_state_dict(ck["ema"])
    net.eval()
    for q in net.parameters():
        q.requires_grad_(False)
    return net


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(HERE.parent.parent.parent / "shared/datasets/pbc"))
    ap.add_argument("--out", default=str(HERE / "runs/pbc-compact-cnn-v1"))
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--widths", default="24,48,96,192")
    ap.add_argument("--stem", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--warmup-epochs", type=float, default=1.0)
    ap.add_argument("--resize", default=cellcrop.POLICY, help="input policy: cell-centred-v1 | whole-bilinear-antialias")
    ap.add_argument("--margin", type=float, default=0.5, help="cell-centred-v1: box margin (fraction of the cell box per side)")
    ap.add_argument("--views", type=int, default=4, help="cached training views per crop (views.py; view 0 = plain)")
    ap.add_argument("--stain", default="hed", help="colour augmentation: hed | basic")
    ap.add_argument("--grey", type=float, default=0.0, help="probability of a greyscale training image")
    ap.add_argument("--scale-min", type=float, default=0.9)
    ap.add_argument("--scale-max", type=float, default=1.1)
    ap.add_argument("--shift", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=20240524)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--init-onnx", default=None, help="bundle folder to warm-start from (encoder.fp32.onnx + head.json)")
    ap.add_argument("--init", default=None, help="training checkpoint (best.pt) to warm-start from (its EMA weights)")
    ap.add_argument("--density", default="1,1", help="hed: range lo,hi of one stain-density factor per image")
    ap.add_argument("--mix-jitter", type=float, default=0.0,
                    help="hed: std of the random stain colours the image is re-mixed with (0: the standard H&E matrix)")
    ap.add_argument("--input-norm", default="none", help="none | instance (per-image channel standardisation) | grey (luminance only); model.py")
    ap.add_argument("--randconv", type=float, default=0.0, help="probability of augment._randconv per image")
    ap.add_argument("--style-noise", default="0,1", help="p,strength of model.perturb_feature_statistics (training only)")
    ap.add_argument("--style-at", default="stem,1,3",
                    help="where the --style-noise goes: 'stem' and/or block indices (1, 3: the ends of stages 1 and 2)")
    ap.add_argument("--consistency", type=float, default=0.0,
                    help="weight of the clean/noisy consistency term (model.clean_noisy_consistency_loss): each batch "
                         "twice, cross-entropy on the pass without --style-noise only; 0: one noisy pass, as before")
    ap.add_argument("--teacher", default=None,
                    help="comma-separated bundle folders or checkpoints to distil from (frozen, eval mode)")
    ap.add_argument("--distill", type=float, default=0.0, help="weight of the distillation term (0-1) against the labels")
    ap.add_argument("--distill-t", type=float, default=2.0, help="distillation temperature")
    ap.add_argument("--teacher-rotations", type=int, default=1, choices=(1, 2, 3, 4),
                    help="quarter turns of the batch the teachers' probabilities are averaged over")
    ap.add_argument("--freeze-through", default=None,
                    help="'stem' or a block index: keep the stem (and the blocks up to it) as loaded, weights and "
                         "BatchNorm statistics (model.freeze_early); only the later layers and the head train")
    ap.add_argument("--widen", default=None,
                    help="W0,W1,W2,W3:STEM: widen the warm start to these channels first, computing the same function "
                         "(widen.py, Net2WiderNet); needs --init or --init-onnx")
    ap.add_argument("--narrow", default=None,
                    help="W0,W1,W2,W3:STEM: prune the warm start to these channels first (narrow.py: the channels with "
                         "the largest BatchNorm scale kept, BN statistics re-estimated); needs --init or --init-onnx")
    ap.add_argument("--twin-at", type=int, default=None,
                    help="block index: after it the feature map is also turned a quarter and the later blocks run on both, "
                         "embedding = the mean (model.CellNet.twin_at); a cheaper stand-in for two quarter turns of the image")
    ap.add_argument("--keep-epochs", action="store_true", help="also save each epoch's EMA weights (epoch<N>.pt)")
    ap.add_argument("--bn-batches", type=int, default=16, help="--init-onnx: augmented training batches for the BN statistics")
    a = ap.parse_args()
    if a.init and a.init_onnx:
        ap.error("--init and --init-onnx are two different warm starts: give one")
    if a.consistency > 0 and float(a.style_noise.split(",")[0]) <= 0:
        ap.error("--consistency compares passes with and without --style-noise: give --style-noise p,strength with p > 0")
    if (a.distill > 0) != bool(a.teacher):
        ap.error("--distill W and --teacher PATH go together")
    if a.distill > 0 and a.consistency > 0:
        ap.error("--distill and --consistency are two different losses: give one")
    if a.widen and not (a.init or a.init_onnx):
        ap.error("--widen widens a trained net: give --init or --init-onnx")
    if a.narrow and not (a.init or a.init_onnx):
        ap.error("--narrow prunes a trained net: give --init or --init-onnx")
    if a.narrow and a.widen:
        ap.error("--narrow and --widen: give one")
    # two blocks a stage (CellNet), from --widths: checked here, before any data is read; an --init-onnx bundle's widths
    # replace --widths below, and every bundle this trainer makes has four stages, as the default --widths
    n_blocks = 2 * len(a.widths.split(","))
    if a.twin_at is not None and not 0 <= a.twin_at < n_blocks - 1:
        ap.error(f"--twin-at {a.twin_at}: a block index 0-{n_blocks - 2} (the twin needs a block after it)")
    if a.freeze_through is not None and not (a.init or a.init_onnx):
        ap.error("--freeze-through keeps loaded layers as they are: give --init or --init-onnx")
    density = tuple(float(v) for v in a.density.split(","))
    teachers = [load_teacher(Path(t)) for t in a.teacher.split(",")] if a.teacher else []
    init_net = None
    if a.init_onnx:
        init_net, init_manifest = load_bundle(Path(a.init_onnx))
        init_net.input_norm = a.input_norm  # the BN statistics below are re-estimated under the new input
        arch = init_manifest["architecture"]
        a.widths, a.stem = ",".join(str(w) for w in arch["widths"]), int(arch["stem"])
        if int(init_manifest["input"]["size"]) != a.size:  # the net is fully convolutional: any size runs, and
            # the BatchNorm statistics below are re-estimated at the new one; the fine-tune then adapts to the scale
            print(f"input size {init_manifest['input']['size']} -> {a.size}: a resolution change", flush=True)

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(a.threads)
    tr_path, va_path = ensure_cache(Path(a.data), a.resize, a.size, a.margin, a.views)
    tr = np.load(tr_path)
    va = np.load(va_path)
    classes = [str(c) for c in tr["classes"]]
    x_tr, y_tr = torch.from_numpy(tr["x"]), torch.from_numpy(tr["y"])
    x_va, y_va = torch.from_numpy(va["x"]), va["y"]
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)

    def log(rec: dict) -> None:  # one line per epoch (epoch -1: the warm start) in log.jsonl and on stdout
        with open(out / "log.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")
        print(json.dumps(rec), flush=True)

    hp = vars(a) | {"classes": classes, "n_train": len(y_tr), "n_val": len(y_va), "torch": torch.__version__}
    (out / "hparams.json").write_text(json.dumps(hp, indent=2))

    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    widths = tuple(int(w) for w in a.widths.split(","))
    wide_to = parse_widen(a.widen) if a.widen else None
    narrow_to = parse_widen(a.narrow, "--narrow") if a.narrow else None
    resuming = (out / "last.pt").exists()
    if (wide_to or narrow_to) and resuming:  # last.pt holds the widened or pruned net
        widths, a.stem = wide_to or narrow_to
    model = CellNet(widths, a.stem, len(classes), a.input_norm)
    model.style_p, model.style_strength = (float(v) for v in a.style_noise.split(","))
    model.style_at = parse_places(a.style_at, len(model.stages))
    model.twin_at = a.twin_at

    def augmented_batches(seed: int):
        """--bn-batches augmented training batches (normalised) for BatchNorm statistics, from their own random
        stream, so that the training stream stays as it would be without them."""
        g = torch.Generator().manual_seed(seed)
        for _ in range(a.bn_batches):
            idx = torch.randint(0, len(y_tr), (a.batch,), generator=g)
            view = torch.randint(0, x_tr.shape[1], (len(idx),), generator=g)
            xb = augment_batch(x_tr[idx, view].permute(0, 3, 1, 2).float() / 255.0, g,
                               (a.scale_min, a.scale_max), a.shift, a.stain, a.grey, density, a.mix_jitter, a.randconv)
            yield normalise(xb, mean, std)

    if init_net is not None and not (out / "last.pt").exists():
        assert init_manifest["head"]["classes"] == classes, "bundle classes differ from the training set's"
        n_bn = reparametrise_bn(init_net, augmented_batches(a.seed + 1))
        model.load_state_dict(init_net.state_dict())
        pred = predict(model, x_va, mean, std)
        rec = {"epoch": -1, "init": a.init_onnx, "bn_images": n_bn, "val_acc": float((pred == y_va).mean()),
               "val_bal_acc": balanced_accuracy(y_va, pred, len(classes))}
        log(rec)
    if a.init and not (out / "last.pt").exists():
        ck0 = torch.load(a.init, weights_only=False)  # our own training checkpoint
        assert list(ck0["classes"]) == classes and tuple(ck0["widths"]) == widths, "--init: another architecture"
        assert ck0["resize"] == a.resize and int(ck0["size"]) == a.size, "--init: another input policy"
        # Checkpoints from before --input-norm have no key: they were trained on plain inputs. Their BN
        # statistics are for that input, so a switch needs --init-onnx (which re-estimates them).
        assert ck0.get("input_norm", "none") == a.input_norm, (
            f"--init: the checkpoint was trained with --input-norm {ck0.get('input_norm', 'none')}, not {a.input_norm}")
        model.load_state_dict(ck0["ema"])
        pred = predict(model, x_va, mean, std)
        rec = {"epoch": -1, "init": a.init, "val_acc": float((pred == y_va).mean()),
               "val_bal_acc": balanced_accuracy(y_va, pred, len(classes))}
        log(rec)
    if wide_to and not resuming:
        model = widen(model, *wide_to, seed=a.seed)
        widths, a.stem = wide_to
        pred = predict(model, x_va, mean, std)
        log({"epoch": -1, "widened": a.widen, "parameters": sum(q.numel() for q in model.parameters()),
             "val_acc": float((pred == y_va).mean()), "val_bal_acc": balanced_accuracy(y_va, pred, len(classes))})
    if narrow_to and not resuming:
        model = narrow(model, *narrow_to)
        widths, a.stem = narrow_to
        n_bn = reestimate_bn(model, augmented_batches(a.seed + 2))
        pred = predict(model, x_va, mean, std)
        log({"epoch": -1, "narrowed": a.narrow, "parameters": sum(q.numel() for q in model.parameters()),
             "macs": macs(widths, a.stem, a.size), "bn_images": n_bn,
             "val_acc": float((pred == y_va).mean()), "val_bal_acc": balanced_accuracy(y_va, pred, len(classes))})
    frozen: list[torch.nn.Module] = []
    if a.freeze_through is not None:
        places = parse_places(a.freeze_through, len(model.stages), "--freeze-through")
        if len(places) != 1:
            ap.error("--freeze-through: give one place, 'stem' or a block index (the blocks before it freeze too)")
        frozen = freeze_early(model, places[0])
    ema = copy.deepcopy(model)
    opt = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=a.lr, weight_decay=a.weight_decay)
    steps_per_epoch = len(y_tr) // a.batch
    total = steps_per_epoch * a.epochs
    warm = int(steps_per_epoch * a.warmup_epochs)

    def lr_at(step: int) -> float:
        if step < warm:
            return a.lr * (step + 1) / warm
        return 0.5 * a.lr * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    start_epoch, best = 0, {"bal_acc": -1.0, "epoch": -1}
    gen = torch.Generator().manual_seed(a.seed)
    if (out / "last.pt").exists():
        ck = torch.load(out / "last.pt", weights_only=False)  # our own file, written below
        model.load_state_dict(ck["model"]); ema.load_state_dict(ck["ema"]); opt.load_state_dict(ck["opt"])
        start_epoch, best = ck["epoch"] + 1, ck["best"]
        gen.set_state(ck["gen"]); torch.set_rng_state(ck["torch_rng"])
        print(f"resuming at epoch {start_epoch} (best so far {best})", flush=True)

    t0 = time.time()
    for epoch in range(start_epoch, a.epochs):
        model.train()
        for m in frozen:  # their BatchNorm statistics stay as loaded
            m.eval()
        perm = torch.randperm(len(y_tr), generator=gen)
        run_loss, te = 0.0, time.time()
        for s in range(steps_per_epoch):
            step = epoch * steps_per_epoch + s
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            idx = perm[s * a.batch:(s + 1) * a.batch]
            view = torch.randint(0, x_tr.shape[1], (len(idx),), generator=gen)
            xb = x_tr[idx, view]
            xb = augment_batch(xb.permute(0, 3, 1, 2).float() / 255.0, gen, (a.scale_min, a.scale_max), a.shift,
                               a.stain, a.grey, density, a.mix_jitter, a.randconv)
            xb = normalise(xb, mean, std)
            if teachers:
                pt = teacher_probs(teachers, xb, a.teacher_rotations, a.distill_t)
                loss = distillation_loss(model(xb), pt, y_tr[idx], a.distill, a.distill_t, a.label_smoothing)
            elif a.consistency > 0:
                loss = clean_noisy_consistency_loss(model, xb, y_tr[idx], a.consistency, a.label_smoothing)
            else:
                loss = F.cross_entropy(model(xb), y_tr[idx], label_smoothing=a.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                d = min(a.ema, (1 + step) / (10 + step))
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.mul_(d).add_(pm.detach(), alpha=1 - d)
                for be, bm in zip(ema.buffers(), model.buffers()):
                    be.copy_(bm)
            run_loss += loss.item()
        pred = predict(ema, x_va, mean, std)
        bal = balanced_accuracy(y_va, pred, len(classes))
        acc = float((pred == y_va).mean())
        rec = {"epoch": epoch, "loss": run_loss / steps_per_epoch, "val_acc": acc, "val_bal_acc": bal,
               "lr": lr_at(step), "epoch_s": round(time.time() - te, 1)}
        this = {"bal_acc": bal, "acc": acc, "epoch": epoch}
        # the EMA weights and what a loader needs to rebuild the model (evaluate_shifts, export_bundle, --init)
        snapshot = {"ema": ema.state_dict(), "widths": widths, "stem": a.stem, "classes": classes,
                    "size": a.size, "resize": a.resize, "margin": a.margin, "epoch": epoch, "val": this,
                    "input_norm": a.input_norm, "twin_at": a.twin_at}
        if bal > best["bal_acc"]:
            best = this
            torch.save(snapshot, out / "best.pt")
        if a.keep_epochs:
            torch.save(snapshot, out / f"epoch{epoch}.pt")
        log(rec)
        torch.save({"model": model.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "epoch": epoch,
                    "best": best, "gen": gen.get_state(), "torch_rng": torch.get_rng_state()}, out / "last.pt.tmp")
        os.replace(out / "last.pt.tmp", out / "last.pt")
    (out / "done.json").write_text(json.dumps({"best": best, "train_seconds_this_run": round(time.time() - t0)}))
    print("best", best, flush=True)


if __name__ == "__main__":
    main()
