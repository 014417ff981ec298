#!/usr/bin/env python3
"""Checks `dice eval --y FILE --pred FILE` against files written by nibabel and numpy.

Not part of the tests (CI has neither library); tests/cli_files.rs writes the same layouts
by hand. Run after `cargo build --release --bin dice`:

    pip install numpy nibabel
    python3 reference/files.py [path/to/dice]

Every case is written by the library itself, read back by the library (nibabel's
get_fdata(), np.load) and by `dice eval`; the loss and every gradient value must agree to
1e-12 with the Dice computed here in numpy (image-wise Φ, MONAI's ε = 1e-5), and the files
`dice` must refuse are refused with exit 2 and one line.
"""

import json
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np

DICE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "target", "release", "dice")
EPS = 1e-5


def dice_grad(y, p):
    """Loss and ∂L/∂ỹ of the image-wise Dice over a [B, C, ...] pair (one set per b, c)."""
    b, c = y.shape[:2]
    yf, pf = y.reshape(b, c, -1), p.reshape(b, c, -1)
    x = (yf * pf).sum(-1)
    u = yf.sum(-1) + pf.sum(-1) + EPS
    s = (2 * x + EPS) / u
    n = b * c
    grad = -(2 * yf - s[..., None]) / u[..., None] / n
    return 1 - s.mean(), grad.reshape(y.shape)


def run(*args):
    return subprocess.run([DICE, "eval", *args], capture_output=True, text=True)


def check(name, y_path, p_path, y, p):
    out = run("--y", y_path, "--pred", p_path)
    assert out.returncode == 0, f"{name}: {out.stderr}"
    o = json.loads(out.stdout)
    loss, grad = dice_grad(y, p)
    g = np.array(o["grad"])
    assert abs(o["loss"] - loss) < 1e-12, (name, o["loss"], loss)
    assert np.abs(g - grad.ravel()).max() < 1e-12, name
    print(f"ok  {name}: loss {o['loss']:.12f} (numpy {loss:.12f}), {g.size} gradient values")


def refused(name, args, needle):
    out = run(*args)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and needle in out.stderr, (
        name, out.returncode, out.stderr)
    print(f"ok  {name}: refused: {out.stderr.strip()[:150]}")


def main():
    rng = np.random.default_rng(7)
    tmp = tempfile.mkdtemp(prefix="dice-files-")
    at = lambda n: os.path.join(tmp, n)
    shape = (9, 7, 5)
    mask = (rng.random(shape) < 0.3).astype(np.uint8)
    prob = rng.random(shape).astype(np.float32)

    # NIfTI pairs: plain, padded header (vox_offset 512, 1024), big-endian, gzip, scaled.
    for tag, offset, endian, ext in [
        ("plain", None, "<", "nii"),
        ("padded", 512, "<", "nii"),
        ("padded-1024-big-endian", 1024, ">", "nii"),
        ("padded-gz", 512, "<", "nii.gz"),
    ]:
        paths = []
        for kind, data in [("label", mask), ("prob", prob)]:
            hdr = nib.Nifti1Header(endianness=endian)
            img = nib.Nifti1Image(data, np.eye(4), header=hdr)
            if offset:
                img.header.set_data_offset(offset)
            path = at(f"{tag}-{kind}.{ext}")
            nib.save(img, path)
            back = nib.load(path)
            assert back.dataobj.offset == (offset or 352), back.dataobj.offset
            paths.append(path)
        y = nib.load(paths[0]).get_fdata()[None, None]
        p = nib.load(paths[1]).get_fdata()[None, None]
        check(f"NIfTI {tag}", *paths, y, p)

    # Integer data with scl_slope / scl_inter (nibabel scales uint8 on load).
    raw = (rng.random(shape) * 200).astype(np.uint8)
    img = nib.Nifti1Image(raw, np.eye(4))
    img.header.set_data_dtype(np.uint8)
    img.header.set_slope_inter(0.004, 0.1)
    img.header.set_data_offset(608)
    nib.save(img, at("scaled.nii"))
    p = nib.load(at("scaled.nii")).get_fdata()
    assert abs(p.max() - (0.1 + 0.004 * raw.max())) < 1e-6, "nibabel kept the scaling"
    nib.save(nib.Nifti1Image(mask, np.eye(4)), at("mask.nii"))
    check("NIfTI scaled uint8", at("mask.nii"), at("scaled.nii"), mask[None, None] * 1.0,
          p[None, None])

    # A 4-D probability map (X, Y, Z, C) is [1, C, X, Y, Z].
    probs4 = rng.random(shape + (3,)).astype(np.float64)
    labels4 = (rng.random(shape + (3,)) < 0.3).astype(np.float32)
    nib.save(nib.Nifti1Image(probs4, np.eye(4)), at("probs4.nii.gz"))
    nib.save(nib.Nifti1Image(labels4, np.eye(4)), at("labels4.nii.gz"))
    y = np.moveaxis(nib.load(at("labels4.nii.gz")).get_fdata(), 3, 0)[None]
    p = np.moveaxis(nib.load(at("probs4.nii.gz")).get_fdata(), 3, 0)[None]
    check("NIfTI 4-D (x, y, z, c)", at("labels4.nii.gz"), at("probs4.nii.gz"), y, p)

    # Refused: a truncated file, RGB data, an offset inside the header.
    nib.save(nib.Nifti1Image(prob, np.eye(4)), at("full.nii"))
    with open(at("full.nii"), "rb") as f:
        data = f.read()
    with open(at("cut.nii"), "wb") as f:
        f.write(data[:-100])
    refused("NIfTI cut short", ["--y", at("mask.nii"), "--pred", at("cut.nii")], "cut short")
    rgb = np.zeros(shape, dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    nib.save(nib.Nifti1Image(rgb, np.eye(4)), at("rgb.nii"))
    refused("NIfTI RGB24", ["--y", at("mask.nii"), "--pred", at("rgb.nii")], "RGB24")

    # numpy: C and Fortran order, big-endian, bool, .npz stored and compressed.
    y = (rng.random((2, 3, 6, 5)) < 0.4)
    p = rng.random((2, 3, 6, 5))
    np.save(at("y.npy"), y)
    np.save(at("p.npy"), np.asfortranarray(p.astype(">f8")))
    check("npy bool + Fortran big-endian f8", at("y.npy"), at("p.npy"), y * 1.0, p)
    np.savez(at("b.npz"), y=y.astype(np.int16), pred=p.astype(np.float32))
    np.savez_compressed(at("c.npz"), y=y.astype(np.uint8), pred=p)
    check("npz stored", at("b.npz"), at("b.npz"), y * 1.0, p.astype(np.float32).astype(float))
    check("npz compressed", at("c.npz"), at("c.npz"), y * 1.0, p)
    with open(at("p.npy"), "rb") as f:
        data = f.read()
    for name, cut in [("npy truncated", data[:-8]), ("npy oversized", data + b"\0" * 8)]:
        with open(at("bad.npy"), "wb") as f:
            f.write(cut)
        refused(name, ["--y", at("y.npy"), "--pred", at("bad.npy")],
                "cut short" if "trunc" in name else "bytes more than its header promises")
    np.save(at("c16.npy"), p.astype(np.complex128))
    refused("npy complex", ["--y", at("y.npy"), "--pred", at("c16.npy")], "unsupported dtype")
    print("all file checks passed")


if __name__ == "__main__":
    main()
