#!/usr/bin/env python3
"""Independent reference values for the Dice engine: writes tests/fixtures/reference.json.

How to run (from anywhere; the output path is fixed relative to this file):

    pip install torch monai==1.6.1 segmentation-models-pytorch keras
    pip install --no-deps nnunetv2      # only its loss module is imported
    python3 reference/generate.py

The run is deterministic: a fixed seed (numpy PCG64), single-threaded torch, float64
everywhere, and the JSON is written with a fixed key order. Running it twice gives the
same file byte for byte. `cargo test --test reference` then checks the Rust engine
(`dice_playground::cli::eval_str`) against every case.

What is computed, for every case:

* "formula": the loss of docs/science.md §2 written out directly in PyTorch and differentiated by
  autograd (float64): activation (sigmoid / softmax over ALL classes) first, then class 0
  dropped when include_background is false; per-cell sums V = Σy^p, Ṽ = Σỹ^p, X = Σ y·ỹ
  (p = 2 with "squared"); cells summed per reduction set φ of Φ (I: one (b, c); CI: one b;
  BI: one c; BCI: all; sets ordered b-major for I); denominator V + Ṽ, or 2(V + Ṽ − X)
  for Jaccard, plus ε_dr, then torch.clamp_min(·, denominator_floor) when a floor is set;
  sDSC = (2X + ε_nr)/denominator; term = 1 − sDSC, times (Σy > 0) when zero_empty_sets;
  loss = mean of the terms over all sets. ∂loss/∂pred is pred.grad and ∂loss/∂prob is
  the probabilities' .grad (retain_grad). A set whose denominator is exactly 0 is
  undefined (0/0 or ε_nr/0): its sDSC, term and every gradient entry of its cells are
  null, with softmax every class of that image is null in ∂loss/∂pred, and the loss is
  null. The script asserts that autograd produced non-finite values exactly there.
  grad_fg / grad_bg of a set: the (shared) ∂loss/∂ỹ of its pixels with y == 1 / y == 0,
  null if there is no such pixel, if the set is undefined, or with the squared
  denominator (the value then depends on the pixel). The script asserts the value is
  the same for all those pixels.

* Real libraries, wherever they compute the same thing (each case lists in
  "checked_against" the calls that were run and agreed to abs 1e-12 + rel 1e-9, unless
  a looser tolerance is written next to the call):
  - MONAI `monai.losses.DiceLoss(include_background, sigmoid, softmax, squared_pred,
    jaccard, smooth_nr, smooth_dr, batch)`: Φ ∈ {I, BI}, and no floor nor
    zero_empty_sets that changes anything for the case's data. Loss and ∂/∂pred.
  - segmentation_models_pytorch `DiceLoss(mode, from_logits, smooth, eps, classes)`
    (src: segmentation_models_pytorch/losses/dice.py and _functional.py). smp 0.6.0
    computes the Dice as soft_tversky_score with α = β = 1/2:
    (X + smooth) / ((V + Ṽ)/2 + smooth).clamp_min(eps), i.e. ε_nr = ε_dr = 2·smooth and
    a floor of 2·eps on the scale of V + Ṽ + ε (older smp: (2X + smooth) /
    (V + Ṽ + smooth).clamp_min(eps)). With smooth = 0 and hard labels the floor can only
    touch sets with V = 0, which zero_empty_sets zeroes anyway, so the preset's 1e-7 and
    smp's default eps give the same loss and gradient. Checked when Φ = BI, zero_empty_sets,
    y hard 0/1 (smp's L1-norm formulation Σ|ỹ − y| equals the Dice only for hard
    labels) and no ỹ exactly equal to y (|·| has subgradient 0 there). softmax →
    mode="multiclass", from_logits=True with the one-hot y turned into class indices
    (y must be one-hot); sigmoid / none → mode="multilabel", from_logits=True / False.
    include_background=False → classes=[1, …, C−1].
  - Keras 3 `keras.losses.Dice()` (axis=None; KERAS_BACKEND=torch, floatx float64,
    keras.config.set_epsilon(ε_dr), gradient by torch autograd through keras.ops):
    Φ = BCI, ε_nr = 0, no squared / Jaccard / active floor / zeroed set. When the case has
    an activation or drops class 0, that is done in torch before calling Keras.
  - nnU-Net v2 `MemoryEfficientSoftDiceLoss(apply_nonlin, batch_dice, do_bg, smooth,
    ddp=False)` (nnunetv2/training/loss/dice.py), which returns −mean(sDSC): loss + 1 and
    the gradient are compared. Φ ∈ {I, BI}, ε_nr = ε_dr = smooth, its hard-coded
    clamp_min(1e-8) floors exactly the sets the case's floor floors (at 1e-8), no squared /
    Jaccard / zeroed set. nnU-Net 2.8.1 sums in float32 (`sum(..., dtype=torch.float32)`,
    `y.to(torch.float32)`), so the class as shipped is compared with a float32 tolerance
    (|Δ| ≤ 1e-4·max(1, max|expected|)); the same source with float32 replaced by float64
    is compared at the strict tolerance. apply_nonlin is nnU-Net's
    softmax_helper_dim1 / torch.sigmoid / None.

* The leaf and marginal Dice ("variant" with "missing": [[b, c], …]), which no library
  computes: the formula above on the transformed inputs of `variant_inputs` (missing
  cells' labels and probabilities × 0; with marginal, first the missing classes'
  probabilities added to their image's background), a set made only of missing cells
  scoring a constant 0 (torch.zeros: no gradient, counts in the mean; smp's zeroing still
  multiplies its term). Cross-checked, on the authors' settings (Φ = I, the missing cells
  exactly the all-zero label channels, as their code infers them), against PyTorch
  transcriptions of their TensorFlow losses in github.com/JeroenBertels/dicegrad
  (ACDC/Training/functions/metrics_missing_labels.py: leaf_dice_metric,
  marginal_dice_metric with pymirc's generalized_dice_coeff; losses_missing_labels.py):
  see authors_leaf_loss / authors_marginal_loss. These cases are generated after all the
  others, so adding them changed none of the earlier cases.

  If one of these packages cannot be imported, its checks are skipped (the run prints a
  note, and checked_against lists only what was run; the formula is still the reference). The presets of src/presets.rs are written out
  below independently from docs/science.md §5 and the library sources named above, which they
  follow: MONAI DiceLoss defaults (smooth_nr = smooth_dr = 1e-5), nnU-Net
  MemoryEfficientSoftDiceLoss (smooth = 1e-5, do_bg=False, clamp_min(1e-8),
  softmax_helper_dim1), smp ≥ 0.4 DiceLoss (smooth = 0, eps = 1e-7 via clamp_min on (V + Ṽ)/2, X = Σ min(y, ỹ), loss *=
  (y_true.sum(dims) > 0)), keras dice (2·Σ y·ỹ / (Σy + Σỹ + backend.epsilon())).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "reference.json"
SEED = 20220721  # MICCAI 2022

ABS_TOL = 1e-12
REL_TOL = 1e-9

DEFAULTS = {
    "phi": "I",
    "eps_nr": 1e-5,
    "eps_dr": 1e-5,
    "squared": False,
    "jaccard": False,
    "include_background": True,
    "activation": "none",
    "denominator_floor": 0.0,
    "zero_empty_sets": False,
    "variant": "dice",
    "ce_weight": 0.0,
    "dice_weight": 1.0,
    # X = Σ min(y, ỹ) (MONAI soft_label, smp ≥ 0.4); torch.minimum splits the gradient
    # in half at a tie, as the engine does.
    "soft_label": False,
}

PRESETS = {
    "monai": {},
    "monai_batch": {"phi": "BI"},
    "nnunet": {"include_background": False, "activation": "softmax", "denominator_floor": 1e-8},
    "nnunet_batch": {
        "phi": "BI",
        "include_background": False,
        "activation": "softmax",
        "denominator_floor": 1e-8,
    },
    "smp": {
        "phi": "BI",
        "eps_nr": 0.0,
        "eps_dr": 0.0,
        "activation": "softmax",
        # smp ≥ 0.4 (0.6.0 here): clamp_min(eps = 1e-7) on (V + Ṽ)/2, i.e. 2e-7 on V + Ṽ,
        # and the soft-label overlap Σ min(y, ỹ).
        "denominator_floor": 2e-7,
        "zero_empty_sets": True,
        "soft_label": True,
    },
    "keras": {"phi": "BCI", "eps_nr": 0.0, "eps_dr": 1e-7},
}

# Kept apart from PRESETS so that preset_cases (which loops over PRESETS) draws the same
# random numbers as before these existed.
CE_PRESETS = {
    # Dice + cross-entropy (MONAI DiceCELoss(softmax=True); nnU-Net v2 DC_and_CE_loss with
    # batch_dice False / True). "ce_form" "monai": MONAI picks the softmax CE whenever
    # there is more than one channel, whatever the activation of its Dice.
    "monai_dice_ce": {"activation": "softmax", "ce_weight": 1.0, "dice_weight": 1.0, "ce_form": "monai"},
    "nnunet_dice_ce": {
        "include_background": False, "activation": "softmax", "denominator_floor": 1e-8,
        "ce_weight": 1.0, "dice_weight": 1.0,
    },
    "nnunet_dice_ce_batch": {
        "phi": "BI", "include_background": False, "activation": "softmax", "denominator_floor": 1e-8,
        "ce_weight": 1.0, "dice_weight": 1.0,
    },
}

PHIS = ["I", "CI", "BI", "BCI"]
ACTS = ["none", "sigmoid", "softmax"]
EPS_VALUES = [0.0, 1e-7, 1e-5, 1.0, 100.0, 1e4]
UNEQUAL_EPS = [(1e-5, 0.0), (0.0, 1e-5), (1.0, 1e-7), (1e-7, 1.0), (100.0, 1.0), (1e4, 1e-5), (1e-5, 1e4)]

# --------------------------------------------------------------------------- libraries

LIBS: dict[str, object] = {}
LIB_NOTES: list[str] = []

try:
    import monai
    from monai.losses import DiceLoss as MonaiDiceLoss

    LIBS["monai"] = monai.__version__
except Exception as e:  # pragma: no cover - depends on the machine
    LIB_NOTES.append(f"monai unavailable: {e}")

try:
    import segmentation_models_pytorch as smp
    from segmentation_models_pytorch.losses import DiceLoss as SmpDiceLoss

    LIBS["smp"] = smp.__version__
except Exception as e:  # pragma: no cover
    LIB_NOTES.append(f"segmentation_models_pytorch unavailable: {e}")

try:
    import keras

    if keras.backend.backend() != "torch":
        raise RuntimeError(f"keras backend is {keras.backend.backend()}, need torch")
    keras.config.set_floatx("float64")
    LIBS["keras"] = keras.__version__
except Exception as e:  # pragma: no cover
    LIB_NOTES.append(f"keras unavailable: {e}")

try:
    import inspect

    import nnunetv2.training.loss.dice as nnunet_dice
    from nnunetv2.utilities.helpers import softmax_helper_dim1

    try:
        from importlib.metadata import version as _pkg_version

        LIBS["nnunet"] = _pkg_version("nnunetv2")
    except Exception:
        LIBS["nnunet"] = "?"
    # The same class with its float32 sums turned into float64 sums.
    _src = inspect.getsource(nnunet_dice.MemoryEfficientSoftDiceLoss).replace("torch.float32", "torch.float64")
    _ns = dict(vars(nnunet_dice))
    exec(compile(_src, "<nnunet MemoryEfficientSoftDiceLoss, float64>", "exec"), _ns)
    NnunetDice64 = _ns["MemoryEfficientSoftDiceLoss"]
except Exception as e:  # pragma: no cover
    LIB_NOTES.append(f"nnunetv2 unavailable: {e}")


# --------------------------------------------------------------------------- helpers


def settings_of(inp: dict) -> dict:
    s = dict(DEFAULTS)
    s["ce_form"] = "activation"
    if "preset" in inp:
        s.update({**PRESETS, **CE_PRESETS}[inp["preset"]])
    for k in DEFAULTS:
        if k in inp:
            s[k] = inp[k]
    return s


def set_cells(phi: str, b: int, classes: list[int]) -> list[list[tuple[int, int]]]:
    """The reduction sets as lists of (b, c), ordered as docs/science.md §1 / MONAI's [B, C]."""
    if phi == "I":
        return [[(bi, c)] for bi in range(b) for c in classes]
    if phi == "CI":
        return [[(bi, c) for c in classes] for bi in range(b)]
    if phi == "BI":
        return [[(bi, c) for bi in range(b)] for c in classes]
    if phi == "BCI":
        return [[(bi, c) for bi in range(b) for c in classes]]
    raise ValueError(phi)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= ABS_TOL + REL_TOL * abs(b)


def num(v) -> float | None:
    """A finite float, or None."""
    v = float(v)
    return v if math.isfinite(v) else None


def tensors(inp: dict):
    shape = inp["shape"]
    y = torch.tensor(inp["y"], dtype=torch.float64).reshape(shape)
    pred = torch.tensor(inp["pred"], dtype=torch.float64).reshape(shape)
    return y, pred


def activate(pred: torch.Tensor, act: str) -> torch.Tensor:
    if act == "sigmoid":
        return torch.sigmoid(pred)
    if act == "softmax":
        return torch.softmax(pred, dim=1)
    return pred * 1.0


class Mismatch(Exception):
    pass


# --------------------------------------------------------------------------- the formula


def formula(inp: dict) -> tuple[dict, dict]:
    """Expected output (JSON-ready) and auxiliary facts used to pick library checks."""
    s = settings_of(inp)
    B, C, H, W = inp["shape"]
    y_in, pred = tensors(inp)
    pred.requires_grad_(True)
    prob = activate(pred, s["activation"])
    prob.retain_grad()
    first = 0 if s["include_background"] else 1
    classes = list(range(first, C))
    power = 2 if s["squared"] else 1
    # The leaf / marginal Dice: the Dice below runs on transformed y, ỹ (see variant_inputs).
    missing = missing_mask(inp)
    y, p_used = variant_inputs(s["variant"], missing, y_in, prob)
    if p_used is not prob:
        p_used.retain_grad()
    v_cell = (y**power).sum(dim=(2, 3))
    p_cell = (p_used**power).sum(dim=(2, 3))
    if s["soft_label"] and not s["squared"]:
        x_cell = torch.minimum(y, p_used).sum(dim=(2, 3))
    else:
        x_cell = (y * p_used).sum(dim=(2, 3))
    fg_cell = y.sum(dim=(2, 3))
    cells_of_sets = set_cells(s["phi"], B, classes)
    # A set made only of missing cells scores the constant 0 (no gradient, counts in |Φ|).
    constant = [s["variant"] != "dice" and all(missing[b, c] for b, c in cs) for cs in cells_of_sets]

    def total(t, cells):
        return torch.stack([t[b, c] for b, c in cells]).sum()

    v = torch.stack([total(v_cell, cs) for cs in cells_of_sets])
    vp = torch.stack([total(p_cell, cs) for cs in cells_of_sets])
    x = torch.stack([total(x_cell, cs) for cs in cells_of_sets])
    fg = torch.stack([total(fg_cell, cs) for cs in cells_of_sets])
    den = 2.0 * (v + vp - x) if s["jaccard"] else v + vp
    den_raw = den + eps_of_sets(s["eps_dr"], cells_of_sets)
    floor = s["denominator_floor"]
    floored = [float(d) < floor for d in den_raw.detach()]
    d = torch.clamp_min(den_raw, floor) if floor > 0 else den_raw
    n = 2.0 * x + eps_of_sets(s["eps_nr"], cells_of_sets)
    sdsc = torch.stack([torch.zeros(()) if k else n[i] / d[i] for i, k in enumerate(constant)])
    term = 1.0 - sdsc
    zeroed = [False] * len(cells_of_sets)
    if s["zero_empty_sets"]:
        mask = (fg > 0).to(torch.float64)
        zeroed = [not bool(m) for m in mask]
        term = term * mask
    loss = term.mean()
    if loss.requires_grad:  # not when every set is a constant one (leaf / marginal)
        loss.backward()

    def grad_of(t):
        return t.grad if t.grad is not None else torch.zeros_like(t)

    undefined = [float(dd) == 0.0 and not k for dd, k in zip(d.detach(), constant)]
    # The engine calls a set "overflow" when its values leave f64; none of our cases may.
    for i, sd in enumerate(sdsc.detach()):
        if not undefined[i] and not constant[i]:
            r = float(sd) / float(d.detach()[i])
            assert math.isfinite(float(sd)) and abs(r) < 1e250, (inp, i)

    cell_undef = np.zeros((B, C), dtype=bool)
    for i, cs in enumerate(cells_of_sets):
        if undefined[i]:
            for b, c in cs:
                cell_undef[b, c] = True
    if s["variant"] == "marginal":
        # A missing class reaches the loss through its image's background.
        for b in range(B):
            for c in range(1, C):
                if missing[b, c] and cell_undef[b, 0]:
                    cell_undef[b, c] = True
    grad_undef = cell_undef.copy()
    if s["activation"] == "softmax":
        grad_undef[cell_undef.any(axis=1), :] = True

    g_prob = grad_of(prob).detach()
    g = grad_of(pred).detach()
    for name, t, mask in (("grad_prob", g_prob, cell_undef), ("grad", g, grad_undef)):
        nonfinite = ~torch.isfinite(t).numpy()
        want = np.broadcast_to(mask[:, :, None, None], nonfinite.shape)
        if not np.array_equal(nonfinite, want):
            raise AssertionError(f"{name}: autograd non-finite pattern differs from the undefined sets")

    def flat(t, mask):
        out = []
        for b in range(B):
            for c in range(C):
                if mask[b, c]:
                    out.extend([None] * (H * W))
                else:
                    out.extend(float(u) for u in t[b, c].reshape(-1))
        return out

    v, vp, x, n, d, sdsc, term = (t.detach() for t in (v, vp, x, n, d, sdsc, term))
    sets = []
    yn = y.numpy()
    # grad_fg / grad_bg describe the pixels of the set as the Dice sees them (transformed).
    gpn = grad_of(p_used).detach().numpy()
    for i, cs in enumerate(cells_of_sets):
        defined = not undefined[i]

        def shared(label, cs=cs, defined=defined):
            if s["squared"] or not defined:
                return None
            vals = [gpn[b, c][yn[b, c] == label] for b, c in cs]
            vals = np.concatenate([a.reshape(-1) for a in vals])
            if vals.size == 0:
                return None
            first_val = float(vals[0])
            assert all(close(float(u), first_val) for u in vals), "gradient not shared within a set"
            return first_val

        sets.append(
            {
                "cells": [[b, c] for b, c in cs],
                "v": float(v[i]),
                "v_pred": float(vp[i]),
                "x": float(x[i]),
                "numerator": float(n[i]),
                "denominator": float(d[i]),
                "sdsc": float(sdsc[i]) if defined else None,
                "term": float(term[i]) if defined else None,
                "grad_fg": shared(1.0),
                "grad_bg": shared(0.0),
                "undefined": not defined,
            }
        )
    any_undef = any(undefined)
    expected = {
        "loss": None if any_undef else float(loss.detach()),
        "grad": flat(g, grad_undef),
        "grad_prob": flat(g_prob, cell_undef),
        "sets": sets,
        "undefined_count": sum(undefined),
    }
    if not any_undef:
        assert math.isfinite(float(loss.detach()))
    if s["ce_weight"] > 0 or s["dice_weight"] != 1.0:
        expected = with_cross_entropy(inp, s, expected, cell_undef)
    aux = {
        "settings": s,
        "floored": floored,
        "zeroed": zeroed,
        "den_raw": [float(u) for u in den_raw.detach()],
        "prob": prob.detach(),
        "y": y,
        "variant_active": s["variant"] != "dice" and bool(missing.any()),
    }
    return expected, aux


def eps_of_sets(eps, cells_of_sets):
    """ε as a number, or (one per class) the value of each set's class: per-class ε is
    only allowed where every set holds one class (Φ = I or BI)."""
    if not isinstance(eps, list):
        return eps
    classes = [{c for _, c in cs} for cs in cells_of_sets]
    assert all(len(k) == 1 for k in classes), "per-class ε with a set of several classes"
    return torch.tensor([float(eps[next(iter(k))]) for k in classes])


def softmax_ce_form(s: dict, C: int) -> bool:
    """Which cross-entropy: softmax over all classes, or binary with logits."""
    if s["ce_form"] == "monai":
        return C > 1
    return s["activation"] == "softmax"


def cross_entropy(inp: dict, s: dict):
    """The cross-entropy of the logits `pred` against y: its value, ∂/∂pred (autograd
    through torch.nn.functional.cross_entropy with class probabilities, or
    binary_cross_entropy_with_logits, both mean-reduced) and ∂/∂ỹ with ỹ the Dice's
    activation of pred (autograd through the same loss written on ỹ: −Σ y·log ỹ, the
    binary form, or the softmax CE of logit(ỹ) under a sigmoid); the last is undefined
    (None per cell) where autograd gives a non-finite value."""
    B, C, H, W = inp["shape"]
    y, z = fresh_pred(inp)
    soft = softmax_ce_form(s, C)
    if soft:
        ce = torch.nn.functional.cross_entropy(z, y)
    else:
        ce = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    ce.backward()
    _, z2 = tensors(inp)
    p = activate(z2, s["activation"]).detach().requires_grad_(True)
    one, zero = torch.ones_like(p), torch.zeros_like(p)
    # A term whose label weight is 0 is absent (no 0·log 0 → NaN gradient).
    if soft and s["activation"] == "softmax":
        ce_p = -(y * torch.log(torch.where(y > 0, p, one))).sum(dim=1).mean()
    elif soft:  # MONAI's softmax CE under a sigmoid: the logits are logit(ỹ)
        ce_p = torch.nn.functional.cross_entropy(torch.logit(p), y)
    else:
        up = y * torch.log(torch.where(y > 0, p, one))
        down = (1.0 - y) * torch.log1p(-torch.where(y < 1, p, zero))
        ce_p = -(up + down).mean()
    ce_p.backward()
    gp = p.grad.detach()
    undef = np.zeros((B, C), dtype=bool)
    for b in range(B):
        for c in range(C):
            undef[b, c] = not bool(torch.isfinite(gp[b, c]).all())
    assert math.isfinite(ce.item())
    return ce.item(), z.grad.detach(), gp, undef


def with_cross_entropy(inp: dict, s: dict, dice: dict, dice_cell_undef: np.ndarray) -> dict:
    """μ·Dice + λ·CE from the Dice's expected values (a weight-0 term is left out)."""
    B, C, H, W = inp["shape"]
    mu, lam = s["dice_weight"], s["ce_weight"]
    n = H * W
    if lam > 0:
        ce, ce_g, ce_gp, ce_undef = cross_entropy(inp, s)
        ce_g = ce_g.reshape(-1).tolist()
        ce_gp = ce_gp.reshape(-1).tolist()
    else:
        ce, ce_g, ce_gp, ce_undef = None, [0.0] * (B * C * n), [0.0] * (B * C * n), np.zeros((B, C), bool)
    def combine(dice_vals, ce_vals, ce_cells):
        out = []
        for i, (dv, cv) in enumerate(zip(dice_vals, ce_vals)):
            b, c = divmod(i // n, C)
            if ce_cells is not None and ce_cells[b, c]:
                out.append(None)
            elif mu != 0 and dv is None:
                out.append(None)
            else:
                out.append((mu * dv if mu != 0 else 0.0) + lam * cv)
        return out
    loss = None
    if not (mu != 0 and dice["loss"] is None):
        loss = (mu * dice["loss"] if mu != 0 else 0.0) + (lam * ce if lam > 0 else 0.0)
    expected = dict(dice)
    expected["loss"] = loss
    expected["grad"] = combine(dice["grad"], ce_g, None)
    expected["grad_prob"] = combine(dice["grad_prob"], ce_gp, ce_undef)
    expected["terms"] = {
        "dice": {"loss": dice["loss"], "grad": dice["grad"], "weight": mu},
        "ce": None if lam == 0 else {"loss": ce, "grad": ce_g, "weight": lam},
    }
    if mu == 0:
        expected["undefined_count"] = dice["undefined_count"]
    return expected


def missing_mask(inp: dict) -> np.ndarray:
    """B×C booleans from the case's "missing": [[b, c], …] (the engine refuses bad ones)."""
    B, C = inp["shape"][:2]
    m = np.zeros((B, C), dtype=bool)
    for b, c in inp.get("missing", []):
        assert 0 <= b < B and 1 <= c < C, (b, c)
        m[b, c] = True
    return m


def variant_inputs(variant: str, missing: np.ndarray, y: torch.Tensor, prob: torch.Tensor):
    """The labels and probabilities the Dice sums under the leaf / marginal Dice.

    Our reading of the authors' definitions (github.com/JeroenBertels/dicegrad,
    ACDC/Training/functions/metrics_missing_labels.py), generalised to every Φ:
    leaf: a missing cell's label and prediction are multiplied by 0, so it adds nothing to
    its set; marginal: first the probabilities of an image's missing classes are added to
    its background, ỹ'_0 = ỹ_0 + Σ_c m_c ỹ_c, then as leaf. The plain Dice ignores the list.
    """
    if variant == "dice" or not missing.any():
        return y, prob
    m = torch.tensor(missing, dtype=torch.float64)[:, :, None, None]
    keep = 1.0 - m
    y2 = y * keep
    p2 = prob * keep
    if variant == "marginal":
        # Only the missing classes are added (a 0·ỹ term would tie the others to the
        # background's set in autograd, which the loss does not).
        bgs = []
        for b in range(prob.shape[0]):
            bg = prob[b, 0]
            for c in range(1, prob.shape[1]):
                if missing[b, c]:
                    bg = bg + prob[b, c]
            bgs.append(bg)
        p2 = torch.cat([torch.stack(bgs)[:, None], p2[:, 1:]], dim=1)
    else:
        assert variant == "leaf", variant
    return y2, p2


# --------------------------------------------------------------------------- the authors' code


def authors_leaf_loss(y: torch.Tensor, prob: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """leaf_dice_loss of github.com/JeroenBertels/dicegrad
    (ACDC/Training/functions/metrics_missing_labels.py, leaf_dice_metric; losses_missing_labels.py),
    transcribed line by line from TensorFlow channels-last to PyTorch channels-first, float64:
    missing = all-zero label channel among classes 1…; background dropped; sums per image
    and class; DSC = 2·X/(V + Ṽ + eps) (eps = keras epsilon, 1e-7, denominator only),
    averaged over the present classes of the image, broadcast back to the present classes
    (missing ones 0), and the loss is 1 − the mean over all B×(C−1) entries (the
    "mean" reduction of deepvoxnet2's _metric over every axis)."""
    missing = (y[:, 1:].sum(dim=(2, 3), keepdim=True) == 0).to(y.dtype)
    y_pred_adapted = (1 - missing) * prob[:, 1:]
    y_true_adapted = (1 - missing) * y[:, 1:]
    intersection = (y_true_adapted * y_pred_adapted).sum(dim=(2, 3), keepdim=True)
    denom = y_true_adapted.sum(dim=(2, 3), keepdim=True) + y_pred_adapted.sum(dim=(2, 3), keepdim=True)
    dsc = (1 / (1 - missing).sum(dim=1, keepdim=True)) * ((2 * intersection) / (denom + eps)).sum(dim=1, keepdim=True)
    dsc = (1 - missing) * dsc
    return 1 - dsc.mean()


def authors_marginal_loss(y: torch.Tensor, prob: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """marginal_dice_loss of github.com/JeroenBertels/dicegrad (marginal_dice_metric), with
    pymirc's generalized_dice_coeff(reduce_along_features=False) that it calls,
    (2·X + eps)/(V + Ṽ + eps) per image and class, eps = 1e-7; transcribed to PyTorch
    channels-first, float64: the missing classes' probabilities added to the background,
    their own set to 0, the Dice of every class (background included), the missing
    classes' scores set to 0, loss = 1 − mean over all B×C entries."""
    missing = (y[:, 1:].sum(dim=(2, 3), keepdim=True) == 0).to(y.dtype)
    y_pred_bg = prob[:, 0:1] + (missing * prob[:, 1:]).sum(dim=1, keepdim=True)
    y_pred_label = (1 - missing) * prob[:, 1:]
    y_pred_adapted = torch.cat([y_pred_bg, y_pred_label], dim=1)
    intersection = (y * y_pred_adapted).sum(dim=(2, 3))
    denom = y.sum(dim=(2, 3)) + y_pred_adapted.sum(dim=(2, 3))
    dsc = (2 * intersection + eps) / (denom + eps)
    dsc = torch.cat([dsc[:, 0:1], (1 - missing[:, :, 0, 0]) * dsc[:, 1:]], dim=1)
    return 1 - dsc.mean()


def check_authors(inp, expected, aux):
    """The authors' own leaf / marginal Dice, where the case is one of their settings:
    Φ = I, the missing cells exactly the all-zero label channels (their inference), every
    image with a labelled class; leaf: background excluded, ε_nr = 0, ε_dr = 1e-7;
    marginal: background included, ε_nr = ε_dr = 1e-7, softmax or exclusive probabilities."""
    s = aux["settings"]
    if s["variant"] == "dice" or s["phi"] != "I" or s["squared"] or s["jaccard"]:
        return None
    if s["denominator_floor"] != 0.0 or s["zero_empty_sets"]:
        return None
    y, _ = tensors(inp)
    inferred = (y[:, 1:].sum(dim=(2, 3)) == 0).numpy()
    if not np.array_equal(inferred, missing_mask(inp)[:, 1:]) or inferred.all(axis=1).any():
        return None
    if s["variant"] == "leaf":
        if s["include_background"] or s["eps_nr"] != 0.0 or s["eps_dr"] != 1e-7:
            return None
        fn, name = authors_leaf_loss, "leaf_dice_loss"
    else:
        if not s["include_background"] or s["eps_nr"] != 1e-7 or s["eps_dr"] != 1e-7:
            return None
        fn, name = authors_marginal_loss, "marginal_dice_loss"
    y, pred = fresh_pred(inp)
    loss = fn(y, activate(pred, s["activation"]))
    loss.backward()
    label = f"dicegrad {name} (metrics_missing_labels.py transcribed to torch float64, missing inferred from all-zero labels)"
    compare_to_expected(label, loss.item(), pred.grad, expected)
    return label


# --------------------------------------------------------------------------- library checks


def compare_to_expected(label: str, loss_val, grad: torch.Tensor, expected: dict, tol=None):
    """Raises Mismatch unless the library's loss and ∂/∂pred agree with `expected`."""
    exp_loss = expected["loss"]
    got_loss = num(loss_val)
    if (exp_loss is None) != (got_loss is None):
        raise Mismatch(f"{label}: loss {got_loss} vs expected {exp_loss}")
    exp_grad = expected["grad"]
    got = grad.reshape(-1).tolist()
    grad_scale = max([1.0] + [abs(u) for u in exp_grad if u is not None])

    def ok(a, b, scale):
        if tol is None:
            return close(a, b)
        return abs(a - b) <= tol * max(1.0, scale)

    if exp_loss is not None and not ok(got_loss, exp_loss, abs(exp_loss)):
        raise Mismatch(f"{label}: loss {got_loss!r} vs expected {exp_loss!r}")
    for i, (a, b) in enumerate(zip(got, exp_grad)):
        if b is None:
            if math.isfinite(a):
                raise Mismatch(f"{label}: grad[{i}] = {a!r} where expected null")
        elif not (math.isfinite(a) and ok(a, b, grad_scale)):
            raise Mismatch(f"{label}: grad[{i}] = {a!r} vs expected {b!r}")


def fresh_pred(inp):
    y, pred = tensors(inp)
    return y, pred.requires_grad_(True)


def check_monai(inp, expected, aux):
    s = aux["settings"]
    if "monai" not in LIBS or s["phi"] not in ("I", "BI"):
        return None
    if any(aux["floored"]) or any(aux["zeroed"]):
        return None
    B, C, _, _ = inp["shape"]
    if C == 1 and (s["activation"] == "softmax" or not s["include_background"]):
        return None
    kwargs = {
        "include_background": s["include_background"],
        "sigmoid": s["activation"] == "sigmoid",
        "softmax": s["activation"] == "softmax",
        "squared_pred": s["squared"],
        "jaccard": s["jaccard"],
        "smooth_nr": s["eps_nr"],
        "smooth_dr": s["eps_dr"],
        "batch": s["phi"] == "BI",
    }
    if s["soft_label"]:
        kwargs["soft_label"] = True
    fn = MonaiDiceLoss(**kwargs)
    y, pred = fresh_pred(inp)
    loss = fn(pred, y)
    loss.backward()
    label = "monai.losses.DiceLoss(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
    compare_to_expected(label, loss.item(), pred.grad, expected)
    return f"monai {LIBS['monai']}: {label}"


def check_smp(inp, expected, aux):
    s = aux["settings"]
    if "smp" not in LIBS or s["phi"] != "BI" or s["squared"] or s["jaccard"]:
        return None
    if s["eps_nr"] != s["eps_dr"] or not s["zero_empty_sets"]:
        return None
    y, prob = aux["y"], aux["prob"]
    # smp's L1-norm overlap is Σ min(y, ỹ): the formula's with soft_label; without it the
    # same only for hard labels and no ỹ equal to y.
    if not s["soft_label"] and (not bool(((y == 0) | (y == 1)).all()) or bool((prob == y).any())):
        return None
    # smp 0.6.0 computes the Dice as a Tversky score with α = β = 1/2:
    # (X + smooth) / ((V + Ṽ)/2 + smooth).clamp_min(eps), i.e. ε_nr = ε_dr = 2·smooth and a
    # floor of 2·eps on the V + Ṽ + ε scale. Its default eps = 1e-7 is used when it floors
    # exactly the sets the case floors, at the same value; otherwise eps = floor / 2.
    # Zeroed sets (no foreground) do not count: their term and gradient are 0 either way.
    B, C, _, _ = inp["shape"]
    floor = s["denominator_floor"]

    def agrees(eps_smp):
        return all(
            z or (fl == (dr < 2.0 * eps_smp) and (not fl or floor == 2.0 * eps_smp))
            for fl, dr, z in zip(aux["floored"], aux["den_raw"], aux["zeroed"])
        )

    kwargs = {"smooth": s["eps_nr"] / 2.0}
    if not agrees(1e-7):
        if not agrees(floor / 2.0):
            return None
        kwargs["eps"] = floor / 2.0
    if not s["include_background"]:
        kwargs["classes"] = list(range(1, C))
    yt, pred = fresh_pred(inp)
    if s["activation"] == "softmax":
        if not bool((yt.sum(dim=1) == 1).all()):
            return None
        mode, target = "multiclass", yt.argmax(dim=1)
        kwargs["from_logits"] = True
    else:
        mode, target = "multilabel", yt
        kwargs["from_logits"] = s["activation"] == "sigmoid"
    fn = SmpDiceLoss(mode=mode, **kwargs)
    loss = fn(pred, target)
    loss.backward()
    label = f"segmentation_models_pytorch.losses.DiceLoss(mode={mode!r}, " + ", ".join(
        f"{k}={v!r}" for k, v in kwargs.items()
    ) + ")"
    if mode == "multiclass":
        label += " with y as class indices"
    compare_to_expected(label, loss.item(), pred.grad, expected)
    return f"smp {LIBS['smp']}: {label}"


def check_keras(inp, expected, aux):
    s = aux["settings"]
    if "keras" not in LIBS or s["phi"] != "BCI" or s["eps_nr"] != 0.0 or s["soft_label"]:
        return None
    if s["squared"] or s["jaccard"] or any(aux["floored"]) or any(aux["zeroed"]):
        return None
    y, pred = fresh_pred(inp)
    prob = activate(pred, s["activation"])
    first = 0 if s["include_background"] else 1
    old = keras.config.epsilon()
    keras.config.set_epsilon(s["eps_dr"])
    try:
        loss = keras.losses.Dice()(y[:, first:], prob[:, first:])
    finally:
        keras.config.set_epsilon(old)
    if not isinstance(loss, torch.Tensor) or loss.dtype != torch.float64:
        raise Mismatch(f"keras returned {type(loss)} {getattr(loss, 'dtype', None)}")
    loss.backward()
    label = "keras.losses.Dice()"
    if s["eps_dr"] != 1e-7:
        label += f" with keras.config.set_epsilon({s['eps_dr']!r})"
    compare_to_expected(label, loss.item(), pred.grad, expected)
    extra = []
    if s["activation"] != "none":
        extra.append(f"torch {s['activation']} before it")
    if first:
        extra.append("class 0 sliced off before it")
    return f"keras {LIBS['keras']} (torch backend, float64): {label}" + (f" [{'; '.join(extra)}]" if extra else "")


def check_nnunet(inp, expected, aux):
    s = aux["settings"]
    if "nnunet" not in LIBS or s["phi"] not in ("I", "BI") or s["eps_nr"] != s["eps_dr"] or s["soft_label"]:
        return None
    if s["squared"] or s["jaccard"] or any(aux["zeroed"]):
        return None
    if aux["floored"] != [d < 1e-8 for d in aux["den_raw"]]:
        return None
    if any(aux["floored"]) and s["denominator_floor"] != 1e-8:
        return None
    B, C, _, _ = inp["shape"]
    if not s["include_background"] and C < 2:
        return None
    nonlin = {"softmax": softmax_helper_dim1, "sigmoid": torch.sigmoid, "none": None}[s["activation"]]
    nonlin_name = {"softmax": "softmax_helper_dim1", "sigmoid": "torch.sigmoid", "none": "None"}[s["activation"]]
    kwargs = dict(batch_dice=s["phi"] == "BI", do_bg=s["include_background"], smooth=s["eps_nr"], ddp=False)
    label = f"MemoryEfficientSoftDiceLoss(apply_nonlin={nonlin_name}, " + ", ".join(
        f"{k}={v!r}" for k, v in kwargs.items()
    ) + ")"
    out = []
    for cls, tol, how in (
        (NnunetDice64, None, "source with float32→float64"),
        (nnunet_dice.MemoryEfficientSoftDiceLoss, 1e-4, "as shipped (float32 sums), tol 1e-4·scale"),
    ):
        y, pred = fresh_pred(inp)
        neg = cls(apply_nonlin=nonlin, **kwargs)(pred, y)
        neg.backward()
        compare_to_expected(f"{label} [{how}]", neg.item() + 1.0, pred.grad, expected, tol=tol)
        out.append(f"nnunetv2 {LIBS['nnunet']}: {label}, loss + 1 [{how}]")
    return out


def check_monai_dice_ce(inp, expected, aux):
    """MONAI DiceCELoss: its Dice as check_monai, plus CrossEntropyLoss on the logits (more
    than one channel, whatever the activation) or BCEWithLogitsLoss (one channel)."""
    s = aux["settings"]
    if "monai" not in LIBS or s["phi"] not in ("I", "BI") or s["activation"] == "none":
        return None
    if any(aux["floored"]) or any(aux["zeroed"]) or s["variant"] != "dice":
        return None
    if isinstance(s["eps_nr"], list) or isinstance(s["eps_dr"], list):
        return None
    B, C, _, _ = inp["shape"]
    if softmax_ce_form(s, C) != (C > 1):
        return None
    if expected["loss"] is None or expected["terms"]["dice"]["loss"] is None:
        return None  # an undefined Dice is NaN in the libraries, even with weight 0
    from monai.losses import DiceCELoss

    kwargs = {
        "include_background": s["include_background"],
        "sigmoid": s["activation"] == "sigmoid",
        "softmax": s["activation"] == "softmax",
        "squared_pred": s["squared"],
        "jaccard": s["jaccard"],
        "smooth_nr": s["eps_nr"],
        "smooth_dr": s["eps_dr"],
        "batch": s["phi"] == "BI",
        "lambda_dice": s["dice_weight"],
        "lambda_ce": s["ce_weight"],
    }
    y, pred = fresh_pred(inp)
    loss = DiceCELoss(**kwargs)(pred, y)
    loss.backward()
    label = "monai.losses.DiceCELoss(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
    compare_to_expected(label, loss.item(), pred.grad, expected)
    return f"monai {LIBS['monai']}: {label}"


def check_nnunet_dc_ce(inp, expected, aux):
    """nnU-Net v2 DC_and_CE_loss (MemoryEfficientSoftDiceLoss + RobustCrossEntropyLoss on
    the class-index map), which reports μ·(−mean sDSC) + λ·CE: loss + μ is compared."""
    s = aux["settings"]
    if "nnunet" not in LIBS or s["phi"] not in ("I", "BI") or s["eps_nr"] != s["eps_dr"]:
        return None
    if isinstance(s["eps_nr"], list):
        return None
    if s["activation"] != "softmax" or s["squared"] or s["jaccard"] or any(aux["zeroed"]):
        return None
    if aux["floored"] != [d < 1e-8 for d in aux["den_raw"]] or s["variant"] != "dice":
        return None
    y_np = np.asarray(inp["y"]).reshape(inp["shape"])
    if not (np.isin(y_np, (0.0, 1.0)).all() and (y_np.sum(axis=1) == 1).all()):
        return None
    if expected["loss"] is None or expected["terms"]["dice"]["loss"] is None:
        return None  # an undefined Dice is NaN in the libraries, even with weight 0
    from nnunetv2.training.loss.compound_losses import DC_and_CE_loss

    kw = {"batch_dice": s["phi"] == "BI", "smooth": s["eps_nr"], "do_bg": s["include_background"], "ddp": False}
    y, pred = fresh_pred(inp)
    target = y.argmax(dim=1, keepdim=True).to(torch.float64)
    fn = DC_and_CE_loss(kw, {}, weight_ce=s["ce_weight"], weight_dice=s["dice_weight"], dice_class=NnunetDice64)
    loss = fn(pred, target)
    loss.backward()
    label = f"DC_and_CE_loss({kw!r}, {{}}, weight_ce={s['ce_weight']}, weight_dice={s['dice_weight']})"
    compare_to_expected(label, loss.item() + s["dice_weight"], pred.grad, expected)
    return f"nnunetv2 {LIBS['nnunet']}: {label} [Dice source with float32→float64], loss + μ"


def checks(inp, expected, aux) -> list[str]:
    if aux["variant_active"]:
        # No library computes the leaf / marginal Dice; the authors' code where it applies.
        done = ["formula: torch autograd float64 (the Dice on the leaf / marginal inputs)"]
        r = check_authors(inp, expected, aux)
        return done + ([r] if r else [])
    done = ["formula: torch autograd float64 (docs/science.md §2)"]
    s = aux["settings"]
    extended = s["ce_weight"] > 0 or s["dice_weight"] != 1.0
    if extended or isinstance(s["eps_nr"], list) or isinstance(s["eps_dr"], list):
        # Per-class ε: no library has it. Dice + CE: the libraries' own combined losses.
        if extended:
            for fn in (check_monai_dice_ce, check_nnunet_dc_ce):
                r = fn(inp, expected, aux)
                if r is not None:
                    done.append(r)
        return done
    for fn in (check_monai, check_smp, check_keras, check_nnunet):
        r = fn(inp, expected, aux)
        if r is None:
            continue
        done.extend(r if isinstance(r, list) else [r])
    return done


# --------------------------------------------------------------------------- case generation

rng = np.random.Generator(np.random.PCG64(SEED))
CASES: list[dict] = []
NAMES: set[str] = set()


def r4(a) -> list[float]:
    """Round to 4 decimals (keeps the fixture small; JSON and Rust parse them alike)."""
    return [float(round(float(u), 4)) for u in np.asarray(a).reshape(-1)]


def add(name: str, inp: dict):
    assert name not in NAMES, name
    NAMES.add(name)
    B, C, H, W = inp["shape"]
    assert len(inp["y"]) == len(inp["pred"]) == B * C * H * W
    expected, aux = formula(inp)
    checked = checks(inp, expected, aux)
    CASES.append({"name": name, "input": inp, "expected": expected, "checked_against": checked})


def labels(shape, kind: str):
    B, C, H, W = shape
    if kind == "onehot":
        # Class per pixel; some classes may be absent from some images.
        k = rng.integers(0, C, size=(B, H, W))
        if C > 1 and rng.random() < 0.5:
            k = np.where(rng.random((B, H, W)) < 0.7, 0, k)  # background-heavy
        y = np.zeros(shape)
        for c in range(C):
            y[:, c] = k == c
        return y
    if kind == "binary":
        dens = rng.uniform(0.05, 0.6)
        y = (rng.random(shape) < dens).astype(float)
        # Empty cells now and then (missing / empty labels).
        y[rng.random((B, C)) < 0.25] = 0.0
        return y
    if kind == "soft":
        y = np.round(rng.random(shape), 2)
        y[rng.random(shape) < 0.3] = 0.0
        y[rng.random(shape) < 0.2] = 1.0
        y[rng.random((B, C)) < 0.2] = 0.0
        return y
    raise ValueError(kind)


def predictions(shape, act: str, y: np.ndarray, kind: str = "random"):
    if act == "none":
        if kind == "hard":
            return (rng.random(shape) < 0.4).astype(float)
        p = rng.random(shape)
        if rng.random() < 0.5:  # correlated with the labels
            p = np.clip(0.6 * y + 0.4 * p, 0.0, 1.0)
        p = np.round(p, 4)
        if rng.random() < 0.3:
            B, C = shape[:2]
            p[rng.random((B, C)) < 0.3] = 0.0  # cells with no prediction at all
        return p
    z = rng.normal(0.0, 2.5, size=shape) + 2.0 * (y - 0.5)
    return np.round(z, 3)


def random_shape(act: str, incl: bool, big: bool = False):
    min_c = 2 if (act == "softmax" or not incl) else 1
    while True:
        if big:
            return [4, 4, 8, 8]
        B = int(rng.integers(1, 5))
        C = int(rng.integers(min_c, 5))
        H = int(rng.integers(1, 9))
        W = int(rng.integers(1, 9))
        if B * C * H * W <= 160:
            return [B, C, H, W]


def random_eps():
    if rng.random() < 0.3:
        i = int(rng.integers(0, len(UNEQUAL_EPS)))
        return UNEQUAL_EPS[i]
    e = EPS_VALUES[int(rng.integers(0, len(EPS_VALUES)))]
    return e, e


def make_input(shape, y, pred, digits=None, **settings) -> dict:
    """Inputs rounded (4 decimals for probabilities, 3 for logits) to keep the file small."""
    if digits is None:
        digits = 4 if settings.get("activation", "none") == "none" else 3
    rounded = [float(round(float(u), digits)) for u in np.asarray(pred).reshape(-1)]
    inp = {"shape": list(shape), "y": r4(y), "pred": rounded}
    inp.update(settings)
    return inp


def grid_cases():
    n = 0
    for phi in PHIS:
        for squared in (False, True):
            for jaccard in (False, True):
                for incl in (True, False):
                    for act in ACTS:
                        for rep in range(2):
                            shape = random_shape(act, incl)
                            kind = ["onehot", "binary", "soft"][int(rng.integers(0, 3))] if rep else (
                                "onehot" if act == "softmax" else "binary"
                            )
                            y = labels(shape, kind)
                            pred = predictions(shape, act, y)
                            eps_nr, eps_dr = random_eps() if rep else (1e-5, 1e-5)
                            inp = make_input(
                                shape,
                                y,
                                pred,
                                phi=phi,
                                eps_nr=eps_nr,
                                eps_dr=eps_dr,
                                squared=squared,
                                jaccard=jaccard,
                                include_background=incl,
                                activation=act,
                            )
                            name = f"grid/{phi}/sq{int(squared)}/jac{int(jaccard)}/bg{int(incl)}/{act}/{kind}/{rep}"
                            add(name, inp)
                            n += 1
    return n


def eps_cases():
    for phi in PHIS:
        for e in EPS_VALUES:
            act = ACTS[int(rng.integers(0, 3))]
            shape = random_shape(act, True)
            y = labels(shape, "binary" if act != "softmax" else "onehot")
            pred = predictions(shape, act, y)
            add(f"eps/{phi}/{e:g}/{act}", make_input(shape, y, pred, phi=phi, eps_nr=e, eps_dr=e, activation=act))
        for enr, edr in UNEQUAL_EPS:
            shape = random_shape("none", True)
            y = labels(shape, "soft" if rng.random() < 0.5 else "binary")
            pred = predictions(shape, "none", y)
            sq = bool(rng.random() < 0.3)
            add(
                f"eps/{phi}/nr{enr:g}_dr{edr:g}",
                make_input(shape, y, pred, phi=phi, eps_nr=enr, eps_dr=edr, squared=sq),
            )


def edge_cases():
    # Empty set (V = 0) with a prediction, image-wise, for a range of ε: the vanishing push.
    y = np.zeros((2, 1, 2, 3))
    y[0, 0, 0, :2] = 1.0
    p = np.full((2, 1, 2, 3), 0.25)
    for e in (0.0, 1e-7, 1e-5, 1.0, 1.5, 100.0):
        for phi in ("I", "BI"):
            add(f"edge/empty_with_pred/{phi}/eps{e:g}", make_input(y.shape, y, p, phi=phi, eps_nr=e, eps_dr=e))
    # Empty set without prediction, ε > 0: sDSC = ε_nr/ε_dr, a "perfect" term.
    p2 = p.copy()
    p2[1] = 0.0
    for e in (1e-7, 1e-5, 1.0):
        add(f"edge/empty_no_pred/I/eps{e:g}", make_input(y.shape, y, p2, eps_nr=e, eps_dr=e))
    add("edge/empty_no_pred/I/nr1e-5_dr1", make_input(y.shape, y, p2, eps_nr=1e-5, eps_dr=1.0))
    # ε = 0 and an image with V = Ṽ = 0: under I and CI its set is 0/0 (loss null, that
    # set's gradients null); under BI and BCI it shares a set with the labelled image.
    for phi in PHIS:
        add(f"edge/eps0_empty_image/{phi}", make_input(y.shape, y, p2, phi=phi, eps_nr=0.0, eps_dr=0.0))
    # ...the same for every cell at once (all zero) and with the squared / Jaccard forms.
    z = np.zeros((2, 2, 2, 2))
    for sq in (False, True):
        for jac in (False, True):
            add(
                f"edge/all_zero/sq{int(sq)}/jac{int(jac)}",
                make_input(z.shape, z, z, phi="CI", eps_nr=0.0, eps_dr=0.0, squared=sq, jaccard=jac),
            )
    # ε_nr > 0, ε_dr = 0, V = Ṽ = 0: division by zero.
    for phi in ("I", "CI"):
        add(f"edge/division_by_zero/{phi}", make_input(y.shape, y, p2, phi=phi, eps_nr=1e-5, eps_dr=0.0))
    # Batch-wise: the empty image shares its set with the labelled one, so it is pushed.
    for e in (0.0, 1e-7):
        add(f"edge/bi_shares_push/eps{e:g}", make_input(y.shape, y, p, phi="BI", eps_nr=e, eps_dr=e))
    # Softmax with an empty class whose probabilities underflow to exactly 0.
    ys = np.zeros((2, 3, 2, 2))
    ys[:, 0] = 1.0
    ys[0, 0, 0, 0] = 0.0
    ys[0, 1, 0, 0] = 1.0  # class 1 present in image 0 only; class 2 nowhere
    zs = np.zeros((2, 3, 2, 2))
    zs[:, 2] = -1000.0  # exp(-1000) = 0: class 2 has Ṽ = 0 exactly
    zs[:, 1] = np.array([[0.5, -0.25], [1.0, 0.0]])
    for phi in PHIS:
        for incl in (True, False):
            add(
                f"edge/softmax_zero_over_zero/{phi}/bg{int(incl)}",
                make_input(ys.shape, ys, zs, phi=phi, eps_nr=0.0, eps_dr=0.0, activation="softmax", include_background=incl),
            )
        add(
            f"edge/softmax_empty_class_eps/{phi}",
            make_input(ys.shape, ys, zs, phi=phi, eps_nr=1e-5, eps_dr=1e-5, activation="softmax"),
        )
    # Sigmoid whose probabilities underflow to exactly 0 on an empty cell.
    zsig = np.where(ys > 0, 2.0, -800.0)
    zsig[0, 0] = 1.5
    for phi in ("I", "BI"):
        add(
            f"edge/sigmoid_zero_over_zero/{phi}",
            make_input(ys.shape, ys, zsig, phi=phi, eps_nr=0.0, eps_dr=0.0, activation="sigmoid"),
        )
    # Saturated logits: probabilities round to exactly 1 or stay just inside.
    zsat = np.where(ys > 0, 40.0, -40.0)
    for act in ("sigmoid", "softmax"):
        add(f"edge/saturated_logits/{act}", make_input(ys.shape, ys, zsat, phi="BI", activation=act))
    # All ones.
    o = np.ones((2, 2, 3, 3))
    for phi in PHIS:
        for e in (0.0, 1e-5):
            add(f"edge/all_ones/{phi}/eps{e:g}", make_input(o.shape, o, o, phi=phi, eps_nr=e, eps_dr=e))
    add("edge/all_ones_y_zero_pred/I", make_input(o.shape, o, np.zeros_like(o), eps_nr=1e-5, eps_dr=1e-5))
    add("edge/zero_y_all_ones_pred/I/eps0", make_input(o.shape, np.zeros_like(o), o, eps_nr=0.0, eps_dr=0.0))
    add("edge/zero_y_all_ones_pred/I/eps1e-5", make_input(o.shape, np.zeros_like(o), o))
    # Hard 0/1 predictions.
    for phi in PHIS:
        for sq, jac in ((False, False), (True, False), (False, True), (True, True)):
            shape = random_shape("none", True)
            yy = labels(shape, "binary")
            pp = predictions(shape, "none", yy, kind="hard")
            add(
                f"edge/hard_pred/{phi}/sq{int(sq)}/jac{int(jac)}",
                make_input(shape, yy, pp, phi=phi, squared=sq, jaccard=jac, eps_nr=1e-7, eps_dr=1e-7),
            )
    # A perfect hard prediction and a single-pixel image.
    yh = labels((2, 3, 3, 3), "onehot")
    add("edge/perfect_hard/I/eps0", make_input(yh.shape, yh, yh, eps_nr=0.0, eps_dr=0.0, include_background=False))
    add("edge/single_pixel", make_input([1, 1, 1, 1], [1.0], [0.3]))
    add("edge/single_pixel_empty", make_input([1, 1, 1, 1], [0.0], [0.3], eps_nr=1e-7, eps_dr=1e-7))
    # The push on an empty set is largest when ε = Ṽ (docs/science.md §3.2): Ṽ = 1.5 here.
    add("edge/empty_push_peak", make_input([1, 1, 1, 6], [0.0] * 6, [0.25] * 6, eps_nr=1.5, eps_dr=1.5))
    # Denominator floor: active, inactive, and rescuing a 0/0.
    for floor in (1e-3, 1e-7, 10.0):
        shape = [2, 2, 2, 2]
        yy = labels(shape, "binary")
        pp = np.round(rng.random(shape) * 1e-4, 8)
        pp[0, 1] = 0.0
        yy[0, 1] = 0.0
        add(
            f"edge/floor/{floor:g}",
            make_input(shape, yy, pp, digits=8, phi="I", eps_nr=0.0, eps_dr=0.0, denominator_floor=floor),
        )
    for phi in PHIS:
        add(
            f"edge/floor_rescues_zero_over_zero/{phi}",
            make_input(y.shape, y, p2, phi=phi, eps_nr=0.0, eps_dr=0.0, denominator_floor=1e-7),
        )
    # zero_empty_sets on every Φ, with and without a floor; and with 0/0 (stays null).
    for phi in PHIS:
        shape = random_shape("softmax", True)
        yy = labels(shape, "onehot")
        zz = predictions(shape, "softmax", yy)
        add(
            f"edge/zero_empty_sets/{phi}",
            make_input(shape, yy, zz, phi=phi, eps_nr=0.0, eps_dr=0.0, activation="softmax", zero_empty_sets=True, denominator_floor=1e-7),
        )
        add(
            f"edge/zero_empty_sets_probs/{phi}",
            make_input(y.shape, y, p, phi=phi, eps_nr=1e-5, eps_dr=1e-5, zero_empty_sets=True),
        )
    add("edge/zero_empty_sets_zero_over_zero", make_input(y.shape, y, p2, eps_nr=0.0, eps_dr=0.0, zero_empty_sets=True))
    # Big shapes.
    for i, (phi, act) in enumerate((("I", "softmax"), ("BI", "sigmoid"), ("CI", "none"), ("BCI", "softmax"))):
        shape = random_shape(act, True, big=True)
        yy = labels(shape, "onehot" if act == "softmax" else "soft")
        pp = predictions(shape, act, yy)
        add(f"big/{phi}/{act}/{i}", make_input(shape, yy, pp, phi=phi, activation=act, include_background=i % 2 == 0))


def preset_cases():
    for preset, s in PRESETS.items():
        act = s.get("activation", "none")
        for rep in range(7):
            incl = s.get("include_background", True)
            shape = random_shape(act, incl)
            if shape[1] < 2:
                shape[1] = 2
            kind = "onehot" if rep < 4 or (act == "softmax" and rep < 5) else ("soft" if rep % 2 else "binary")
            y = labels(shape, kind)
            if rep == 3:
                y[:, -1] = 0.0  # a class absent from the whole batch
                if kind == "onehot":
                    y[:, 0] = np.maximum(y[:, 0], 1.0 - y.sum(axis=1))
            pred = predictions(shape, act, y)
            add(f"preset/{preset}/{kind}/{rep}", make_input(shape, y, pred, preset=preset))
    # Presets with a field overridden: the override wins.
    shape = [2, 3, 3, 3]
    y = labels(shape, "onehot")
    z = predictions(shape, "softmax", y)
    add("preset_override/nnunet+include_background", make_input(shape, y, z, preset="nnunet", include_background=True))
    add("preset_override/smp+phi_I", make_input(shape, y, z, preset="smp", phi="I"))
    add("preset_override/monai_batch+softmax", make_input(shape, y, z, preset="monai_batch", activation="softmax"))
    p = predictions(shape, "none", y)
    add("preset_override/keras+eps_dr0", make_input(shape, y, p, preset="keras", eps_dr=0.0))
    add("preset_override/monai+jaccard", make_input(shape, y, p, preset="monai", jaccard=True, squared=True))


def library_cases():
    """Settings chosen so that smp and Keras (not only their presets) are exercised."""
    for act in ACTS:
        for incl in (True, False):
            for eps, floor in ((0.0, 1e-7), (1e-5, 0.0)):
                shape = random_shape(act, incl)
                y = labels(shape, "onehot" if act == "softmax" else "binary")
                pred = predictions(shape, act, y)
                add(
                    f"lib/smp_like/{act}/bg{int(incl)}/eps{eps:g}",
                    make_input(
                        shape,
                        y,
                        pred,
                        phi="BI",
                        eps_nr=eps,
                        eps_dr=eps,
                        activation=act,
                        include_background=incl,
                        denominator_floor=floor,
                        zero_empty_sets=True,
                    ),
                )
        for eps_dr in (1e-7, 1e-5, 1.0):
            shape = random_shape(act, True)
            y = labels(shape, ["onehot", "binary", "soft"][int(rng.integers(0, 3))])
            pred = predictions(shape, act, y)
            add(
                f"lib/keras_like/{act}/dr{eps_dr:g}",
                make_input(shape, y, pred, phi="BCI", eps_nr=0.0, eps_dr=eps_dr, activation=act),
            )


def exclusive_probs(shape, y: np.ndarray) -> np.ndarray:
    """Probabilities on the 1e-4 grid that sum to 1 over the classes exactly as the engine
    checks it (to 1e-9): classes 1… rounded, the background the rest."""
    B, C, H, W = shape
    p = rng.random(shape) + 1.5 * y
    p /= p.sum(axis=1, keepdims=True)
    q = np.round(p, 4)
    rest = 1.0 - q[:, 1:].sum(axis=1)
    q[:, 0] = np.round(np.clip(rest, 0.0, 1.0), 4)
    assert np.all(np.abs(q.sum(axis=1) - 1.0) < 1e-9)
    return q


def random_missing(shape, y: np.ndarray, onehot: bool, clear: bool = True) -> list[list[int]]:
    """Some (b, c ≥ 1) cells marked missing, at least one. With `clear` their labels are set
    to 0 (to the background with one-hot labels), as an unannotated structure reads;
    otherwise they keep a label, which the variants must ignore."""
    B, C = shape[:2]
    cells = [[b, c] for b in range(B) for c in range(1, C) if rng.random() < 0.35]
    if not cells:
        cells = [[int(rng.integers(0, B)), int(rng.integers(1, C))]]
    if clear:
        for b, c in cells:
            if onehot:
                y[b, 0] = np.maximum(y[b, 0], y[b, c])
            y[b, c] = 0.0
    return cells


def variant_cases():
    """The leaf and marginal Dice: every Φ, background in and out (leaf; the marginal Dice
    keeps it), every activation they allow, several ε, squared / Jaccard now and then."""
    eps_choices = [(1e-5, 1e-5), (0.0, 1e-7), (1e-7, 1e-7), (1.0, 1.0), (0.0, 0.0), (10.0, 1e-5)]
    for variant in ("leaf", "marginal"):
        for phi in PHIS:
            for incl in (True, False) if variant == "leaf" else (True,):
                for act in ACTS if variant == "leaf" else ("none", "softmax"):
                    for rep_i in range(3):
                        shape = random_shape("softmax", incl)
                        onehot = variant == "marginal" or act == "softmax" or rep_i == 0
                        y = labels(shape, "onehot" if onehot else ["binary", "soft"][rep_i % 2])
                        missing = random_missing(shape, y, onehot, clear=rep_i != 2)
                        if variant == "marginal" and act == "none":
                            pred = exclusive_probs(shape, y)
                        else:
                            pred = predictions(shape, act, y)
                        eps_nr, eps_dr = eps_choices[int(rng.integers(0, len(eps_choices)))]
                        sq = bool(rep_i == 1 and rng.random() < 0.5)
                        jac = bool(rep_i == 1 and not sq and rng.random() < 0.5)
                        add(
                            f"variant/{variant}/{phi}/bg{int(incl)}/{act}/{rep_i}",
                            make_input(
                                shape, y, pred, phi=phi, eps_nr=eps_nr, eps_dr=eps_dr, squared=sq,
                                jaccard=jac, include_background=incl, activation=act,
                                variant=variant, missing=missing,
                            ),
                        )
    # The plain Dice accepts the list and ignores it.
    shape = [2, 3, 2, 2]
    y = labels(shape, "onehot")
    missing = random_missing(shape, y, True)
    add("variant/dice_ignores_missing", make_input(shape, y, predictions(shape, "none", y), missing=missing))


def variant_edge_cases():
    # A class missing in every image: under BI (and I) its sets are made only of missing
    # cells — the constant 0 score, even with ε = 0 where the plain Dice would be 0/0.
    y = np.zeros((2, 3, 2, 2))
    y[:, 0] = 1.0
    y[0, 0, 0, 0], y[0, 1, 0, 0] = 0.0, 1.0
    y[1, 0, 1, 1], y[1, 1, 1, 1] = 0.0, 1.0
    p = np.zeros((2, 3, 2, 2))
    p[:, 0], p[:, 1], p[:, 2] = 0.5, 0.3, 0.2
    missing = [[0, 2], [1, 2]]
    for variant in ("leaf", "marginal"):
        for phi in PHIS:
            add(
                f"variant_edge/class_missing_everywhere/{variant}/{phi}",
                make_input(y.shape, y, p, phi=phi, eps_nr=0.0, eps_dr=0.0, variant=variant, missing=missing),
            )
        # Only missing cells in one image under CI with the background excluded (leaf) is
        # constant too; and smp's zeroing of sets without foreground applies on top.
        add(
            f"variant_edge/zero_empty_sets/{variant}",
            make_input(
                y.shape, y, p, phi="BI", eps_nr=0.0, eps_dr=0.0, denominator_floor=1e-7,
                zero_empty_sets=True, variant=variant, missing=missing,
            ),
        )
    add(
        "variant_edge/leaf_ci_image_all_missing",
        make_input(y.shape, y, p, phi="CI", include_background=False, eps_nr=0.0, eps_dr=1e-7,
                   variant="leaf", missing=[[1, 1], [1, 2]]),
    )
    # Marginal: the background of image 1 has no label and no probability once the missing
    # class is moved in… except the missing class's own: with ε = 0 the background set of an
    # image is 0/0 only if both are 0, so an all-structure image with a silent missing class.
    yb = np.zeros((2, 3, 2, 2))
    yb[0, 0] = 1.0
    yb[1, 1] = 1.0  # image 1: every pixel class 1
    pb = np.zeros((2, 3, 2, 2))
    pb[0, 0] = 0.7
    pb[0, 1] = 0.3
    pb[1, 1] = 1.0  # background and the missing class 2 predict 0 in image 1
    for phi in ("I", "CI"):
        add(
            f"variant_edge/marginal_background_undefined/{phi}",
            make_input(yb.shape, yb, pb, phi=phi, eps_nr=0.0, eps_dr=0.0, variant="marginal", missing=[[1, 2], [0, 2]]),
        )
    # Leaf: a missing cell shares a 0/0 set (image 0 under CI without the background:
    # class 2 has no label and no prediction); its own gradient is then undefined too.
    for phi in ("CI", "BI"):
        add(
            f"variant_edge/leaf_own_set_undefined/{phi}",
            make_input(yb.shape, yb, pb, phi=phi, include_background=False, eps_nr=0.0, eps_dr=0.0,
                       variant="leaf", missing=[[0, 1]]),
        )
    # Softmax logits whose missing class underflows to probability 0.
    z = np.zeros((2, 3, 2, 2))
    z[:, 2] = -800.0
    z[:, 1] = np.array([[0.5, -0.25], [1.0, 0.0]])
    for variant in ("leaf", "marginal"):
        add(
            f"variant_edge/softmax_underflow/{variant}",
            make_input(y.shape, y, z, activation="softmax", eps_nr=1e-5, eps_dr=1e-5, variant=variant, missing=missing),
        )


def variant_author_cases():
    """The authors' settings, with the missing cells exactly their all-zero label channels,
    so their own loss (transcribed) is checked too."""
    for variant in ("leaf", "marginal"):
        for act in ("softmax", "none"):
            for rep_i in range(4):
                B, C = int(rng.integers(1, 5)), int(rng.integers(3, 5))
                shape = [B, C, int(rng.integers(2, 6)), int(rng.integers(2, 6))]
                k = rng.integers(1, C, size=(B, shape[2], shape[3]))
                k = np.where(rng.random(k.shape) < 0.5, 0, k)
                yk = np.zeros(shape)
                for c in range(C):
                    yk[:, c] = k == c
                cells = random_missing(shape, yk, True)
                # Present classes must show foreground (the authors infer "missing" from
                # an all-zero channel), and every image keeps one present class.
                for b in range(B):
                    for c in range(1, C):
                        if [b, c] not in cells and yk[b, c].sum() == 0:
                            i, j = int(rng.integers(0, shape[2])), int(rng.integers(0, shape[3]))
                            yk[b, :, i, j] = 0.0
                            yk[b, c, i, j] = 1.0
                    if all([b, c] in cells for c in range(1, C)):
                        cells.remove([b, 1])
                        yk[b, :, 0, 0] = 0.0
                        yk[b, 1, 0, 0] = 1.0
                cells = [[b, c] for b in range(B) for c in range(1, C) if yk[b, c].sum() == 0]
                if not cells:
                    continue
                pred = predictions(shape, "softmax", yk) if act == "softmax" else exclusive_probs(shape, yk)
                if variant == "leaf":
                    settings = dict(include_background=False, eps_nr=0.0, eps_dr=1e-7)
                else:
                    settings = dict(include_background=True, eps_nr=1e-7, eps_dr=1e-7)
                add(
                    f"variant_authors/{variant}/{act}/{rep_i}",
                    make_input(shape, yk, pred, phi="I", activation=act, variant=variant, missing=cells, **settings),
                )


def class_eps_cases():
    """One ε per class (Φ = I and BI), with and without the background, every activation,
    equal and unequal lists, a list beside a scalar."""
    for phi in ("I", "BI"):
        for incl in (True, False):
            for act in ACTS:
                for rep_i in range(2):
                    shape = random_shape("softmax", incl)
                    C = shape[1]
                    y = labels(shape, "onehot" if act == "softmax" or rep_i == 0 else "binary")
                    pred = predictions(shape, act, y)
                    choices = [0.0, 1e-7, 1e-5, 0.5, 3.0, 50.0]
                    nr = [choices[int(rng.integers(0, len(choices)))] for _ in range(C)]
                    dr = list(nr) if rep_i == 0 else [choices[int(rng.integers(0, len(choices)))] for _ in range(C)]
                    # ε_dr = 0 with an empty set and no prediction would be 0/0: keep it > 0.
                    dr = [d if d > 0 else 1e-7 for d in dr]
                    add(
                        f"class_eps/{phi}/bg{int(incl)}/{act}/{rep_i}",
                        make_input(shape, y, pred, phi=phi, include_background=incl, activation=act, eps_nr=nr, eps_dr=dr),
                    )
    shape = [2, 3, 3, 3]
    y = labels(shape, "onehot")
    z = predictions(shape, "softmax", y)
    add("class_eps/list_and_scalar", make_input(shape, y, z, phi="I", activation="softmax", eps_nr=[1.0, 2.0, 3.0], eps_dr=0.5))
    add("class_eps/with_preset", make_input(shape, y, z, preset="nnunet_batch", eps_nr=[0.0, 9.0, 12.4], eps_dr=[0.0, 9.0, 12.4]))


def ce_cases():
    """Dice + cross-entropy: softmax and binary forms, weights, Φ, MONAI's and nnU-Net's
    presets (MONAI's softmax CE under sigmoid=True with C > 1), per-class ε with CE."""
    for phi in PHIS:
        for act in ("softmax", "sigmoid"):
            for incl in (True, False):
                shape = random_shape("softmax", incl)
                y = labels(shape, "onehot")
                z = predictions(shape, act, y)
                mu, lam = [(1.0, 1.0), (0.5, 2.0), (0.0, 1.0), (2.0, 0.3)][int(rng.integers(0, 4))]
                add(
                    f"ce/{phi}/{act}/bg{int(incl)}",
                    make_input(shape, y, z, phi=phi, activation=act, include_background=incl, ce_weight=lam, dice_weight=mu),
                )
    for preset in ("monai_dice_ce", "nnunet_dice_ce", "nnunet_dice_ce_batch"):
        for rep_i in range(2):
            shape = random_shape("softmax", False)
            y = labels(shape, "onehot")
            z = predictions(shape, "softmax", y)
            add(f"ce_preset/{preset}/{rep_i}", make_input(shape, y, z, preset=preset))
    # MONAI's DiceCELoss(sigmoid=True) keeps the softmax CE when C > 1.
    for C in (1, 2, 3):
        shape = [2, C, 3, 4]
        y = labels(shape, "onehot" if C > 1 else "binary")
        z = predictions(shape, "sigmoid", y)
        add(f"ce_preset/monai_dice_ce/sigmoid/C{C}", make_input(shape, y, z, preset="monai_dice_ce", activation="sigmoid"))
    # The engine's own sigmoid + CE is the binary form, soft labels too.
    shape = [2, 2, 3, 3]
    y = labels(shape, "soft")
    z = predictions(shape, "sigmoid", y)
    add("ce/sigmoid_soft_labels", make_input(shape, y, z, activation="sigmoid", ce_weight=1.0))
    # Dice weight 0: the CE alone, even where the Dice would be 0/0.
    yz = np.zeros((2, 2, 2, 2))
    yz[:, 0] = 1.0
    zz = np.zeros((2, 2, 2, 2))
    zz[:, 1] = -800.0
    add("ce/dice_weight0_dice_undefined", make_input(yz.shape, yz, zz, activation="softmax", include_background=False,
                                                      eps_nr=0.0, eps_dr=0.0, ce_weight=1.0, dice_weight=0.0))
    # A saturated probability: ∂CE/∂ỹ undefined on that cell, ∂CE/∂z fine.
    y1 = np.zeros((1, 2, 1, 2))
    y1[0, 1] = 1.0
    y1[0, :, 0, 0] = [1.0, 0.0]  # pixel 0 is class 0, whose probability underflows to 0
    z1 = np.array([0.0, 0.0, 800.0, 0.0]).reshape(1, 2, 1, 2)
    add("ce/saturated_probability", make_input(y1.shape, y1, z1, activation="softmax", ce_weight=1.0))
    # Per-class ε with the CE.
    shape = [3, 3, 3, 3]
    y = labels(shape, "onehot")
    z = predictions(shape, "softmax", y)
    add("ce/class_eps", make_input(shape, y, z, phi="BI", activation="softmax", include_background=False,
                                   eps_nr=[0.0, 4.0, 7.5], eps_dr=[0.0, 4.0, 7.5], ce_weight=1.0))


def main():
    grid_cases()
    eps_cases()
    edge_cases()
    preset_cases()
    library_cases()
    # Appended after the others, so the cases above keep their random draws.
    variant_cases()
    variant_edge_cases()
    variant_author_cases()
    class_eps_cases()
    ce_cases()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc = json.dumps(CASES, allow_nan=False, separators=(",", ":"))
    OUT.write_text(doc + "\n")
    counts: dict[str, int] = {}
    for c in CASES:
        for lib in ("monai", "smp", "keras", "nnunetv2"):
            if any(x.startswith(lib) for x in c["checked_against"]):
                counts[lib] = counts.get(lib, 0) + 1
    print(f"wrote {len(CASES)} cases to {OUT.relative_to(ROOT)} ({len(doc) / 1e6:.2f} MB)")
    print("cases checked against each library:", counts)
    for note in LIB_NOTES:
        print("note:", note)


if __name__ == "__main__":
    sys.exit(main())
