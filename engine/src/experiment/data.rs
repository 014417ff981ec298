//! The experiment's images, generated from a seed (docs/experiment.md, "Data").
//!
//! Two templates mirror the paper's two experiments. Every image is S×S with intensities
//! in [0, 1]: shapes drawn from `Rng::new(seed, STREAM_DATA)`, flat intensities per
//! region, then noise (the sum of four uniforms, centred and scaled to a standard
//! deviation σ) clamped to [0, 1]. Only exact float operations are used (no transcendental
//! functions), so the images are the same bit for bit natively and in WebAssembly.
//!
//! - **missing** (like ACDC): C = 4 classes — background, LV (a bright disc), myocardium
//!   (a ring around it), RV (a disc beside the ring) — in dark tissue. Group A (like
//!   end-diastole) has the myocardium at [`MYO_A`], group B (like end-systole: a smaller
//!   LV inside a thicker ring of the same area) at the darker [`MYO_B`]. In every group-B
//!   *training* image the myocardium label is removed (its pixels read as background).
//! - **empty** (like BraTS HGG/LGG): C = 2 classes — background and tumour — inside a
//!   head. Group A (HGG) has a bright tumour ([`TUMOUR`]), labelled; group B (LGG) a
//!   dimmer look-alike ([`LOOKALIKE`]) whose label is blank: the target there is nothing,
//!   in training and test alike.
//!
//! The first half of each split (rounded up) is group A, the rest group B; training
//! images come first.

use ndarray::{Array3, Array4};

use crate::rng::{Rng, STREAM_DATA};

/// Which of the paper's experiments the data mirror.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// Missing labels (ACDC): the myocardium is unannotated in group B's training images.
    Missing,
    /// Empty labels (BraTS): group B's look-alike is truly not a target.
    Empty,
}

impl Template {
    pub fn code(self) -> &'static str {
        match self {
            Template::Missing => "missing",
            Template::Empty => "empty",
        }
    }

    pub fn parse(s: &str) -> Option<Template> {
        [Template::Missing, Template::Empty]
            .into_iter()
            .find(|t| t.code().eq_ignore_ascii_case(s.trim()))
    }

    /// The number of classes C.
    pub fn classes(self) -> usize {
        match self {
            Template::Missing => 4,
            Template::Empty => 2,
        }
    }

    /// The class s the measures are about: the myocardium, or the tumour.
    pub fn structure(self) -> usize {
        match self {
            Template::Missing => MYO,
            Template::Empty => 1,
        }
    }

    /// Names of the classes, for the output.
    pub fn class_names(self) -> &'static [&'static str] {
        match self {
            Template::Missing => &["background", "LV", "myocardium", "RV"],
            Template::Empty => &["background", "tumour"],
        }
    }
}

/// Class indices of the missing template.
pub const LV: usize = 1;
pub const MYO: usize = 2;
pub const RV: usize = 3;

/// Intensities (before noise). The structure s lies next to the background in
/// intensity, group B's version between the two, and the other classes far above: a
/// linear model can then carve group B away without touching the others (docs/experiment.md,
/// "Data").
pub const TISSUE: f64 = 0.12;
pub const LV_BLOOD: f64 = 1.0;
pub const RV_BLOOD: f64 = 0.9;
pub const MYO_A: f64 = 0.5;
pub const MYO_B: f64 = 0.36;
pub const HEAD: f64 = 0.3;
pub const TUMOUR: f64 = 0.92;
pub const LOOKALIKE: f64 = 0.72;
/// Standard deviation of the noise.
pub const NOISE: f64 = 0.03;

/// Group A (labelled structure) or group B (the structure whose label is all zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    A,
    B,
}

/// The generated images of one experiment.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub template: Template,
    pub size: usize,
    /// Images of the training split (the first `train` of every array).
    pub train: usize,
    pub test: usize,
    /// N×S×S intensities in [0, 1].
    pub x: Array3<f64>,
    /// N×C×S×S one-hot labels as the loss sees them (group B's structure removed in the
    /// missing template's training images; blank in the empty template).
    pub y_seen: Array4<f64>,
    /// N×C×S×S true labels: what each image contains (in the empty template group B has
    /// no tumour, so this equals `y_seen`).
    pub y_true: Array4<f64>,
    /// N×S×S: 1 on the object the measures follow — the structure s, or in the empty
    /// template's group B the look-alike.
    pub object: Array3<f64>,
    pub group: Vec<Group>,
}

impl Dataset {
    /// Generates `train` + `test` images of `size`×`size` from `seed`.
    pub fn generate(
        template: Template,
        seed: u64,
        train: usize,
        test: usize,
        size: usize,
    ) -> Dataset {
        let n = train + test;
        let c = template.classes();
        let mut rng = Rng::new(seed, STREAM_DATA);
        let mut x = Array3::zeros((n, size, size));
        let mut y_true = Array4::zeros((n, c, size, size));
        let mut object = Array3::zeros((n, size, size));
        let group: Vec<Group> = (0..n)
            .map(|i| {
                let (k, count) = if i < train {
                    (i, train)
                } else {
                    (i - train, test)
                };
                if k < count.div_ceil(2) {
                    Group::A
                } else {
                    Group::B
                }
            })
            .collect();
        for i in 0..n {
            let mut img = Image::new(size);
            match template {
                Template::Missing => heart(&mut rng, &mut img, group[i]),
                Template::Empty => head(&mut rng, &mut img, group[i]),
            }
            for r in 0..size {
                for s in 0..size {
                    let k = r * size + s;
                    let v = img.intensity[k] + NOISE * noise(&mut rng);
                    x[[i, r, s]] = v.clamp(0.0, 1.0);
                    y_true[[i, img.class[k], r, s]] = 1.0;
                    object[[i, r, s]] = f64::from(u8::from(img.object[k]));
                }
            }
        }
        let mut y_seen = y_true.clone();
        if template == Template::Missing {
            for i in 0..train {
                if group[i] == Group::B {
                    for r in 0..size {
                        for s in 0..size {
                            if y_seen[[i, MYO, r, s]] == 1.0 {
                                y_seen[[i, MYO, r, s]] = 0.0;
                                y_seen[[i, 0, r, s]] = 1.0;
                            }
                        }
                    }
                }
            }
        }
        Dataset {
            template,
            size,
            train,
            test,
            x,
            y_seen,
            y_true,
            object,
            group,
        }
    }

    /// The (b, c) cells of the training split whose labels are missing: group B's
    /// structure in the missing template (none in the empty template: a blank label there
    /// is empty, not missing).
    pub fn missing_cells(&self) -> Vec<(usize, usize)> {
        match self.template {
            Template::Missing => (0..self.train)
                .filter(|&i| self.group[i] == Group::B)
                .map(|i| (i, MYO))
                .collect(),
            Template::Empty => Vec::new(),
        }
    }
}

/// A zero-mean, unit-variance noise value: (u₁ + u₂ + u₃ + u₄ − 2)·√3.
fn noise(rng: &mut Rng) -> f64 {
    let s: f64 = (0..4).map(|_| rng.uniform()).sum();
    (s - 2.0) * SQRT_3
}

const SQRT_3: f64 = 1.732_050_807_568_877_2;

/// One image being drawn: intensity, class and object flag per pixel.
struct Image {
    size: usize,
    intensity: Vec<f64>,
    class: Vec<usize>,
    object: Vec<bool>,
}

impl Image {
    fn new(size: usize) -> Image {
        Image {
            size,
            intensity: vec![0.0; size * size],
            class: vec![0; size * size],
            object: vec![false; size * size],
        }
    }

    /// Paints every pixel whose centre lies inside the ellipse (centre and radii in
    /// pixels) with `f(pixel index)`.
    fn ellipse(
        &mut self,
        ci: f64,
        cj: f64,
        ri: f64,
        rj: f64,
        mut f: impl FnMut(&mut Image, usize),
    ) {
        for r in 0..self.size {
            for s in 0..self.size {
                let di = (r as f64 + 0.5 - ci) / ri;
                let dj = (s as f64 + 0.5 - cj) / rj;
                if di * di + dj * dj <= 1.0 {
                    f(self, r * self.size + s);
                }
            }
        }
    }
}

/// The missing template's heart: body, RV, myocardium ring, LV, in that order.
fn heart(rng: &mut Rng, img: &mut Image, group: Group) {
    let n = img.size as f64;
    let (ci, cj) = (n * rng.range(0.44, 0.56), n * rng.range(0.5, 0.6));
    // The ring's area is drawn alike for both groups (the myocardium keeps its volume
    // between diastole and systole); group B's LV is smaller and its ring thicker.
    let area = n * n * rng.range(0.085, 0.105);
    let r_lv = n * rng.range(0.10, 0.13) * if group == Group::B { 0.72 } else { 1.0 };
    let r_out = (r_lv * r_lv + area / PI).sqrt();
    let r_rv = n * rng.range(0.10, 0.13);
    let gap = rng.range(0.8, 1.0);
    img.intensity.fill(TISSUE);
    img.ellipse(ci, cj - r_out - r_rv * gap, r_rv * 1.2, r_rv, |im, k| {
        im.intensity[k] = RV_BLOOD;
        im.class[k] = RV;
    });
    let myo = if group == Group::A { MYO_A } else { MYO_B };
    img.ellipse(ci, cj, r_out, r_out, |im, k| {
        im.intensity[k] = myo;
        im.class[k] = MYO;
        im.object[k] = true;
    });
    img.ellipse(ci, cj, r_lv, r_lv, |im, k| {
        im.intensity[k] = LV_BLOOD;
        im.class[k] = LV;
        im.object[k] = false;
    });
}

/// The empty template's head: a head, then a tumour (group A) or a look-alike (group B).
fn head(rng: &mut Rng, img: &mut Image, group: Group) {
    let n = img.size as f64;
    img.ellipse(n * 0.5, n * 0.5, n * 0.44, n * 0.38, |im, k| {
        im.intensity[k] = HEAD
    });
    let (ci, cj) = (n * rng.range(0.35, 0.65), n * rng.range(0.38, 0.62));
    let (ri, rj) = (n * rng.range(0.09, 0.15), n * rng.range(0.09, 0.15));
    match group {
        Group::A => img.ellipse(ci, cj, ri, rj, |im, k| {
            im.intensity[k] = TUMOUR;
            im.class[k] = 1;
            im.object[k] = true;
        }),
        Group::B => img.ellipse(ci, cj, ri, rj, |im, k| {
            im.intensity[k] = LOOKALIKE;
            im.object[k] = true;
        }),
    }
}

const PI: f64 = std::f64::consts::PI;
