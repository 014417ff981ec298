#!/usr/bin/env python3
"""Reference training runs for `dice train`: writes tests/fixtures/train_reference.json.

How to run (from anywhere; the output path is fixed relative to this file):

    pip install torch numpy
    python3 reference/train.py

Deterministic: a fixed numpy seed, single-threaded torch, float64 everywhere, fixed key
order, so two runs give the same file byte for byte. `cargo test --test train` runs every
case through `dice_playground::cli::train::train_str` and compares the loss history, the
final loss, the final parameters and the final prediction to abs 1e-12 + rel 1e-9, and the
step at which a run stops.

What is computed, independently of the Rust code:

* The Dice loss, written out here from its formula in PyTorch: the activation (sigmoid, or
  softmax over ALL classes) first, then class 0 dropped when include_background is false;
  per (b, c) cell V = Σy^p, Ṽ = Σỹ^p (p = 2 with "squared"), X = Σ y·ỹ, Σy; cells summed
  per reduction set (I: one (b, c); CI: one b; BI: one c; BCI: all); denominator V + Ṽ, or
  2(V + Ṽ − X) for Jaccard, plus ε_dr, clamped to the denominator_floor when one is set;
  sDSC = (2X + ε_nr)/denominator; term 1 − sDSC, times (Σy > 0) with zero_empty_sets; the
  loss is the mean of the terms. Before any training this function is checked against
  every case of tests/fixtures/reference.json (loss and ∂loss/∂pred, to abs 1e-12 +
  rel 1e-9; undefined exactly where that fixture says), so both fixtures follow the same
  conventions, presets included.
* The models: "pixels" (z is the parameter tensor), "linear" (z = w_c·x + β_c by
  broadcasting) and "conv3x3" (torch.nn.functional.conv2d with padding=1, a
  cross-correlation, weights C×1×3×3 flattened in (c, di, dj) order).
* The optimisers: torch.optim.SGD(lr) and torch.optim.Adam(lr, betas, eps), foreach=False
  (the CPU default), no weight decay; gradients by autograd through the whole chain.
* Stopping, as the engine does: at step t the loss at the current parameters is computed;
  if a set's denominator is exactly 0 the loss is undefined (0/0 or ε_nr/0) and the run
  stops at t; without an activation, a prediction outside [0, 1] also stops it at t. The
  losses recorded are L_0 … L_{t−1}; "final_loss" is L at the returned parameters (null
  when undefined there), "pred" the probabilities there (null if they are not valid).
* Margins the two implementations must not depend on: no logit (sigmoid) or logit minus
  the pixel's maximum (softmax) ever lies in [−746, −700], where exp() underflows and
  implementations may round differently to 0; the engine's "overflow" guard (values
  ≥ 1e300) is never reached; every recorded loss is finite.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "train_reference.json"
EVAL_FIXTURE = ROOT / "tests" / "fixtures" / "reference.json"
SEED = 20220918  # MICCAI 2022, Singapore

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
    "ce_weight": 0.0,
    "dice_weight": 1.0,
}

# The presets as their libraries define them (MONAI DiceLoss defaults and batch=True,
# nnU-Net v2 MemoryEfficientSoftDiceLoss, segmentation_models_pytorch DiceLoss, Keras Dice);
# the check against reference.json confirms they agree with that fixture.
PRESETS = {
    "monai": {},
    "monai_batch": {"phi": "BI"},
    "nnunet": {"include_background": False, "activation": "softmax", "denominator_floor": 1e-8},
    "nnunet_batch": {"phi": "BI", "include_background": False, "activation": "softmax", "denominator_floor": 1e-8},
    "smp": {
        "phi": "BI",
        "eps_nr": 0.0,
        "eps_dr": 0.0,
        "activation": "softmax",
        "denominator_floor": 1e-7,
        "zero_empty_sets": True,
    },
    "keras": {"phi": "BCI", "eps_nr": 0.0, "eps_dr": 1e-7},
}

# Dice + cross-entropy presets, apart from PRESETS so the cases that loop over PRESETS keep
# their random draws. "ce_form" "monai": MONAI DiceCELoss uses the softmax cross-entropy
# whenever there is more than one channel, whatever the activation of its Dice.
CE_PRESETS = {
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

rng = np.random.Generator(np.random.PCG64(SEED))


def settings_of(inp: dict) -> dict:
    s = dict(DEFAULTS)
    s["ce_form"] = "activation"
    if "preset" in inp:
        s.update({**PRESETS, **CE_PRESETS}[inp["preset"]])
    for k in DEFAULTS:
        if k in inp:
            s[k] = inp[k]
    return s


# --------------------------------------------------------------------------- the loss


def activate(z: torch.Tensor, act: str) -> torch.Tensor:
    if act == "sigmoid":
        return torch.sigmoid(z)
    if act == "softmax":
        return torch.softmax(z, dim=1)
    return z


def dice(y: torch.Tensor, prob: torch.Tensor, s: dict):
    """The loss and the per-set denominators and scores (for the stop rule and guards)."""
    first = 0 if s["include_background"] else 1
    yk, pk = y[:, first:], prob[:, first:]
    power = 2 if s["squared"] else 1
    cell = {
        "v": (yk**power).sum(dim=(2, 3)),
        "vp": (pk**power).sum(dim=(2, 3)),
        "x": (yk * pk).sum(dim=(2, 3)),
        "fg": yk.sum(dim=(2, 3)),
    }
    # Cells (B, K) to sets: I keeps them (b-major), CI sums classes, BI sums images.
    reduce = {
        "I": lambda t: t.reshape(-1),
        "CI": lambda t: t.sum(dim=1),
        "BI": lambda t: t.sum(dim=0),
        "BCI": lambda t: t.sum().reshape(1),
    }[s["phi"]]
    v, vp, x, fg = (reduce(cell[k]) for k in ("v", "vp", "x", "fg"))
    den = 2.0 * (v + vp - x) if s["jaccard"] else v + vp

    def eps(value):
        """A number, or one per class: each set's class value (I: b-major cells; BI: one
        set per class)."""
        if not isinstance(value, list):
            return value
        per_class = torch.tensor([float(e) for e in value[first:]])
        assert s["phi"] in ("I", "BI"), "per-class ε needs one class per set"
        return per_class.repeat(y.shape[0]) if s["phi"] == "I" else per_class

    den = den + eps(s["eps_dr"])
    if s["denominator_floor"] > 0:
        den = torch.clamp_min(den, s["denominator_floor"])
    num = 2.0 * x + eps(s["eps_nr"])
    sdsc = num / den
    term = 1.0 - sdsc
    if s["zero_empty_sets"]:
        term = term * (fg > 0).to(term.dtype)
    return term.mean(), den.detach(), num.detach(), sdsc.detach()


def objective(y: torch.Tensor, z: torch.Tensor, prob: torch.Tensor, s: dict):
    """μ·Dice + λ·CE (a weight-0 term left out): the CE on the logits z by
    torch.nn.functional.cross_entropy with class probabilities (softmax form) or
    binary_cross_entropy_with_logits, mean-reduced; the Dice's den/num/sdsc for the stops."""
    loss, den, num, sdsc = dice(y, prob, s)
    mu, lam = s["dice_weight"], s["ce_weight"]
    if mu == 1.0 and lam == 0.0:
        return loss, den, num, sdsc
    total = mu * loss if mu != 0 else torch.zeros(())
    if lam > 0:
        soft = y.shape[1] > 1 if s["ce_form"] == "monai" else s["activation"] == "softmax"
        if soft:
            ce = F.cross_entropy(z, y.to(z.dtype))
        else:
            ce = F.binary_cross_entropy_with_logits(z, y.to(z.dtype))
        total = total + lam * ce
    if mu == 0:
        # The Dice is left out: its 0/0 sets do not stop training.
        den = torch.ones_like(den)
    return total, den, num, sdsc


# --------------------------------------------------------------------------- mini-batches
#
# The shuffle of docs/training.md ("Mini-batches"), written out from its description:
# PCG64 (PCG XSL RR 128/64) started as rand_pcg's Pcg64::new(seed, stream), indices drawn
# by rejection, Fisher–Yates from the end; checked below against numpy's own PCG64 bit
# generator started in the same state.

PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645
MASK128 = (1 << 128) - 1
MASK64 = (1 << 64) - 1
STREAM_SHUFFLE = 1


class Pcg64:
    def __init__(self, seed: int, stream: int):
        self.inc = ((stream << 1) | 1) & MASK128
        self.state = ((seed + self.inc) * PCG_MULT + self.inc) & MASK128

    def next_u64(self) -> int:
        self.state = (self.state * PCG_MULT + self.inc) & MASK128
        rot = self.state >> 122
        xsl = ((self.state >> 64) ^ self.state) & MASK64
        return ((xsl >> rot) | (xsl << (64 - rot))) & MASK64

    def below(self, n: int) -> int:
        surplus = (1 << 64) % n
        while True:
            x = self.next_u64()
            if x >= surplus:
                return x % n


def check_pcg_against_numpy():
    g = Pcg64(12345, STREAM_SHUFFLE)
    bg = np.random.PCG64()
    st = bg.state
    st["state"] = {"state": g.state, "inc": g.inc}
    bg.state = st
    assert [g.next_u64() for _ in range(8)] == [int(v) for v in bg.random_raw(8)], "PCG64 differs from numpy's"


def shuffled_batches(n_images: int, size: int, seed: int, steps: int) -> list[list[int]]:
    """Every epoch: 0..B−1 shuffled (Fisher–Yates from the end), cut into batches of size."""
    rng_ = Pcg64(seed, STREAM_SHUFFLE)
    out: list[list[int]] = []
    while len(out) < steps:
        order = list(range(n_images))
        for i in range(n_images - 1, 0, -1):
            j = rng_.below(i + 1)
            order[i], order[j] = order[j], order[i]
        out.extend(order[k : k + size] for k in range(0, n_images, size))
    return out[:steps]


def batches_of(inp: dict):
    """The images of each step, or None for full batch."""
    if "batches" in inp:
        lists = inp["batches"]
        return [lists[t % len(lists)] for t in range(inp["steps"])]
    if "batch_size" in inp:
        return shuffled_batches(inp["shape"][0], inp["batch_size"], inp.get("shuffle_seed", 0), inp["steps"])
    return None


def close(a: float, b: float) -> bool:
    return abs(a - b) <= ABS_TOL + REL_TOL * abs(b)


def check_against_eval_fixture() -> int:
    """The loss above against every case of the evaluation fixture."""
    cases = json.loads(EVAL_FIXTURE.read_text())
    # The leaf and marginal Dice are not trained here; their cases are left out.
    cases = [c for c in cases if c["input"].get("variant", "dice") == "dice"]
    for case in cases:
        inp, exp = case["input"], case["expected"]
        s = settings_of(inp)
        shape = inp["shape"]
        y = torch.tensor(inp["y"]).reshape(shape)
        pred = torch.tensor(inp["pred"]).reshape(shape).requires_grad_(True)
        loss, den, _, _ = objective(y, pred, activate(pred, s["activation"]), s)
        undefined = bool((den == 0).any())
        if undefined or exp["loss"] is None:
            assert undefined and exp["loss"] is None, case["name"]
            continue
        loss.backward()
        value = float(loss.detach())
        assert close(value, exp["loss"]), (case["name"], value, exp["loss"])
        for i, (g, w) in enumerate(zip(pred.grad.reshape(-1).tolist(), exp["grad"])):
            assert w is not None and close(g, w), (case["name"], i, g, w)
    return len(cases)


# --------------------------------------------------------------------------- models


class Net:
    def __init__(self, kind: str, inp: dict):
        B, C, H, W = inp["shape"]
        self.kind = kind
        m = inp["model"]
        if kind == "pixels":
            self.z = torch.tensor(inp["pred"]).reshape(B, C, H, W).requires_grad_(True)
            self.params = [self.z]
        else:
            self.x = torch.tensor(inp["x"]).reshape(B, H, W)
            shape = (C,) if kind == "linear" else (C, 1, 3, 3)
            self.w = torch.tensor(m["w"]).reshape(shape).requires_grad_(True)
            self.b = torch.tensor(m["b"]).requires_grad_(True)
            self.params = [self.w, self.b]

    def logits(self, idx=None) -> torch.Tensor:
        """The logits of all images, or of images `idx` in that order (indexing keeps the
        gradient of the other pixel logits at zero, as a mini-batch does in PyTorch)."""
        sel = (lambda t: t) if idx is None else (lambda t: t[torch.tensor(idx)])
        if self.kind == "pixels":
            return sel(self.z)
        x = sel(self.x)
        if self.kind == "linear":
            return self.w[None, :, None, None] * x[:, None] + self.b[None, :, None, None]
        return F.conv2d(x[:, None], self.w, self.b, padding=1)

    def as_json(self) -> dict:
        if self.kind == "pixels":
            return {"kind": "pixels", "z": self.z.detach().reshape(-1).tolist()}
        return {"kind": self.kind, "w": self.w.detach().reshape(-1).tolist(), "b": self.b.detach().tolist()}


def optimizer_of(spec: dict, params):
    if spec["kind"] == "sgd":
        return torch.optim.SGD(params, lr=spec["lr"], foreach=False)
    betas = tuple(spec.get("betas", (0.9, 0.999)))
    return torch.optim.Adam(params, lr=spec["lr"], betas=betas, eps=spec.get("eps", 1e-8), foreach=False)


def check_margins(z: torch.Tensor, act: str, name: str, step: int):
    zd = z.detach()
    if act == "softmax":
        zd = zd - zd.max(dim=1, keepdim=True).values
    elif act != "sigmoid":
        return
    band = ((zd >= -746) & (zd <= -700)).any()
    assert not bool(band), f"{name}: a logit at step {step} lies where exp() underflows"


def train(name: str, inp: dict) -> dict:
    if batches_of(inp) is not None:
        return train_mini_batches(name, inp)
    s = settings_of(inp)
    shape = inp["shape"]
    y = torch.tensor(inp["y"]).reshape(shape)
    net = Net(inp["model"]["kind"], inp)
    opt = optimizer_of(inp["optimizer"], net.params)
    losses, stopped, final_loss, pred = [], None, None, None
    n_sets = None
    for t in range(inp["steps"] + 1):
        opt.zero_grad()
        z = net.logits()
        check_margins(z, s["activation"], name, t)
        prob = activate(z, s["activation"])
        pd = prob.detach()
        if s["activation"] == "none" and not bool(((pd >= 0) & (pd <= 1)).all()):
            stopped = {"step": t, "reason_contains": "must lie in [0, 1]"}
            pred = None  # not probabilities
            break
        loss, den, num, sdsc = objective(y, z, prob, s)
        n_sets = len(den)
        pred = pd.reshape(-1).tolist()
        if bool((den == 0).any()):
            zero_num = bool((num[den == 0] == 0).all())
            stopped = {"step": t, "reason_contains": "0/0" if zero_num else "ε_nr/0"}
            break
        # The engine's overflow guard must stay out of play.
        assert float(sdsc.abs().max()) < 1e250 and float((num / den / den).abs().max()) < 1e250, name
        assert float((2.0 / n_sets / den).max()) < 1e250, name
        value = float(loss.detach())
        assert math.isfinite(value), (name, t)
        if t == inp["steps"]:
            final_loss = value
            break
        losses.append(value)
        loss.backward()
        opt.step()
        for p in net.params:
            assert bool(torch.isfinite(p).all()), (name, t)
    return {
        "loss": losses,
        "final_loss": final_loss,
        "model": net.as_json(),
        "pred": pred,
        "stopped": stopped,
    }


def train_mini_batches(name: str, inp: dict) -> dict:
    """Step t: the loss of mini-batch t (its images in order, the Dice sets formed among
    them) at the current parameters, then one optimiser step on all parameters (one group:
    those the batch did not touch get a zero gradient). A batch whose loss is undefined,
    or whose prediction leaves [0, 1] without an activation, stops the run at t.
    final_loss and pred are over all images at the final parameters."""
    s = settings_of(inp)
    shape = inp["shape"]
    y = torch.tensor(inp["y"]).reshape(shape)
    net = Net(inp["model"]["kind"], inp)
    opt = optimizer_of(inp["optimizer"], net.params)
    batches = batches_of(inp)
    losses, used, stopped = [], [], None
    for t in range(inp["steps"]):
        idx = batches[t]
        opt.zero_grad()
        z = net.logits(idx)
        check_margins(z, s["activation"], name, t)
        prob = activate(z, s["activation"])
        pd = prob.detach()
        if s["activation"] == "none" and not bool(((pd >= 0) & (pd <= 1)).all()):
            stopped = {"step": t, "reason_contains": "must lie in [0, 1]"}
            break
        loss, den, num, sdsc = objective(y[torch.tensor(idx)], z, prob, s)
        if bool((den == 0).any()):
            zero_num = bool((num[den == 0] == 0).all())
            stopped = {"step": t, "reason_contains": "0/0" if zero_num else "ε_nr/0"}
            break
        value = float(loss.detach())
        assert math.isfinite(value), (name, t)
        losses.append(value)
        used.append(list(idx))
        loss.backward()
        opt.step()
        for p in net.params:
            assert bool(torch.isfinite(p).all()), (name, t)
    with torch.no_grad():
        z = net.logits()
        check_margins(z, s["activation"], name, len(losses))
        prob = activate(z, s["activation"])
        valid = s["activation"] != "none" or bool(((prob >= 0) & (prob <= 1)).all())
        final_loss, pred = None, None
        if valid:
            loss, den, _, _ = objective(y, z, prob, s)
            pred = prob.reshape(-1).tolist()
            if not bool((den == 0).any()):
                final_loss = float(loss)
    return {
        "loss": losses,
        "final_loss": final_loss,
        "model": net.as_json(),
        "pred": pred,
        "stopped": stopped,
        "batches": used,
    }


# --------------------------------------------------------------------------- inputs


def r4(a) -> list:
    """Rounded to 4 decimals so the JSON input is exact."""
    return [round(float(v), 4) for v in np.asarray(a).reshape(-1)]


def labels(shape, act: str) -> np.ndarray:
    B, C, H, W = shape
    if act == "softmax":
        k = rng.integers(0, C, size=(B, H, W))
        return np.moveaxis(np.eye(C)[k], -1, 1)
    return (rng.random(shape) < 0.35).astype(float)


def image(shape) -> np.ndarray:
    B, _, H, W = shape
    return rng.random((B, H, W))


CASES: list[dict] = []


def add(name: str, inp: dict, keep_pred: bool = True):
    expected = train(name, inp)
    if not keep_pred:
        expected.pop("pred")
    CASES.append({"name": name, "input": inp, "expected": expected})


def case_input(shape, model: dict, optimizer: dict, steps: int, act: str, y=None, x=None, pred=None, **settings):
    y = labels(shape, act) if y is None else y
    inp = {"shape": list(shape), "y": [int(v) if float(v).is_integer() else v for v in r4(y)], "activation": act}
    inp.update(settings)
    if model["kind"] == "pixels":
        if pred is None:
            pred = rng.uniform(0.05, 0.95, shape) if act == "none" else rng.normal(0.0, 1.5, shape)
        inp["pred"] = r4(pred)
    else:
        inp["x"] = r4(image(shape) if x is None else x)
    inp["model"] = model
    inp["optimizer"] = optimizer
    inp["steps"] = steps
    return inp


def shared(kind: str, C: int, scale: float = 1.0) -> dict:
    n = C * (1 if kind == "linear" else 9)
    return {"kind": kind, "w": r4(rng.normal(0, scale, n)), "b": r4(rng.normal(0, 0.5, C))}


def pixel_cases():
    add(
        "pixels/sgd/none/I",
        case_input([2, 2, 4, 5], {"kind": "pixels"}, {"kind": "sgd", "lr": 0.1}, 25, "none"),
    )
    add(
        "pixels/sgd/sigmoid/BI",
        case_input([3, 2, 4, 4], {"kind": "pixels"}, {"kind": "sgd", "lr": 20.0}, 40, "sigmoid", phi="BI"),
    )
    add(
        "pixels/adam/softmax/I/bg0/eps1e-7",
        case_input(
            [2, 3, 5, 4], {"kind": "pixels"}, {"kind": "adam", "lr": 0.05}, 30, "softmax",
            phi="I", include_background=False, eps_nr=1e-7, eps_dr=1e-7,
        ),
    )
    add(
        "pixels/adam/sigmoid/BCI/squared",
        case_input(
            [2, 2, 3, 3], {"kind": "pixels"}, {"kind": "adam", "lr": 0.1, "betas": [0.8, 0.95], "eps": 1e-6},
            30, "sigmoid", phi="BCI", squared=True,
        ),
    )
    add(
        "pixels/sgd/softmax/CI/jaccard",
        case_input([2, 3, 3, 4], {"kind": "pixels"}, {"kind": "sgd", "lr": 10.0}, 30, "softmax", phi="CI", jaccard=True),
    )
    # Without an activation a large step takes a probability out of [0, 1]: a stop.
    add(
        "pixels/sgd/none/leaves_unit_interval",
        case_input([1, 2, 3, 3], {"kind": "pixels"}, {"kind": "sgd", "lr": 40.0}, 20, "none"),
    )
    add(
        "pixels/adam/none/BI",
        case_input(
            [2, 2, 3, 3], {"kind": "pixels"}, {"kind": "adam", "lr": 0.002}, 20, "none",
            phi="BI", pred=rng.uniform(0.3, 0.7, (2, 2, 3, 3)),
        ),
    )


def shared_cases():
    for kind in ("linear", "conv3x3"):
        for i, (phi, act, bg, eps, opt, steps) in enumerate(
            (
                ("I", "softmax", False, 1e-7, {"kind": "adam", "lr": 0.1}, 40),
                ("BI", "softmax", False, 1e-7, {"kind": "adam", "lr": 0.1}, 40),
                ("I", "sigmoid", True, 1e-5, {"kind": "sgd", "lr": 3.0}, 40),
                ("CI", "sigmoid", False, 1.0, {"kind": "sgd", "lr": 5.0}, 30),
                ("BCI", "softmax", True, 1e-5, {"kind": "adam", "lr": 0.03, "betas": [0.5, 0.99], "eps": 1e-6}, 30),
            )
        ):
            C = 2 if i % 2 == 0 else 3
            shape = [int(rng.integers(1, 4)), C, int(rng.integers(3, 8)), int(rng.integers(3, 8))]
            add(
                f"{kind}/{opt['kind']}/{act}/{phi}/bg{int(bg)}/eps{eps:g}",
                case_input(shape, shared(kind, C), opt, steps, act, phi=phi, include_background=bg, eps_nr=eps, eps_dr=eps),
            )
        # Variants of the loss.
        for name, extra in (
            ("squared", {"squared": True}),
            ("jaccard", {"jaccard": True}),
            ("jaccard_squared", {"jaccard": True, "squared": True}),
            ("unequal_eps", {"eps_nr": 0.5, "eps_dr": 1e-3}),
            ("floor", {"eps_nr": 0.0, "eps_dr": 0.0, "denominator_floor": 1e-3}),
            ("zero_empty_sets", {"zero_empty_sets": True, "eps_nr": 0.0, "eps_dr": 0.0, "denominator_floor": 1e-7}),
        ):
            shape = [2, 3, 4, 5]
            y = labels(shape, "softmax")
            y[1, 2] = 0.0  # a class absent from image 1 …
            y[1, 0] = 1.0 - y[1, 1]  # … still one-hot
            add(
                f"{kind}/adam/softmax/BI/{name}",
                case_input(shape, shared(kind, 3), {"kind": "adam", "lr": 0.05}, 25, "softmax", y=y, phi="BI", **extra),
            )
        for preset in PRESETS:
            shape = [2, 2, 4, 4]
            add(
                f"{kind}/adam/preset/{preset}",
                case_input(shape, shared(kind, 2), {"kind": "adam", "lr": 0.05}, 20, "softmax", preset=preset),
            )
    # Edge shapes: one row, one column, one pixel; no steps at all.
    for shape in ([1, 2, 1, 7], [2, 2, 6, 1], [1, 2, 1, 1]):
        add(
            f"conv3x3/sgd/sigmoid/shape{'x'.join(map(str, shape))}",
            case_input(shape, shared("conv3x3", 2), {"kind": "sgd", "lr": 2.0}, 15, "sigmoid"),
        )
    add("linear/adam/softmax/steps0", case_input([2, 2, 3, 3], shared("linear", 2), {"kind": "adam", "lr": 0.1}, 0, "softmax"))


def bar_and_black():
    """Image 0: a labelled bar at intensity 1; image 1: black, unlabelled (x = 0)."""
    x = np.zeros((2, 3, 4))
    y = np.zeros((2, 1, 3, 4))
    x[0, 1, :2] = 1.0
    y[0, 0, 1, :2] = 1.0
    return x, y


def undefined_cases():
    x, y = bar_and_black()
    lin = {"kind": "linear", "w": [1.0], "b": [0.0]}
    # ε in the numerator only: the black image's term 1 − ε_nr/Ṽ pushes β ever harder as Ṽ
    # shrinks, until ỹ underflows to 0 there and the term is ε_nr/0 (a mid-run stop).
    add(
        "undefined/eps_nr_over_zero_mid_run",
        case_input([2, 1, 3, 4], lin, {"kind": "sgd", "lr": 20.0}, 50, "sigmoid", y=y, x=x, phi="I", eps_nr=1.0, eps_dr=0.0),
    )
    # ε = 0: the empty set gives no push, but one huge step empties it: 0/0 at step 1.
    add(
        "undefined/zero_over_zero_after_a_jump",
        case_input([2, 1, 3, 4], lin, {"kind": "sgd", "lr": 1e5}, 10, "sigmoid", y=y, x=x, phi="I", eps_nr=0.0, eps_dr=0.0),
    )
    # Undefined from the start.
    add(
        "undefined/at_step_0",
        case_input(
            [1, 2, 2, 2], {"kind": "pixels"}, {"kind": "sgd", "lr": 1.0}, 5, "none",
            y=np.zeros((1, 2, 2, 2)), pred=np.zeros((1, 2, 2, 2)), eps_nr=0.0, eps_dr=0.0,
        ),
    )


# The lesson scenes of engine/src/train/scenes.rs, rebuilt here from their description:
# 32×32 images, discs (centre row, centre column, radius) over pixel centres (i + ½, j + ½).
SIZE = 32
ANNOTATED_DISCS = [(11.0, 11.0, 6.0), (20.0, 19.0, 7.0)]
UNANNOTATED_DISC = (15.0, 16.0, 6.5)
DISTRACTOR_DISC = (22.0, 9.0, 3.0)


def disc(ci, cj, r):
    i = np.arange(SIZE)[:, None] + 0.5
    j = np.arange(SIZE)[None, :] + 0.5
    return (i - ci) ** 2 + (j - cj) ** 2 <= r * r


def scene(roles):
    B = len(roles)
    x = np.zeros((B, SIZE, SIZE))
    y = np.zeros((B, 2, SIZE, SIZE))
    annotated = 0
    for b, role in enumerate(roles):
        if role == "annotated":
            m = disc(*ANNOTATED_DISCS[annotated % 2])
            annotated += 1
            x[b][m] = 1.0
            y[b, 1][m] = 1.0
        elif role == "unannotated":
            m = disc(*UNANNOTATED_DISC)
            x[b][m] = 0.8
        else:
            m = disc(*DISTRACTOR_DISC)
            x[b][m] = 0.6
    y[:, 0] = 1.0 - y[:, 1]
    return x, y


def scene_cases():
    roles = ["annotated", "annotated", "unannotated", "empty"]
    x, y = scene(roles)
    heuristic = float(y[:, 1].sum() / len(roles))
    conv_w = [0.0] * 18
    conv_w[9 + 4] = 12.0
    starts = {
        "linear": {"kind": "linear", "w": [0.0, 12.0], "b": [0.0, -6.0]},
        "conv3x3": {"kind": "conv3x3", "w": conv_w, "b": [0.0, -6.0]},
    }
    for kind, phi, eps in (("conv3x3", "BI", 1e-7), ("linear", "I", heuristic), ("conv3x3", "I", 1e-7)):
        add(
            f"scene/mixed/{kind}/{phi}/eps{eps:g}",
            case_input(
                [4, 2, SIZE, SIZE], starts[kind], {"kind": "adam", "lr": 0.2}, 100, "softmax",
                y=y, x=x, phi=phi, eps_nr=eps, eps_dr=eps, include_background=False,
            ),
            keep_pred=False,
        )


def mini_batch_cases():
    """Mini-batches (explicit lists and the seeded shuffle), per-class ε, Dice + CE."""
    add(
        "mini_batch/pixels/adam/softmax/BI/lists",
        case_input(
            [3, 2, 3, 3], {"kind": "pixels"}, {"kind": "adam", "lr": 0.05}, 20, "softmax",
            phi="BI", batches=[[0, 1], [2], [1, 2, 0]],
        ),
    )
    add(
        "mini_batch/pixels/sgd/sigmoid/I/lists",
        case_input([3, 2, 3, 2], {"kind": "pixels"}, {"kind": "sgd", "lr": 5.0}, 12, "sigmoid", batches=[[2], [0, 2]]),
    )
    add(
        "mini_batch/linear/adam/softmax/BI/shuffle_partial_last",
        case_input(
            [5, 2, 4, 4], shared("linear", 2), {"kind": "adam", "lr": 0.1}, 30, "softmax",
            phi="BI", include_background=False, eps_nr=1e-7, eps_dr=1e-7, batch_size=2, shuffle_seed=7,
        ),
    )
    add(
        "mini_batch/conv3x3/adam/softmax/I/shuffle",
        case_input(
            [4, 3, 5, 5], shared("conv3x3", 3), {"kind": "adam", "lr": 0.05}, 25, "softmax",
            include_background=False, batch_size=3, shuffle_seed=11,
        ),
    )
    add(
        "mini_batch/conv3x3/sgd/sigmoid/BI/lists",
        case_input(
            [4, 2, 4, 5], shared("conv3x3", 2), {"kind": "sgd", "lr": 3.0}, 20, "sigmoid",
            phi="BI", batches=[[3, 1], [0], [2, 3, 1]],
        ),
    )
    add(
        "mini_batch/linear/adam/softmax/BCI/whole_batch_shuffled",
        case_input(
            [3, 2, 3, 4], shared("linear", 2), {"kind": "adam", "lr": 0.05}, 15, "softmax",
            phi="BCI", batch_size=3, shuffle_seed=2**64 - 1,
        ),
    )
    # A mini-batch made of an empty image with no prediction and ε = 0: 0/0 at step 1.
    y = np.zeros((2, 1, 2, 2))
    y[0, 0, 0] = 1.0
    p = np.zeros((2, 1, 2, 2))
    p[0, 0] = 0.5
    add(
        "mini_batch/undefined_batch_stops",
        case_input(
            [2, 1, 2, 2], {"kind": "pixels"}, {"kind": "sgd", "lr": 0.1}, 5, "none",
            y=y, pred=p, eps_nr=0.0, eps_dr=0.0, batches=[[0], [1]],
        ),
    )
    # The lesson scene with the paper's axis: BI at batch 2 against full batch.
    roles = ["annotated", "annotated", "unannotated", "empty"]
    x, y = scene(roles)
    conv_w = [0.0] * 18
    conv_w[9 + 4] = 12.0
    add(
        "mini_batch/scene/mixed/conv3x3/BI/batch2",
        case_input(
            [4, 2, SIZE, SIZE], {"kind": "conv3x3", "w": conv_w, "b": [0.0, -6.0]}, {"kind": "adam", "lr": 0.2},
            60, "softmax", y=y, x=x, phi="BI", eps_nr=1e-7, eps_dr=1e-7, include_background=False,
            batch_size=2, shuffle_seed=3,
        ),
        keep_pred=False,
    )
    # Per-class ε: the authors' heuristic (mean label volume per image, per class).
    shape = [3, 3, 4, 5]
    yl = labels(shape, "softmax")
    heur = [round(float(v), 4) for v in yl.sum(axis=(0, 2, 3)) / shape[0]]
    for kind, phi in (("linear", "I"), ("conv3x3", "BI")):
        add(
            f"class_eps/{kind}/adam/softmax/{phi}/heuristic",
            case_input(
                shape, shared(kind, 3), {"kind": "adam", "lr": 0.05}, 25, "softmax", y=yl,
                phi=phi, include_background=False, eps_nr=heur, eps_dr=heur,
            ),
        )
    add(
        "class_eps/linear/sgd/sigmoid/I/unequal",
        case_input(
            [2, 3, 3, 3], shared("linear", 3), {"kind": "sgd", "lr": 2.0}, 20, "sigmoid",
            eps_nr=[0.0, 1.0, 5.0], eps_dr=[1e-7, 2.0, 5.0],
        ),
    )
    add(
        "class_eps/conv3x3/adam/softmax/BI/mini_batch",
        case_input(
            [4, 3, 4, 4], shared("conv3x3", 3), {"kind": "adam", "lr": 0.05}, 20, "softmax",
            phi="BI", include_background=False, eps_nr=[0.0, 3.0, 6.0], eps_dr=[0.0, 3.0, 6.0],
            batch_size=2, shuffle_seed=5,
        ),
    )
    # Dice + cross-entropy.
    for kind, act, mu, lam in (("conv3x3", "softmax", 1.0, 1.0), ("linear", "sigmoid", 0.5, 2.0), ("conv3x3", "softmax", 0.0, 1.0)):
        add(
            f"ce/{kind}/adam/{act}/mu{mu:g}/lambda{lam:g}",
            case_input(
                [3, 3, 4, 4], shared(kind, 3), {"kind": "adam", "lr": 0.05}, 25, act,
                include_background=False, ce_weight=lam, dice_weight=mu,
            ),
        )
    add(
        "ce/conv3x3/adam/preset/monai_dice_ce/sigmoid",
        case_input([2, 3, 4, 4], shared("conv3x3", 3), {"kind": "adam", "lr": 0.05}, 20, "sigmoid", preset="monai_dice_ce"),
    )
    add(
        "ce/linear/sgd/preset/nnunet_dice_ce",
        case_input([2, 3, 3, 4], shared("linear", 3), {"kind": "sgd", "lr": 1.0}, 20, "softmax", preset="nnunet_dice_ce"),
    )
    add(
        "ce/conv3x3/adam/preset/nnunet_dice_ce_batch/mini_batch",
        case_input(
            [4, 3, 4, 4], shared("conv3x3", 3), {"kind": "adam", "lr": 0.05}, 20, "softmax",
            preset="nnunet_dice_ce_batch", batches=[[0, 1], [2, 3], [3, 0]],
        ),
    )


def main():
    check_pcg_against_numpy()
    checked = check_against_eval_fixture()
    pixel_cases()
    shared_cases()
    undefined_cases()
    scene_cases()
    # Appended after the others, so the cases above keep their random draws.
    mini_batch_cases()
    stops = sum(c["expected"]["stopped"] is not None for c in CASES)
    doc = {
        "generated_by": "reference/train.py",
        "torch": torch.__version__.split("+")[0],
        "cases": CASES,
    }
    text = json.dumps(doc, allow_nan=False, separators=(",", ":"))
    OUT.write_text(text + "\n")
    print(f"loss checked against {checked} cases of {EVAL_FIXTURE.relative_to(ROOT)}")
    print(f"wrote {len(CASES)} cases ({stops} stop early) to {OUT.relative_to(ROOT)} ({len(text) / 1e6:.2f} MB)")
    for c in CASES:
        e = c["expected"]
        print(f"  {c['name']:<45} steps {len(e['loss']):>3}  final {e['final_loss']}  stopped {e['stopped']}")


if __name__ == "__main__":
    sys.exit(main())
