"""Test-time augmentation probe (issue 14): each model input as is, its 4 rotations, and its 8 flips and
rotations, the softmax averaged; balanced accuracy on PBC val and LISC (8-class argmax and 5-class).
Measures whether TTA is worth its cost (4-8 encoder passes per cell); not used by the app.

    python3 probe_tta.py ../../public/models/pbc-compact-cnn-v1 ../../public/models/pbc-compact-cnn-v3
"""
import sys, time
import numpy as np
sys.path.insert(0, '.')
from evaluate_shifts import BundleModel, prepare, list_split, scores, lisc_scores, DATA, CLASSES, LISC_CLASSES
from pathlib import Path

def sm(z):
    z = z - z.max(1, keepdims=True); e = np.exp(z); return e / e.sum(1, keepdims=True)

for b in sys.argv[1:]:
    m = BundleModel(Path(b).resolve(), 'int8', 2)
    vf, vy = list_split(DATA / 'pbc/val', CLASSES)
    lf, ly = list_split(DATA / 'lisc', LISC_CLASSES)
    for name, files, y, fn in [('pbc_val', vf, vy, scores), ('lisc', lf, ly, lisc_scores)]:
        t0 = time.time()
        x, _ = prepare(files, None, m.policy, 2)
        views = [np.rot90(x, k, axes=(1, 2)) for k in range(4)]
        views += [v[:, :, ::-1] for v in views]
        probs = [sm(m.logits(np.ascontiguousarray(v))) for v in views]
        one = fn(y, np.log(probs[0] + 1e-12)); four = fn(y, np.log(np.mean(probs[:4], 0) + 1e-12)); eight = fn(y, np.log(np.mean(probs, 0) + 1e-12))
        k = 'bal' if name == 'pbc_val' else 'bal8'
        print(f"{b.split('/')[-1]} {name}: none {100*one[k]:.1f}  rot4 {100*four[k]:.1f}  dihedral8 {100*eight[k]:.1f}"
              + (f"  (5-class: {100*one['bal5']:.1f} / {100*four['bal5']:.1f} / {100*eight['bal5']:.1f})" if name == 'lisc' else '')
              + f"  [{time.time()-t0:.0f} s]", flush=True)
