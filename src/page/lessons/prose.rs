//! The lessons' prose: each lesson's title, button label and text, and what each training
//! experiment will show. Words only, so a copy edit touches no code; the lessons' tests
//! check the claims the texts make (the formulas, the arithmetic, the loss sentence).

/// The words of one lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prose {
    pub title: &'static str,
    /// A button label of a few words.
    pub short: &'static str,
    /// What to look at, in plain words.
    pub text: &'static str,
    /// The lesson's point in one sentence, in the domain's words: what its badges and its
    /// training show (presentation mode shows it large under the title).
    pub takeaway: &'static str,
}

/// The sentence the lessons repeat about the loss value.
pub const LOSS_IS_NOT_THE_VERDICT: &str = "The loss value is not the verdict: a missing and an empty label give the same loss and a push of the same negligible size under Φ = I (about 1e-8 of a labelled image's), yet one is right and the other wrong — only the label status decides, and the right setting can have the higher loss.";

pub const MISSING_I: Prose = Prose {
    title: "Missing label, image-wise Φ, ε = 1e-7",
    short: "Missing · Φ = I",
    text: "Image 1 contains the structure and the network finds it, but its label is missing, so the loss sees only zeros there. With image-wise sets and a tiny ε that image forms a set of its own with no foreground, and its gradient all but vanishes: the real structure is left alone. This is what we want for a missing label. The background is left out of the loss, as in the paper's multi-class runs: with exclusive classes the unlabelled structure counts as background, and a background term would push it down (the lesson “Missing · background in”). The loss value is not the verdict: “Empty · Φ = I” has the same loss and a push of the same negligible size (about 1e-8 of a labelled image's), yet there it is wrong — only the label status decides; and the right setting can have the higher loss: batch-wise Φ gives this scene a lower loss while it erases the structure.",
    takeaway: "Image-wise sets leave a missing label alone: almost no push, and training keeps its structure.",
};

pub const MISSING_BI: Prose = Prose {
    title: "Missing label, batch-wise Φ, ε = 1e-7",
    short: "Missing · Φ = BI",
    text: "The same images, but now the structure's class is summed over the whole batch. The unlabelled image shares a set with the labelled one and inherits its background push: every pixel of the real structure is pushed down. A network learns to erase it only where those images look different from the annotated ones, since it cannot erase what it cannot tell apart; and with a batch of one image, Φ = BI is Φ = I. Batch-wise sets fail on missing labels. The background is left out of the loss, so only the structure's sets tell the story.",
    takeaway: "Batch-wise sets push a missing label's structure down: training erases it.",
};

pub const EMPTY_I: Prose = Prose {
    title: "Empty label, image-wise Φ, ε = 1e-7",
    short: "Empty · Φ = I",
    text: "Image 1 truly has no structure, yet the network predicts a small blob there. Its set has no foreground, so every pixel of it gets the push ε/(|Φ|·(Ṽ+ε)²), with Ṽ its predicted volume — practically zero with ε = 1e-7. The loss term is near 1, but nothing in the gradient removes the false positive. The background is left out of the loss, as in the paper's runs: with exclusive classes and the background in, its own term would push the false positive down — and erase a missing structure the same way. The loss value is not the verdict: “Missing · Φ = I” has the same loss and a push of the same negligible size (about 1e-8 of a labelled image's), and there it is right.",
    takeaway: "Image-wise sets with a tiny ε give an empty label almost no push: its false positive stays.",
};

pub const EMPTY_BI: Prose = Prose {
    title: "Empty label, batch-wise Φ, ε = 1e-7",
    short: "Empty · Φ = BI",
    text: "The same false positive, now with batch-wise sets. The empty image shares the set of the labelled one and gets the set's background push, so the false positive is pushed down even with a tiny ε. Batch-wise sets handle empty labels. The background is left out of the loss, so only the structure's sets tell the story.",
    takeaway: "Batch-wise sets push an empty label's false positive down: training removes it.",
};

pub const HEURISTIC_EPS: Prose = Prose {
    title: "Image-wise Φ with ε = mean foreground volume",
    short: "Φ = I, ε = mean volume",
    text: "Three images: labelled, missing and empty. ε is the mean true volume per image as the authors compute it, over all images as the loss sees them — the missing label counts as 0, since nobody knows it is missing: (156 + 0 + 0) / 3 = 52. Now an empty image gets a push comparable to a labelled one, so the false positive goes down — but the unlabelled real structure is pushed down too. One setting cannot serve both cases. The background is left out of the loss, as in the paper's runs.",
    takeaway: "ε = mean volume pushes the empty label's false positive down but erases the missing structure too.",
};

pub const ZERO_OVER_ZERO: Prose = Prose {
    title: "ε = 0 with an empty image and no prediction",
    short: "ε = 0 and 0/0",
    text: "Image 1 is empty and the network predicts nothing there. With ε = 0 its Dice is 0/0: undefined, and so are the loss and that image's gradient — a training run would get NaN. With ε_nr = ε_dr > 0 the same set is a perfect score of 1; with ε only in the denominator (Keras, the leaf Dice) it scores 0 and has no gradient at all. The next two lessons show each. segmentation_models_pytorch instead multiplies the term of a class the whole batch lacks by 0: loss 0 there, as if perfect, and no gradient. The background is left out of the loss, as in the first lessons.",
    takeaway: "With ε = 0 an empty image without prediction is 0/0: loss and gradient undefined, NaN in training.",
};

pub const ZERO_OVER_ZERO_EPS: Prose = Prose {
    title: "ε_nr = ε_dr = 1e-5 with an empty image and no prediction",
    short: "0/0 with ε_nr = ε_dr",
    text: "The same empty image without prediction, with MONAI's ε_nr = ε_dr = 1e-5. Its set scores (0 + ε)/(0 + ε) = 1: a perfect term, loss 0 there. Its pixels still get the push ε_nr/(|Φ|·(Ṽ+ε_dr)²) = 1/(|Φ|·ε), huge but harmless on a prediction that is already 0. The background is left out of the loss.",
    takeaway: "With ε_nr = ε_dr > 0 an empty image without prediction scores 1, and its push down is right.",
};

pub const ZERO_OVER_ZERO_DR: Prose = Prose {
    title: "ε only in the denominator with an empty image and no prediction",
    short: "0/0 with ε_dr only",
    text: "The same empty image without prediction, with ε_nr = 0 and ε_dr = 1e-7, as Keras computes it. Its set scores 0/1e-7 = 0: the worst term, loss 1 there. And it has no gradient at all, whatever it predicts — the push ε_nr/(|Φ|·(Ṽ+ε_dr)²) is 0 — so a false positive in an empty image would never be pushed down. Nothing is predicted here, so no push is right for now: paint a false positive into image 1 and its badge turns ✗. The background is left out of the loss.",
    takeaway: "With ε only in the denominator an empty image gets no gradient: a false positive there would stay.",
};

pub const MISSING_BG: Prose = Prose {
    title: "Missing label, background in the loss (MONAI's default), image-wise Φ, ε = 1e-7",
    short: "Missing · background in",
    text: "The scene of “Missing · Φ = I”, but with the background in the loss, as MONAI's DiceLoss does by default, and a softmax. With exclusive classes the unlabelled structure counts as background in image 1, so the background's own set pushes the background probability up on it — and through the softmax the structure's probability goes down, even with Φ = I and a tiny ε. The structure's own ∂DL/∂ỹ is almost zero, but the verdict judges what a step does to its probability: it is pushed down. Its background's badge is judged on the structure's pixels, where the background label is wrong: pushed up there is the trap. This is one reason to leave the background out, as the paper's multi-class runs do.",
    takeaway: "With the background in the loss, its term pushes a missing label's structure down: training erases it.",
};

pub const MARGINAL: Prose = Prose {
    title: "Marginal Dice: labelled, missing and empty images, background in",
    short: "Marginal Dice",
    text: "Labelled, missing and empty images, background in the loss, softmax, Φ = I, ε = 1e-7: the marginal Dice as its authors use it, told that image 1's label is missing. It adds image 1's structure probability to its background's before the sums, so the background term no longer pushes the structure down (it can only raise their sum), and the structure's own term is a constant 0: no push, right. The empty label is not in its list, so image 2 gets the plain Dice: here the background's own term pushes the false positive down, the mechanism that erased the missing structure in “Missing · background in”. With a single structure class, image 1 then teaches nothing at all: its background, the merged label “background or structure”, gets no push either, rightly.",
    takeaway: "The marginal Dice leaves the missing structure alone and pushes the empty label's false positive down.",
};

pub const LEAF: Prose = Prose {
    title: "Leaf Dice: labelled, missing and empty images, background out",
    short: "Leaf Dice",
    text: "The same three images with the leaf Dice as its authors use it: background left out, Φ = I, ε = 1e-7 in the denominator only, told that image 1's label is missing. The missing cell is dropped from the sums: its term is a constant 0 and it gets no push at all, right. The empty label is not in its list, so image 2 gets the plain image-wise Dice with ε only in the denominator, which gives a set without foreground no gradient whatever it predicts: the false positive stays. Both losses need the list of missing labels, and a label left off it counts as empty: the marginal Dice (background in) pushes it down through the background term, the leaf Dice with ε only in the denominator gives it no gradient.",
    takeaway: "The leaf Dice leaves the missing structure alone, but the empty label's false positive gets no gradient and stays.",
};

pub const LEAF_BG: Prose = Prose {
    title: "Leaf Dice with the background in the loss",
    short: "Leaf Dice · background in",
    text: "The leaf Dice again, but with the background in the loss. The missing cell is dropped, yet the background's label still covers the unlabelled structure, so the background term pushes the background up there and the softmax pushes the structure down: wrong. This is one reason the authors' version of the leaf Dice leaves the background out; the marginal Dice avoids the trap by moving the missing class's probability into the background. With the background in, its own term also pushes the empty image's false positive down.",
    takeaway: "With the background in, the leaf Dice erases the missing structure and pushes the empty label's false positive down.",
};

/// What each lesson's training experiment will show and why, in two or three sentences.
pub const TWO_READINGS: Prose = Prose {
    title: "One scene, two readings: missing or empty",
    short: "Two readings · Φ = BI",
    text: "Images 1 and 2 are the same picture with the same prediction, and the loss sees the same zeros in both: image 1's structure is real but nobody labelled it (missing), image 2's blob is a look-alike that is truly not the structure (empty). The loss cannot tell them apart, so their gradient maps are identical, pixel for pixel: with batch-wise sets both blobs are pushed down. That push is right for the empty image and wrong for the missing one — the badges swap while the numbers do not. Compare with Φ = I (side B): now neither blob gets a push, right for the missing label and wrong for the empty one. No Φ and no ε can be right for both, because the difference is in the label's meaning, not in the data the loss sees. The background is left out of the loss, so only the structure's sets tell the story.",
    takeaway: "The same push down is wrong on a missing label and right on an empty one: training erases both.",
};

pub mod experiment {
    pub const MISSING_I: &str = "Train a small network on two labelled images and the one whose structure nobody labelled. With image-wise sets and a tiny ε the unlabelled image gets almost no gradient, so the network keeps finding the structure there: watch its curve stay high.";

    pub const MISSING_BI: &str = "The same training with batch-wise sets. The unlabelled image shares the labelled images' set and its structure is pushed down at every pixel; the network can erase it because it looks a little different (dimmer) from the labelled ones — with identical images it could not. Watch its curve fall.";

    pub const EMPTY_I: &str = "Train on two labelled images and a truly empty one with a dim distractor that the network first mistakes for the structure. Image-wise sets with a tiny ε give the empty image almost no push, so the false positive stays.";

    pub const EMPTY_BI: &str = "The same training with batch-wise sets: the empty image shares the set of the labelled ones, its false positive is pushed down, and the network learns to ignore the distractor.";

    pub const HEURISTIC_EPS: &str = "Image-wise sets with ε = the mean true volume per image (the unlabelled image counts as 0). Now the empty image's false positive is removed — and the unlabelled structure is erased too: one ε cannot serve both.";

    pub const MISSING_BG: &str = "Image-wise sets and a tiny ε, but with the background in the loss (MONAI's default). The unlabelled structure counts as background, the background term pushes the background up there, and through the softmax the structure goes down: the network erases it.";

    pub const MARGINAL: &str = "The marginal Dice, told which label is missing, adds that class's probability to the background there, so the background term no longer fights the structure: the network keeps it. The empty image's false positive is pushed down by the background term.";

    pub const LEAF: &str = "The leaf Dice drops the missing label from the loss, so the unlabelled structure is kept. It is not told about the empty image, which is just another image-wise set with ε only in the denominator, and gets no gradient: its false positive stays.";

    pub const LEAF_BG: &str = "The leaf Dice with the background in the loss: the background's label still covers the unlabelled structure, so the background term erases it — one reason the authors' version of the leaf Dice leaves the background out.";

    pub const TWO_READINGS: &str = "Train on two labelled images and two identical unlabelled ones, one read as missing and one as empty: the loss sees the same zeros in both, so training does the same to both. With batch-wise sets it erases both blobs: right for the empty image, wrong for the missing one.";
}
