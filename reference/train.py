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

rng = np.random.Generator(np.random.PCG64(SEED))


def settings_of(inp: dict) -> dict:
    s = dict(DEFAULTS)
    if "preset" in inp:
        s.update(PRESETS[inp["preset"]])
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
    den = den + s["eps_dr"]
    if s["denominator_floor"] > 0:
        den = torch.clamp_min(den, s["denominator_floor"])
    num = 2.0 * x + s["eps_nr"]
    sdsc = num / den
    term = 1.0 - sdsc
    if s["zero_empty_sets"]:
        term = term * (fg > 0).to(term.dtype)
    return term.mean(), den.detach(), num.detach(), sdsc.detach()


def close(a: float, b: float) -> bool:
    return abs(a - b) <= ABS_TOL + REL_TOL * abs(b)


def check_against_eval_fixture() -> int:
    """The loss above against every case of the evaluation fixture."""
    cases = json.loads(EVAL_FIXTURE.read_text())
    for case in cases:
        inp, exp = case["input"], case["expected"]
        s = settings_of(inp)
        shape = inp["shape"]
        y = torch.tensor(inp["y"]).reshape(shape)
        pred = torch.tensor(inp["pred"]).reshape(shape).requires_grad_(True)
        loss, den, _, _ = dice(y, activate(pred, s["activation"]), s)
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

    def logits(self) -> torch.Tensor:
        if self.kind == "pixels":
            return self.z
        if self.kind == "linear":
            return self.w[None, :, None, None] * self.x[:, None] + self.b[None, :, None, None]
        return F.conv2d(self.x[:, None], self.w, self.b, padding=1)

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
        loss, den, num, sdsc = dice(y, prob, s)
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


# The lesson scenes of src/engine/train/scenes.rs, rebuilt here from their description:
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


def main():
    checked = check_against_eval_fixture()
    pixel_cases()
    shared_cases()
    undefined_cases()
    scene_cases()
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
