//! "Your data": a label/prediction pair read from the person's own files (in the browser,
//! by the on-demand worker with the CLI's readers, `engine::arrays`) and fitted into the
//! page's scene. The page shows at most [`MAX_BATCH`] images, [`MAX_CLASSES`] classes and
//! square images of [`MIN_SIZE`]..=[`MAX_SIZE`] pixels; larger inputs are cropped and
//! down-sampled by the rule of [`fit`], and every such change is a sentence on screen.
//!
//! [`assign`] and [`show`] run in the on-demand worker (`src/bin/paste_worker.rs`), beside
//! the readers, so none of this is in the page's first load: the worker fits the data,
//! [`place`]s it into the page's scene (read from the page's link) and sends that scene
//! back as a link in the page's own codec, which the page opens as the scene.

use ndarray::{Array2, Array3, Array4};

use crate::engine::activation::Activation;
use crate::engine::arrays::{one_hot, Array};
use crate::engine::status::LabelStatus;
use crate::page::levels::{from_level, is_on, level, quantize, LEVELS};
use crate::page::paint;
use crate::page::route;
use crate::page::rules;
use crate::page::state::{AppState, MAX_BATCH, MAX_CLASSES, MAX_SIZE, MIN_SIZE};

/// The two files as the worker read them.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    pub y: Array,
    pub pred: Array,
    /// The files' names, as the page names them.
    pub y_file: String,
    pub pred_file: String,
}

impl Loaded {
    /// NIfTI volumes are sliced along z (their last spatial axis), numpy volumes
    /// [B, C, D, H, W] along D (their first).
    fn slice_axis_last(&self) -> bool {
        let nifti = |f: &str| {
            let f = f.to_ascii_lowercase();
            f.ends_with(".nii") || f.ends_with(".nii.gz")
        };
        nifti(&self.pred_file)
    }
}

/// Which part of the data the page shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pick {
    /// The first image shown (the page shows up to [`MAX_BATCH`] from here).
    pub first: usize,
    /// The slice of a 3-D volume; `None`: the middle one.
    pub slice: Option<usize>,
    /// The class count of a class-index label map (`None`: the labels have pred's shape).
    pub classes: Option<usize>,
}

/// What the page shows of the person's data, and what was done to fit it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct YourData {
    /// The status line: what is shown of which files, or why nothing new is.
    pub status: String,
    /// A pair is shown.
    pub shown: bool,
    /// Sentences on what the page shows of the data (crops, down-sampling, rounding), or
    /// why it shows nothing of it.
    pub notes: Vec<String>,
    pub error: bool,
    /// The images in the files, and the slices of a volume (1 for 2-D images).
    pub images: usize,
    pub slices: usize,
}

/// What the page shows of the data: labels (0/1) and predictions (on the 1e-4 grid),
/// B×C×n×n, and what was done to fit them.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    pub labels: Array4<f64>,
    pub pred: Array4<f64>,
    /// The input image x of each element (what a model trained on the page sees): 1 where
    /// any class (but the background of several) is on.
    pub image: Array3<f64>,
    /// The status line: what is shown of which files.
    pub status: String,
    pub notes: Vec<String>,
    pub images: usize,
    pub slices: usize,
    /// Every pixel has exactly one label and predictions that sum to 1.
    pub one_class: bool,
}

/// What the worker sends the page ([`DataMsg::Shown`](crate::page::msg::DataMsg)).
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    /// The scene showing the data, with the page's settings, as a link (`#…`).
    pub hash: String,
    /// The status line and the notes on what was done to fit the data.
    pub status: String,
    pub notes: Vec<String>,
    /// The images and slices in the files.
    pub images: usize,
    pub slices: usize,
}

/// The worker's step: the part of `l` that `pick` asks for, fitted into the scene of the
/// page's link `page_hash` (its settings and mode; an unreadable link: the defaults).
pub fn show(l: &Loaded, pick: Pick, page_hash: &str) -> Result<Shown, String> {
    let f = fit(l, pick)?;
    let (r, _) = route::resolve(page_hash);
    let (state, placed) = place(&r.state, &f)?;
    let mut notes = f.notes;
    notes.extend(placed);
    Ok(Shown {
        hash: route::link_with_scene(&state, None),
        status: f.status,
        notes,
        images: f.images,
        slices: f.slices,
    })
}

/// The page's scene showing `f`, with `base`'s settings, and a sentence for every setting
/// the data changed: the page's one-label-per-pixel mode left (with softmax, which needs
/// it, switched to sigmoid), or the settings one class cannot keep. The scene is exactly
/// what its link carries, so opening the link changes nothing more (with one label per
/// pixel class 0 takes each pixel's remainder, as a link stores it).
pub fn place(base: &AppState, f: &Fitted) -> Result<(AppState, Vec<String>), String> {
    let (bn, cn, n, _) = f.labels.dim();
    let mut state = paint::resize(base, bn, cn, n).map_err(|e| e.to_string())?;
    let mut notes = setting_notes(base, &state);
    state.labels = f.labels.clone();
    state.pred = f.pred.clone();
    state.status = Array2::from_elem((bn, cn), LabelStatus::Annotated);
    state.image = f.image.clone();
    if state.exclusive && f.one_class {
        remainder_to_background(&mut state.pred);
    } else if state.exclusive {
        notes.push(
            "The classes are read as independent (multi-label): the labels are not one \
             class per pixel, or the predictions do not sum to 1."
                .into(),
        );
        notes.extend(rules::set_exclusive(&mut state, false)?);
        if let Some(b) = state.compare.as_mut() {
            if b.activation == Activation::Softmax {
                b.activation = Activation::Sigmoid;
                notes.push("Side B's softmax was switched to sigmoid too.".into());
            }
        }
    }
    Ok((state, notes))
}

/// Sentences for the loss settings a resize to the data's shape changed (one class keeps
/// no softmax and no background to leave out).
fn setting_notes(before: &AppState, after: &AppState) -> Vec<String> {
    let sides = [
        ("", Some(before.settings), Some(after.settings)),
        ("Side B: ", before.compare, after.compare),
    ];
    let mut out = Vec::new();
    for (who, b, a) in sides {
        let (Some(b), Some(a)) = (b, a) else { continue };
        if b.activation != a.activation {
            out.push(format!(
                "{who}with one class there is nothing for softmax to tie: the activation is now {}.",
                a.activation.code()
            ));
        }
        if b.include_background != a.include_background {
            out.push(format!(
                "{who}with one class, class 0 is the only class: it is now in the loss."
            ));
        }
    }
    out
}

/// Puts each pixel's remainder on class 0 so its classes sum to exactly 1 on the 1e-4
/// grid, as a link with one label per pixel stores it (a softmax rounded class by class
/// can miss 1 by a few steps of 1e-4). A pixel whose other classes pass 1 gives the excess
/// back from its largest class.
fn remainder_to_background(pred: &mut Array4<f64>) {
    let (bn, cn, n, _) = pred.dim();
    for b in 0..bn {
        for i in 0..n {
            for j in 0..n {
                let mut lv: Vec<i64> = (1..cn).map(|c| level(pred[[b, c, i, j]])).collect();
                let excess = lv.iter().sum::<i64>() - LEVELS;
                if excess > 0 {
                    if let Some(top) = lv.iter_mut().max() {
                        *top -= excess;
                    }
                }
                for (c, &k) in lv.iter().enumerate() {
                    pred[[b, c + 1, i, j]] = from_level(k);
                }
                pred[[b, 0, i, j]] = from_level(LEVELS - lv.iter().sum::<i64>());
            }
        }
    }
}

/// Which of the files opened or dropped hold the labels and which the predictions, as
/// indices into `names`: one `.npz` holds both (arrays `y` and `pred`); of two files, the
/// one whose name speaks of predictions (pred, prob, logit, output, softmax, sigmoid) is
/// the prediction, else the one whose name speaks of labels (label, gt, truth, mask, seg)
/// is the label, else the first is the label. The page says which it took (and offers
/// Swap).
pub fn assign(names: &[&str]) -> Result<(usize, usize), String> {
    let has = |n: &str, words: &[&str]| {
        let n = n.to_ascii_lowercase();
        words.iter().any(|w| n.contains(w))
    };
    let pred_words = ["pred", "prob", "logit", "output", "softmax", "sigmoid"];
    let label_words = ["label", "gt", "truth", "mask", "seg"];
    match names {
        [one] if one.to_ascii_lowercase().ends_with(".npz") => Ok((0, 0)),
        [_] => Err("Give two files, the labels and the predictions (or one .npz holding                     arrays y and pred)."
            .into()),
        [a, b] => Ok(match (has(a, &pred_words), has(b, &pred_words)) {
            (true, false) => (1, 0),
            (false, true) => (0, 1),
            _ if has(b, &label_words) && !has(a, &label_words) => (1, 0),
            _ => (0, 1),
        }),
        _ => Err(format!(
            "{} files were given; give two, the labels and the predictions (or one .npz).",
            names.len()
        )),
    }
}

/// The panel's status line: what is shown of which files.
fn status(l: &Loaded, (bn, cn, n): (usize, usize, usize)) -> String {
    let plural =
        |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    let files = if l.y_file == l.pred_file {
        format!("arrays y and pred of {}", l.y_file)
    } else {
        format!("labels {} and predictions {}", l.y_file, l.pred_file)
    };
    format!(
        "Showing {files}: {}, {}, {n}×{n} pixels. The loss, gradient maps and verdicts are of \
         this; mark a cell missing or empty with its status menu.",
        plural(bn, "image", "images"),
        plural(cn, "class", "classes"),
    )
}

/// The labels [B, C, *spatial] as the loss reads them: one-hot from a class-index map with
/// `classes`, else as they are (then their shape must be pred's).
fn labels(l: &Loaded, classes: Option<usize>) -> Result<Vec<f64>, String> {
    let (yd, pd) = (&l.y.dims, &l.pred.dims);
    let who = format!("the labels ({})", l.y_file);
    let Some(cn) = classes else {
        if yd != pd {
            let map = yd.len() + 1 == pd.len() && yd[1..] == pd[2..]
                || (yd.len() == pd.len() && yd[1] == 1 && pd[1] > 1 && yd[2..] == pd[2..]);
            let hint = if map {
                format!(
                    "; they look like a class-index map (one class number per pixel): enter \
                     the class count, {}",
                    pd[1]
                )
            } else {
                String::new()
            };
            return Err(format!(
                "{who} have shape {yd:?} but the predictions ({}) have shape {pd:?}{hint}",
                l.pred_file
            ));
        }
        return Ok(l.y.values.clone());
    };
    let (bn, pixels) = (pd[0], pd[2..].iter().product::<usize>());
    let with_axis = [&[bn, 1], &pd[2..]].concat();
    let without = [&[bn], &pd[2..]].concat();
    if cn != pd[1] {
        return Err(format!(
            "the class count is {cn} but the predictions ({}) have {} classes (shape {pd:?})",
            l.pred_file, pd[1]
        ));
    }
    if *yd != with_axis && *yd != without {
        return Err(format!(
            "{who} have shape {yd:?}, but a class-index map for predictions of shape {pd:?} \
             has shape {without:?} (or {with_axis:?}): one class number per pixel"
        ));
    }
    Ok(one_hot(&l.y.values, bn, cn, pixels, None, &who)?.0)
}

/// The page's square side for an `h`×`w` image: the central square of side min(h, w),
/// down-sampled by the smallest whole factor `k` that brings it to [`MAX_SIZE`] or less
/// (every k-th pixel). Returns (side shown n, factor k, top row, left column of the crop).
pub fn square(h: usize, w: usize) -> Result<(usize, usize, usize, usize), String> {
    let side = h.min(w);
    if side < MIN_SIZE {
        return Err(format!(
            "the images are {h}×{w}; the page shows images of at least {MIN_SIZE}×{MIN_SIZE}"
        ));
    }
    let k = side.div_ceil(MAX_SIZE);
    let n = side / k;
    // The crop is the n·k pixels around the centre of each axis.
    Ok((n, k, (h - n * k) / 2, (w - n * k) / 2))
}

/// Fits the data into the page: images `pick.first..` (at most [`MAX_BATCH`]), the first
/// [`MAX_CLASSES`] classes, one slice of a volume, the central square down-sampled to at
/// most [`MAX_SIZE`]; labels must be 0 or 1 and predictions probabilities in [0, 1]
/// (rounded to the page's 1e-4 grid).
pub fn fit(l: &Loaded, pick: Pick) -> Result<Fitted, String> {
    let pd = l.pred.dims.clone();
    if !(4..=5).contains(&pd.len()) {
        return Err(format!(
            "the predictions ({}) have shape {pd:?}; the page shows [B, C, H, W] images or \
             [B, C, D, H, W] volumes (a NIfTI file: 2-D or 3-D images)",
            l.pred_file
        ));
    }
    let y = labels(l, pick.classes)?;
    let (bn, cn) = (pd[0], pd[1]);
    let sp = &pd[2..];
    if sp.contains(&0) {
        return Err(format!(
            "the predictions ({}) have shape {pd:?}: an axis of length 0 holds no image",
            l.pred_file
        ));
    }
    // The slice axis, and the image's two axes, as strides into one class plane.
    let (slices, slice_stride, h, w, sh, sw) = match sp {
        [h, w] => (1, 0, *h, *w, *w, 1),
        [a, b, c] if l.slice_axis_last() => (*c, 1, *a, *b, b * c, *c),
        [a, b, c] => (*a, b * c, *b, *c, *c, 1),
        _ => unreachable!("4 or 5 dims"),
    };
    let (n, k, top, left) = square(h, w)?;
    if bn == 0 || cn == 0 {
        return Err("the files hold no images".into());
    }
    let first = pick.first.min(bn - 1);
    let slice = pick.slice.unwrap_or(slices / 2).min(slices - 1);
    let (b_shown, c_shown) = ((bn - first).min(MAX_BATCH), cn.min(MAX_CLASSES));
    crate::page::state::check_dims(b_shown, c_shown, n).map_err(|e| e.to_string())?;
    let plane = sp.iter().product::<usize>();
    let at = |b: usize, c: usize, i: usize, j: usize| {
        (first + b) * cn * plane
            + c * plane
            + slice * slice_stride
            + (top + i * k + k / 2) * sh
            + (left + j * k + k / 2) * sw
    };
    let shape = (b_shown, c_shown, n, n);
    let (mut rounded_y, mut rounded_p) = (false, false);
    let mut labels = Array4::zeros(shape);
    let mut pred = Array4::zeros(shape);
    for ((b, c, i, j), v) in labels.indexed_iter_mut() {
        let (yv, pv) = (y[at(b, c, i, j)], l.pred.values[at(b, c, i, j)]);
        if !(0.0..=1.0).contains(&pv) {
            return Err(format!(
                "the predictions ({}) hold {pv} (image {}, class {c}); the page shows \
                 probabilities in [0, 1]: save them after the activation (sigmoid or softmax)",
                l.pred_file,
                first + b
            ));
        }
        if !(0.0..=1.0).contains(&yv) {
            return Err(format!(
                "the labels ({}) hold {yv} (image {}, class {c}); labels lie in [0, 1] (for \
                 a class-index map, enter the class count)",
                l.y_file,
                first + b
            ));
        }
        *v = if is_on(yv) { 1.0 } else { 0.0 };
        rounded_y |= *v != yv;
        let q = quantize(pv);
        rounded_p |= q != pv;
        pred[[b, c, i, j]] = q;
    }
    let mut notes = Vec::new();
    describe_fit(
        &mut notes,
        &pd,
        (first, b_shown),
        c_shown,
        (slice, slices),
        (h, w, n, k),
    );
    if rounded_y {
        notes.push(
            "Labels between 0 and 1 were rounded to 0 or 1 (the page holds hard labels).".into(),
        );
    }
    if rounded_p {
        notes.push("Predictions were rounded to steps of 0.0001, as the page stores them.".into());
    }
    let image = Array3::from_shape_fn((b_shown, n, n), |(b, i, j)| {
        let on = (0..c_shown).any(|c| (c > 0 || c_shown == 1) && is_on(labels[[b, c, i, j]]));
        f64::from(u8::from(on))
    });
    Ok(Fitted {
        one_class: one_class_per_pixel(&labels, &pred),
        labels,
        pred,
        image,
        status: status(l, (b_shown, c_shown, n)),
        notes,
        images: bn,
        slices,
    })
}

/// Whether every pixel has exactly one label and its predictions sum to 1 (on the grid,
/// up to the rounding of each class).
fn one_class_per_pixel(labels: &Array4<f64>, pred: &Array4<f64>) -> bool {
    let (bn, cn, n, _) = labels.dim();
    (0..bn).all(|b| {
        (0..n).all(|i| {
            (0..n).all(|j| {
                let on = (0..cn).filter(|&c| is_on(labels[[b, c, i, j]])).count();
                // Each class was rounded to the 1e-4 grid on its own: a softmax's sum
                // can miss 1 by up to half a step per class.
                let sum: i64 = (0..cn).map(|c| level(pred[[b, c, i, j]])).sum();
                on == 1 && (sum - LEVELS).abs() <= cn as i64
            })
        })
    })
}

/// The sentences that say what part of the data is shown and how it was fitted.
fn describe_fit(
    notes: &mut Vec<String>,
    dims: &[usize],
    (first, shown): (usize, usize),
    classes: usize,
    (slice, slices): (usize, usize),
    (h, w, n, k): (usize, usize, usize, usize),
) {
    let (bn, cn) = (dims[0], dims[1]);
    if shown < bn {
        notes.push(format!(
            "Images {}–{} of {bn} are shown (the page shows at most {MAX_BATCH}).",
            first,
            first + shown - 1
        ));
    }
    if classes < cn {
        notes.push(format!(
            "Classes 0–{} of {cn} are shown (the page shows at most {MAX_CLASSES}); the loss \
             is of these.",
            classes - 1
        ));
    }
    if slices > 1 {
        notes.push(format!(
            "Slice {slice} of {slices} of each volume is shown."
        ));
    }
    if h != w || n * k != h {
        notes.push(format!(
            "Cropped to the central {s}×{s} of the {h}×{w} images.",
            s = n * k
        ));
    }
    if k > 1 {
        notes.push(format!(
            "Down-sampled {k}× (one pixel in {k} kept along each axis) to {n}×{n}; the page \
             shows at most {MAX_SIZE}×{MAX_SIZE}."
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(dims: &[usize], values: Vec<f64>, integer: bool) -> Array {
        assert_eq!(dims.iter().product::<usize>(), values.len());
        Array {
            dims: dims.to_vec(),
            integer,
            values,
        }
    }

    fn loaded(y: Array, pred: Array, pred_file: &str) -> Loaded {
        Loaded {
            y,
            pred,
            y_file: "y".into(),
            pred_file: pred_file.into(),
        }
    }

    #[test]
    fn files_are_told_apart_by_their_names() {
        assert_eq!(assign(&["pred.nii.gz", "label.nii.gz"]), Ok((1, 0)));
        assert_eq!(assign(&["case1_gt.npy", "case1.npy"]), Ok((0, 1)));
        assert_eq!(assign(&["a.npy", "case_seg.npy"]), Ok((1, 0)));
        assert_eq!(assign(&["a.npy", "b.npy"]), Ok((0, 1)));
        assert_eq!(assign(&["both.NPZ"]), Ok((0, 0)));
        assert!(assign(&["y.npy"]).unwrap_err().contains("two files"));
        assert!(assign(&["a", "b", "c"]).unwrap_err().contains("3 files"));
    }

    #[test]
    fn the_worker_sends_the_scene_as_a_link_that_opens_exactly_it() {
        let vals: Vec<f64> = (0..3 * 16 * 16).map(|k| (k % 13) as f64 / 12.0).collect();
        let y: Vec<f64> = (0..3 * 16 * 16).map(|k| f64::from(k % 4 == 1)).collect();
        let l = loaded(
            arr(&[3, 1, 16, 16], y, true),
            arr(&[3, 1, 16, 16], vals, false),
            "p.npy",
        );
        let base = AppState::two_labelled();
        let page = route::link_with_scene(&base, None);
        let s = show(&l, Pick::default(), &page).unwrap();
        let f = fit(&l, Pick::default()).unwrap();
        let (r, msg) = route::resolve(&s.hash);
        assert_eq!(msg, None);
        assert_eq!(
            (r.state.labels, r.state.pred, r.state.image),
            (f.labels, f.pred, f.image)
        );
        assert_eq!(r.state.settings, base.settings);
        assert!(
            s.status.contains("3 images, 1 class, 16×16"),
            "{}",
            s.status
        );
        assert_eq!((s.images, s.slices), (3, 1));
    }

    /// A page under nnU-Net's setting (softmax, one label per pixel) and a pair with
    /// `multi` labels on in some pixels or not: what the worker's link opens.
    fn nnunet_page_with(multi: bool) -> (Fitted, Shown, AppState) {
        let (n, cn) = (8, 3);
        let y: Vec<f64> = (0..cn * n * n)
            .map(|k| {
                let (c, px) = (k / (n * n), k % (n * n));
                f64::from(px % cn == c || (multi && c == 2 && px % 5 == 0))
            })
            .collect();
        // A softmax's thirds: rounded class by class they sum to 0.9999.
        let l = loaded(
            arr(&[1, cn, n, n], y, true),
            arr(&[1, cn, n, n], vec![1.0 / 3.0; cn * n * n], false),
            "p.npy",
        );
        let (page, _) = route::resolve("preset=nnunet");
        assert!(page.state.exclusive);
        assert_eq!(page.state.settings.activation, Activation::Softmax);
        let link = route::link_with_scene(&page.state, None);
        let shown = show(&l, Pick::default(), &link).unwrap();
        let (opened, msg) = route::resolve(&shown.hash);
        assert_eq!(msg, None);
        (fit(&l, Pick::default()).unwrap(), shown, opened.state)
    }

    /// Softmax output keeps the page's one label per pixel: the labels are the file's,
    /// each pixel's predictions sum to exactly 1 with class 0 taking the rounding, and no
    /// prediction moves more than the rounding (C/2 steps of 1e-4).
    #[test]
    fn softmax_data_opens_with_one_label_per_pixel_and_its_own_numbers() {
        let (f, shown, s) = nnunet_page_with(false);
        assert!(f.one_class);
        assert!(s.exclusive);
        assert_eq!(s.settings.activation, Activation::Softmax);
        assert_eq!(s.labels, f.labels);
        let (bn, cn, n, _) = s.pred.dim();
        for (b, i, j) in
            (0..bn).flat_map(|b| (0..n).flat_map(move |i| (0..n).map(move |j| (b, i, j))))
        {
            let sum: i64 = (0..cn).map(|c| level(s.pred[[b, c, i, j]])).sum();
            assert_eq!(sum, LEVELS);
        }
        let worst = s
            .pred
            .iter()
            .zip(f.pred.iter())
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1.5e-4, "moved by {worst}");
        assert!(
            shown.notes.iter().all(|n| !n.contains("independent")),
            "{:?}",
            shown.notes
        );
    }

    /// Multi-label data under softmax: the page reads the classes as independent, switches
    /// to sigmoid and says both; the link opens exactly the file's labels and predictions.
    #[test]
    fn multi_label_data_under_softmax_switches_to_sigmoid_and_says_so() {
        let (f, shown, s) = nnunet_page_with(true);
        assert!(!f.one_class);
        assert!(!s.exclusive);
        assert_eq!(s.settings.activation, Activation::Sigmoid);
        assert_eq!((&s.labels, &s.pred), (&f.labels, &f.pred));
        let said = shown.notes.join(" ");
        assert!(
            said.contains("independent") && said.contains("sigmoid"),
            "{said}"
        );
    }

    /// One class under nnU-Net's setting: no softmax and no background left out, and the
    /// notes say both changes.
    #[test]
    fn one_class_data_says_which_settings_it_changed() {
        let n = 8;
        let l = loaded(
            arr(&[1, 1, n, n], vec![1.0; n * n], true),
            arr(&[1, 1, n, n], vec![0.5; n * n], false),
            "p.npy",
        );
        let (page, _) = route::resolve("preset=nnunet");
        assert!(!page.state.settings.include_background);
        let shown = show(
            &l,
            Pick::default(),
            &route::link_with_scene(&page.state, None),
        )
        .unwrap();
        let (opened, _) = route::resolve(&shown.hash);
        assert_eq!(opened.state.settings.activation, Activation::Sigmoid);
        assert!(opened.state.settings.include_background);
        let said = shown.notes.join(" ");
        assert!(
            said.contains("now sigmoid") && said.contains("now in the loss"),
            "{said}"
        );
    }

    /// A volume with an empty axis is a message (the slice index would underflow).
    #[test]
    fn an_axis_of_length_zero_is_refused() {
        let l = loaded(
            arr(&[1, 1, 0, 8, 8], Vec::new(), true),
            arr(&[1, 1, 0, 8, 8], Vec::new(), false),
            "p.npy",
        );
        let e = fit(&l, Pick::default()).unwrap_err();
        assert!(e.contains("length 0"), "{e}");
    }

    #[test]
    fn the_square_rule_crops_to_the_centre_and_downsamples_by_a_whole_factor() {
        assert_eq!(square(32, 32), Ok((32, 1, 0, 0)));
        assert_eq!(square(32, 40), Ok((32, 1, 0, 4)));
        assert_eq!(square(128, 128), Ok((128, 1, 0, 0)));
        // 129 needs k = 2: 64 pixels from the central 128.
        assert_eq!(square(129, 129), Ok((64, 2, 0, 0)));
        assert_eq!(square(512, 300), Ok((100, 3, 106, 0)));
        assert!(square(7, 100).unwrap_err().contains("at least 8×8"));
    }

    #[test]
    fn a_small_pair_is_shown_as_it_is() {
        let vals: Vec<f64> = (0..2 * 8 * 8).map(|k| (k % 7) as f64 / 8.0).collect();
        let y: Vec<f64> = (0..2 * 8 * 8).map(|k| f64::from(k % 3 == 0)).collect();
        let l = loaded(
            arr(&[1, 2, 8, 8], y.clone(), true),
            arr(&[1, 2, 8, 8], vals.clone(), false),
            "p.npy",
        );
        let f = fit(&l, Pick::default()).unwrap();
        assert_eq!(f.labels.dim(), (1, 2, 8, 8));
        assert_eq!(f.labels.iter().copied().collect::<Vec<_>>(), y);
        assert_eq!(f.pred.iter().copied().collect::<Vec<_>>(), vals);
        assert!(
            f.notes.iter().all(|n| !n.contains("rounded")),
            "{:?}",
            f.notes
        );
    }

    #[test]
    fn a_large_volume_is_sliced_cropped_and_downsampled_and_says_so() {
        // A NIfTI-shaped [1, 1, 300, 260, 5] volume; value = x·1000 + y (so the picked
        // voxel is known), pred scaled into [0, 1].
        let (x, yy, z) = (300, 260, 5);
        let mut pred = vec![0.0; x * yy * z];
        for a in 0..x {
            for b in 0..yy {
                for c in 0..z {
                    pred[(a * yy + b) * z + c] = (a * 1000 + b) as f64 / 1e6 + c as f64 * 1e-7;
                }
            }
        }
        let y = vec![0.0; x * yy * z];
        let l = loaded(
            arr(&[1, 1, x, yy, z], y, true),
            arr(&[1, 1, x, yy, z], pred, false),
            "p.nii.gz",
        );
        let pick = Pick {
            slice: Some(3),
            ..Pick::default()
        };
        let f = fit(&l, pick).unwrap();
        // side 260, k = 3, n = 86: crop 258 rows from (300 − 258)/2 = 21, columns from 1.
        assert_eq!(f.labels.dim(), (1, 1, 86, 86));
        assert_eq!(f.slices, 5);
        let want = quantize((21 + 1) as f64 * 1000.0 / 1e6 + (1 + 1) as f64 / 1e6 + 3e-7);
        assert_eq!(f.pred[[0, 0, 0, 0]], want);
        let text = f.notes.join(" ");
        for needle in [
            "Slice 3 of 5",
            "central 258×258 of the 300×260",
            "Down-sampled 3×",
            "rounded to steps",
        ] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
    }

    #[test]
    fn class_maps_need_the_class_count_and_bad_values_are_refused() {
        let map = arr(&[1, 8, 8], (0..64).map(|k| (k % 3) as f64).collect(), true);
        let pred = arr(&[1, 3, 8, 8], vec![1.0 / 4.0; 192], false);
        let l = loaded(map, pred, "p.npy");
        let e = fit(&l, Pick::default()).unwrap_err();
        assert!(
            e.contains("class-index map") && e.contains("class count, 3"),
            "{e}"
        );
        let pick = Pick {
            classes: Some(3),
            ..Pick::default()
        };
        let f = fit(&l, pick).unwrap();
        assert_eq!(f.labels[[0, 2, 0, 2]], 1.0);
        assert_eq!(f.labels[[0, 0, 0, 2]], 0.0);
        // Predictions that do not sum to 1: the page leaves its one-label-per-pixel mode,
        // and says so.
        assert!(!f.one_class);
        let mut base = AppState::default_scene();
        paint::set_exclusive(&mut base, true);
        assert!(base.exclusive);
        let (s, notes) = place(&base, &f).unwrap();
        assert!(!s.exclusive && s.labels == f.labels);
        assert!(notes.iter().any(|n| n.contains("independent")), "{notes:?}");
        let mut logits = l.clone();
        logits.pred.values[5] = 2.5;
        let e = fit(&logits, pick).unwrap_err();
        assert!(
            e.contains("hold 2.5") && e.contains("after the activation"),
            "{e}"
        );
    }

    #[test]
    fn more_images_and_classes_than_the_page_shows_are_cut_and_said() {
        let pred = arr(&[10, 5, 8, 8], vec![0.5; 10 * 5 * 64], false);
        let y = arr(&[10, 5, 8, 8], vec![0.0; 10 * 5 * 64], true);
        let l = loaded(y, pred, "p.npz");
        let pick = Pick {
            first: 4,
            ..Pick::default()
        };
        let f = fit(&l, pick).unwrap();
        assert_eq!(f.labels.dim(), (6, 4, 8, 8));
        let text = f.notes.join(" ");
        assert!(text.contains("Images 4–9 of 10"), "{text}");
        assert!(text.contains("Classes 0–3 of 5"), "{text}");
    }
}
