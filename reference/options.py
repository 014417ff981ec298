#!/usr/bin/env python3
"""Reference cases for the peer libraries' options (docs/options.md), computed by the
libraries themselves: writes tests/fixtures/options_reference.json.

    pip install torch monai==1.6.1 segmentation-models-pytorch==0.6.0 keras
    pip install --no-deps kornia==0.9.0
    KERAS_BACKEND=torch python3 reference/options.py

Every case is a `dice eval` input document (the README's fields, a preset where one fits)
and the loss and ∂loss/∂pred the library's own loss class returns for the same data, in
float64 with torch autograd. `cargo test --test options_reference` runs the release CLI on
each document and requires both to agree within 1e-12 (absolute, relative to max(1, |v|)).
A library that cannot be imported is skipped with a note (its cases are then absent); CI
only reads the committed JSON. The run is deterministic (fixed seed, one torch thread).

Layouts: the CLI reads [B, C, H, W]; kornia and the class-index modes of smp take labels as
[B, H, W] class numbers (given to the CLI as `y` with `classes`, or one-hot); Keras is
channels-last, so its tensors are permuted views of the same leaf tensor (the gradient
comes back in [B, C, H, W]).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "options_reference.json"
rng = np.random.Generator(np.random.PCG64(20260301))

LIBS: dict[str, str] = {}
NOTES: list[str] = []
try:
    import monai
    from monai.losses import DiceLoss, MaskedDiceLoss, TverskyLoss
    from monai.losses.spatial_mask import MaskedLoss

    LIBS["monai"] = monai.__version__
except Exception as e:  # pragma: no cover - depends on the machine
    NOTES.append(f"monai unavailable: {e}")
try:
    import segmentation_models_pytorch as smp

    LIBS["smp"] = smp.__version__
except Exception as e:  # pragma: no cover
    NOTES.append(f"segmentation_models_pytorch unavailable: {e}")
try:
    import kornia

    LIBS["kornia"] = kornia.__version__
except Exception as e:  # pragma: no cover
    NOTES.append(f"kornia unavailable: {e}")
try:
    import keras

    if keras.backend.backend() != "torch":
        raise RuntimeError("KERAS_BACKEND must be torch")
    keras.config.set_floatx("float64")
    LIBS["keras"] = keras.__version__
except Exception as e:  # pragma: no cover
    NOTES.append(f"keras unavailable: {e}")

CASES: list[dict] = []


def flat(a) -> list:
    return [float(v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def logits(shape):
    return np.round(rng.normal(0.0, 2.0, size=shape), 3)


def probs(shape):
    return np.round(rng.uniform(0.02, 0.98, size=shape), 4)


def class_map(b, c, h, w, absent=None):
    """Class numbers [B, H, W]; `absent` (image, class) pairs are kept out of that image."""
    k = rng.integers(0, c, size=(b, h, w))
    for bi, ci in absent or []:
        k[bi][k[bi] == ci] = 0
    return k


def one_hot(k, c):
    return np.moveaxis(np.eye(c)[k], -1, 1)


def soft_labels(shape):
    y = np.round(rng.uniform(0.0, 1.0, size=shape), 2)
    y[rng.random(shape) < 0.25] = 0.0
    y[rng.random(shape) < 0.2] = 1.0
    return y


def add(lib, name, call, doc, fn, pred):
    """Runs `fn(pred_tensor)` (the library's loss) and stores the case."""
    if lib not in LIBS:
        return
    p = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    loss = fn(p)
    loss.backward()
    value = float(loss.detach())
    grad = p.grad.detach().numpy()
    assert np.isfinite(value) and np.isfinite(grad).all(), name
    doc = dict(doc)
    doc.setdefault("shape", list(np.shape(pred)))
    doc["pred"] = flat(pred)
    CASES.append(
        {
            "name": name,
            "library": f"{lib} {LIBS[lib]}",
            "call": call,
            "input": doc,
            "expected": {"loss": value, "grad": flat(grad)},
        }
    )


def t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


# --------------------------------------------------------------------------- MONAI


def monai_cases():
    b, c, h, w = 2, 3, 4, 5
    k = class_map(b, c, h, w, absent=[(1, 2)])
    y = one_hot(k, c)
    z = logits((b, c, h, w))
    for incl, weights, doc_w in ((True, [0.5, 2.0, 1.0], [0.5, 2.0, 1.0]), (False, [2.0, 0.7], [9.0, 2.0, 0.7])):
        add("monai", f"monai/weight/I/bg{int(incl)}",
            f"DiceLoss(softmax=True, include_background={incl}, weight={weights})",
            {"preset": "monai", "activation": "softmax", "include_background": incl,
             "class_weights": doc_w, "class_weighting": "term", "y": flat(y)},
            lambda p, incl=incl, weights=weights: DiceLoss(softmax=True, include_background=incl, weight=weights)(p, t(y)), z)
    add("monai", "monai/weight/BI/sigmoid",
        "DiceLoss(sigmoid=True, batch=True, weight=[3.0, 0.25, 1.5], smooth_nr=0.0, smooth_dr=1e-3)",
        {"preset": "monai_batch", "activation": "sigmoid", "eps_nr": 0.0, "eps_dr": 1e-3,
         "class_weights": [3.0, 0.25, 1.5], "y": flat(y)},
        lambda p: DiceLoss(sigmoid=True, batch=True, weight=[3.0, 0.25, 1.5], smooth_nr=0.0, smooth_dr=1e-3)(p, t(y)), z)

    ys = soft_labels((b, c, h, w))
    ps = probs((b, c, h, w))
    add("monai", "monai/soft_label/I", "DiceLoss(soft_label=True)",
        {"preset": "monai", "activation": "none", "soft_label": True, "y": flat(ys)},
        lambda p: DiceLoss(soft_label=True)(p, t(ys)), ps)
    add("monai", "monai/soft_label/jaccard_batch", "DiceLoss(soft_label=True, jaccard=True, batch=True, smooth_nr=0.5, smooth_dr=0.5)",
        {"preset": "monai_batch", "activation": "none", "soft_label": True, "jaccard": True,
         "eps_nr": 0.5, "eps_dr": 0.5, "y": flat(ys)},
        lambda p: DiceLoss(soft_label=True, jaccard=True, batch=True, smooth_nr=0.5, smooth_dr=0.5)(p, t(ys)), ps)
    zs = logits((b, c, h, w))
    add("monai", "monai/soft_label/sigmoid_weight", "DiceLoss(sigmoid=True, soft_label=True, weight=[1.0, 4.0, 0.5])",
        {"preset": "monai", "activation": "sigmoid", "soft_label": True, "class_weights": [1.0, 4.0, 0.5],
         "y": flat(ys)},
        lambda p: DiceLoss(sigmoid=True, soft_label=True, weight=[1.0, 4.0, 0.5])(p, t(ys)), zs)

    # Masks: B1HW and 11HW, hard and soft; after the activation (MONAI 1.6's
    # MaskedDiceLoss) and before it (MaskedLoss around DiceLoss(softmax=True): MONAI ≤ 1.5's
    # MaskedDiceLoss masked the logits).
    m = (rng.random((b, 1, h, w)) < 0.7).astype(float)
    add("monai", "monai/masked/B1HW/softmax", "MaskedDiceLoss(softmax=True)(pred, y, mask[B,1,H,W])",
        {"preset": "monai", "activation": "softmax", "mask": flat(m), "y": flat(y)},
        lambda p: MaskedDiceLoss(softmax=True)(p, t(y), mask=t(m)), z)
    m1 = np.round(rng.uniform(0.0, 1.0, size=(1, 1, h, w)), 2)
    m1[0, 0, 0, :2] = 0.0
    add("monai", "monai/masked/11HW_soft/sigmoid_batch", "MaskedDiceLoss(sigmoid=True, batch=True)(pred, y, mask[1,1,H,W] in [0, 1])",
        {"preset": "monai_batch", "activation": "sigmoid", "mask": flat(m1), "y": flat(y)},
        lambda p: MaskedDiceLoss(sigmoid=True, batch=True)(p, t(y), mask=t(m1)), z)
    add("monai", "monai/masked/before_activation", "MaskedLoss(DiceLoss(softmax=True))(pred, y, mask[B,1,H,W]) (the logits masked)",
        {"preset": "monai", "activation": "softmax", "mask": flat(m), "mask_before_activation": True, "y": flat(y)},
        lambda p: MaskedLoss(DiceLoss(softmax=True))(p, t(y), mask=t(m)), z)

    add("monai", "monai/tversky/softmax", "TverskyLoss(softmax=True, alpha=0.3, beta=0.7)",
        {"preset": "monai_tversky", "activation": "softmax", "tversky_alpha": 0.3, "tversky_beta": 0.7, "y": flat(y)},
        lambda p: TverskyLoss(softmax=True, alpha=0.3, beta=0.7)(p, t(y)), z)
    add("monai", "monai/tversky/batch_sigmoid_smooth",
        "TverskyLoss(sigmoid=True, batch=True, alpha=0.8, beta=0.2, smooth_nr=0.1, smooth_dr=0.2, include_background=False)",
        {"preset": "monai_tversky", "phi": "BI", "activation": "sigmoid", "tversky_alpha": 0.8, "tversky_beta": 0.2,
         "eps_nr": 0.2, "eps_dr": 0.4, "include_background": False, "y": flat(y)},
        lambda p: TverskyLoss(sigmoid=True, batch=True, alpha=0.8, beta=0.2, smooth_nr=0.1, smooth_dr=0.2,
                              include_background=False)(p, t(y)), z)
    add("monai", "monai/tversky/soft_label", "TverskyLoss(alpha=0.6, beta=0.4, soft_label=True)",
        {"preset": "monai_tversky", "tversky_alpha": 0.6, "tversky_beta": 0.4, "soft_label": True, "y": flat(ys)},
        lambda p: TverskyLoss(alpha=0.6, beta=0.4, soft_label=True)(p, t(ys)), ps)


# --------------------------------------------------------------------------- smp


def smp_cases():
    L = smp.losses if "smp" in LIBS else None
    b, c, h, w = 2, 3, 4, 5
    k = class_map(b, c, h, w, absent=[(0, 2), (1, 2)])  # class 2 absent from the batch
    k2 = class_map(b, c, h, w)
    z = logits((b, c, h, w))
    idx = torch.tensor(k2, dtype=torch.long)
    # smp stores class_weights as float32: the weights here are exact in float32.
    add("smp", "smp/class_weights", 'DiceLoss("multiclass", class_weights=[0.25, 1.0, 3.0])',
        {"preset": "smp", "class_weights": [0.25, 1.0, 3.0], "class_weighting": "mean", "classes": c, "y": flat(k2)},
        lambda p: L.DiceLoss("multiclass", class_weights=[0.25, 1.0, 3.0])(p, idx), z)
    add("smp", "smp/class_weights/absent_class", 'DiceLoss("multiclass", class_weights=[1.0, 2.0, 5.0])',
        {"preset": "smp", "class_weights": [1.0, 2.0, 5.0], "class_weighting": "mean", "classes": c, "y": flat(k)},
        lambda p: L.DiceLoss("multiclass", class_weights=[1.0, 2.0, 5.0])(p, torch.tensor(k, dtype=torch.long)), z)
    add("smp", "smp/classes", 'DiceLoss("multiclass", classes=[1, 2])',
        {"preset": "smp", "class_subset": [1, 2], "classes": c, "y": flat(k2)},
        lambda p: L.DiceLoss("multiclass", classes=[1, 2])(p, idx), z)
    add("smp", "smp/log_loss", 'DiceLoss("multiclass", log_loss=True)',
        {"preset": "smp", "log_loss": True, "classes": c, "y": flat(k2)},
        lambda p: L.DiceLoss("multiclass", log_loss=True)(p, idx), z)
    add("smp", "smp/smooth", 'DiceLoss("multiclass", smooth=0.5)',
        {"preset": "smp", "eps_nr": 1.0, "eps_dr": 1.0, "classes": c, "y": flat(k2)},
        lambda p: L.DiceLoss("multiclass", smooth=0.5)(p, idx), z)
    ki = k2.copy()
    ki[rng.random(ki.shape) < 0.25] = 255
    add("smp", "smp/ignore_index/multiclass", 'DiceLoss("multiclass", ignore_index=255, class_weights=[1.0, 0.5, 2.0])',
        {"preset": "smp", "classes": c, "ignore_index": 255, "class_weights": [1.0, 0.5, 2.0],
         "class_weighting": "mean", "y": flat(ki)},
        lambda p: L.DiceLoss("multiclass", ignore_index=255, class_weights=[1.0, 0.5, 2.0])(p, torch.tensor(ki, dtype=torch.long)), z)
    ys = soft_labels((b, c, h, w))
    add("smp", "smp/multilabel/soft_labels", 'DiceLoss("multilabel", from_logits=True)',
        {"preset": "smp", "activation": "sigmoid", "y": flat(ys)},
        lambda p: L.DiceLoss("multilabel")(p, t(ys)), z)
    yi = (rng.random((b, c, h, w)) < 0.4).astype(float)
    yi[rng.random(yi.shape) < 0.2] = -1.0
    add("smp", "smp/multilabel/ignore_index", 'DiceLoss("multilabel", ignore_index=-1, log_loss=True)',
        {"preset": "smp", "activation": "sigmoid", "ignore_index": -1, "log_loss": True, "y": flat(yi)},
        lambda p: L.DiceLoss("multilabel", ignore_index=-1, log_loss=True)(p, t(yi)), z)
    add("smp", "smp/tversky/gamma", 'TverskyLoss("multiclass", alpha=0.3, beta=0.7, gamma=2.0)',
        {"preset": "smp_tversky", "tversky_alpha": 0.3, "tversky_beta": 0.7, "focal_gamma": 2.0,
         "classes": c, "y": flat(k2)},
        lambda p: L.TverskyLoss("multiclass", alpha=0.3, beta=0.7, gamma=2.0)(p, idx), z)
    add("smp", "smp/tversky/weights_log_gamma", 'TverskyLoss("multilabel", alpha=0.6, beta=0.4, gamma=0.75, log_loss=True, class_weights=[2.0, 1.0, 0.5], smooth=0.1)',
        {"preset": "smp_tversky", "activation": "sigmoid", "tversky_alpha": 0.6, "tversky_beta": 0.4,
         "focal_gamma": 0.75, "log_loss": True, "class_weights": [2.0, 1.0, 0.5], "class_weighting": "mean",
         "eps_nr": 0.2, "eps_dr": 0.2, "y": flat(ys)},
        lambda p: L.TverskyLoss("multilabel", alpha=0.6, beta=0.4, gamma=0.75, log_loss=True,
                                class_weights=[2.0, 1.0, 0.5], smooth=0.1)(p, t(ys)), z)


# --------------------------------------------------------------------------- kornia


def kornia_cases():
    from kornia.losses import DiceLoss as KDice

    b, c, h, w = 3, 3, 4, 4
    k = class_map(b, c, h, w, absent=[(0, 1), (2, 2)])
    z = logits((b, c, h, w))
    idx = torch.tensor(k, dtype=torch.long)
    wt = [0.5, 2.0, 1.25]
    add("kornia", "kornia/micro", "DiceLoss()",
        {"preset": "kornia", "classes": c, "y": flat(k)},
        lambda p: KDice()(p, idx), z)
    add("kornia", "kornia/micro/weight", f"DiceLoss(weight=tensor({wt}))",
        {"preset": "kornia", "class_weights": wt, "classes": c, "y": flat(k)},
        lambda p: KDice(weight=t(wt))(p, idx), z)
    ki = k.copy()
    ki[rng.random(ki.shape) < 0.3] = -100
    ki[1] = -100  # an image ignored but for one pixel
    ki[1, 0, 0] = 1
    add("kornia", "kornia/micro/ignore_index", f"DiceLoss(weight=tensor({wt})) with ignore_index=-100 pixels",
        {"preset": "kornia", "class_weights": wt, "classes": c, "ignore_index": -100, "y": flat(ki)},
        lambda p: KDice(weight=t(wt))(p, torch.tensor(ki, dtype=torch.long)), z)
    add("kornia", "kornia/macro", 'DiceLoss(average="macro")',
        {"preset": "kornia_macro", "classes": c, "y": flat(k)},
        lambda p: KDice(average="macro")(p, idx), z)
    add("kornia", "kornia/macro/weight_ignore", f'DiceLoss(average="macro", weight=tensor({wt}), ignore_index=7)',
        {"preset": "kornia_macro", "class_weights": wt, "classes": c, "ignore_index": 7,
         "y": flat(np.where(ki == -100, 7, ki))},
        lambda p: KDice(average="macro", weight=t(wt), ignore_index=7)(p, torch.tensor(np.where(ki == -100, 7, ki), dtype=torch.long)), z)
    # An image whose only labelled pixels are ignored: macro counts it as a loss of 1.
    kn = k.copy()
    kn[2] = 99
    add("kornia", "kornia/macro/image_all_ignored", 'DiceLoss(average="macro", eps=1e-6, ignore_index=99)',
        {"preset": "kornia_macro", "eps_dr": 1e-6, "classes": c, "ignore_index": 99, "y": flat(kn)},
        lambda p: KDice(average="macro", eps=1e-6, ignore_index=99)(p, torch.tensor(kn, dtype=torch.long)), z)


# --------------------------------------------------------------------------- Keras


def keras_cases():
    b, c, h, w = 2, 2, 3, 4
    y = (rng.random((b, c, h, w)) < 0.45).astype(float)
    ys = soft_labels((b, c, h, w))
    p = probs((b, c, h, w))

    def last(a):  # [B, C, H, W] → channels-last
        return a.permute(0, 2, 3, 1)

    for lab, yy in (("hard", y), ("soft", ys)):
        add("keras", f"keras/tversky/{lab}", "keras.losses.Tversky(alpha=0.3, beta=0.7)",
            {"preset": "keras_tversky", "tversky_alpha": 0.7, "tversky_beta": 0.3, "y": flat(yy)},
            lambda q, yy=yy: keras.losses.Tversky(alpha=0.3, beta=0.7, dtype="float64")(last(t(yy)), last(q)), p)
    add("keras", "keras/tversky/default", "keras.losses.Tversky()",
        {"preset": "keras_tversky", "y": flat(y)},
        lambda q: keras.losses.Tversky(dtype="float64")(last(t(y)), last(q)), p)
    sw = [0.5, 2.0]

    def weighted(per_image, weights):
        # Keras' "sum_over_batch_size" with sample_weight: Σ w·loss / B (keras/src/losses/
        # loss.py, reduce_weighted_values). Its torch backend returns that reduction in
        # float32 whatever the dtype, so the per-image losses come from Keras in float64
        # (reduction="none") and the documented reduction is applied here in float64.
        return (per_image * t(weights)).sum() / per_image.shape[0]

    add("keras", "keras/dice/sample_weight", f"keras.losses.Dice(axis=(1, 2, 3))(y, pred, sample_weight={sw}) (per-image losses from Keras, its reduction in float64)",
        {"preset": "keras", "phi": "CI", "sample_weights": sw, "y": flat(y)},
        lambda q: weighted(keras.losses.Dice(axis=(1, 2, 3), dtype="float64", reduction="none")(last(t(y)), last(q)), sw), p)
    add("keras", "keras/tversky/sample_weight", f"keras.losses.Tversky(alpha=0.2, beta=0.8, axis=(1, 2, 3))(y, pred, sample_weight={sw}) (per-image losses from Keras, its reduction in float64)",
        {"preset": "keras_tversky", "phi": "CI", "tversky_alpha": 0.8, "tversky_beta": 0.2, "sample_weights": sw, "y": flat(ys)},
        lambda q: weighted(keras.losses.Tversky(alpha=0.2, beta=0.8, axis=(1, 2, 3), dtype="float64", reduction="none")(last(t(ys)), last(q)), sw), p)


def main():
    if "monai" in LIBS:
        monai_cases()
    if "smp" in LIBS:
        smp_cases()
    if "kornia" in LIBS:
        kornia_cases()
    if "keras" in LIBS:
        keras_cases()
    doc = {"libraries": LIBS, "notes": NOTES, "cases": CASES}
    OUT.write_text(json.dumps(doc, allow_nan=False, separators=(",", ":")) + "\n")
    counts: dict[str, int] = {}
    for case in CASES:
        counts[case["library"]] = counts.get(case["library"], 0) + 1
    print(f"wrote {len(CASES)} cases to {OUT.relative_to(ROOT)}: {counts}")
    for n in NOTES:
        print("note:", n)


if __name__ == "__main__":
    sys.exit(main())
