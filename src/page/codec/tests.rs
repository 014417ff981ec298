//! Tests of the link codec: every page round-trips exactly, old links keep opening, and a
//! damaged, truncated or foreign link is an error in words, never a different page.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ndarray::{Array2, Array4};

use super::envelope::{checksum_of, CRC32};
use super::v2::write as payload;
use super::*;
use crate::engine::activation::Activation;
use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;
use crate::engine::status::LabelStatus;
use crate::engine::variants::Variant;
use crate::page::levels::{from_level, LEVELS};
use crate::page::state::{DisplayOptions, PageMode};

#[test]
fn presentation_is_bit_6_of_the_page_flags_and_older_links_open_without_it() {
    let mut s = AppState::default_scene();
    s.mode.embed = true;
    let without = payload(&s);
    s.mode.present = true;
    let with = payload(&s);
    // Only bit 6 of the page flags byte (after B, C, H) differs: the other flags,
    // the variant, image, training and compare bytes are where they were.
    let diff: Vec<usize> = (0..with.len()).filter(|&k| with[k] != without[k]).collect();
    assert_eq!(diff, vec![3]);
    assert_eq!(with[3] ^ without[3], 1 << 6);
    // A link written before presentation mode existed (bit 6 clear) opens without it.
    s.mode.present = false;
    let old = decode(&encode(&s)).unwrap();
    assert!(!old.mode.present && old.mode.embed);
    s.mode.present = true;
    assert!(decode(&encode(&s)).unwrap().mode.present);
}
use crate::page::lessons::SCENARIOS;

#[test]
fn checksum_is_the_standard_crc32() {
    // The check value of CRC-32/ISO-HDLC (zlib's crc32, which links were written with).
    assert_eq!(CRC32.checksum(b"123456789"), 0xCBF4_3926);
}

#[test]
fn hash_round_trip_is_exact() {
    let mut s = AppState::default_scene();
    s.settings.phi = Phi::BI;
    s.settings.eps_nr = 1e-7;
    s.status[(1, 1)] = LabelStatus::Missing;
    s.display.symlog = false;
    let text = encode(&s);
    assert!(
        text.len() < 2000,
        "default page hash is {} chars",
        text.len()
    );
    assert_eq!(decode(&text).unwrap(), s);
}

#[test]
fn the_default_page_link_is_short() {
    // Measured on the two-image scene the budget was set for (the first page has three
    // images now; the codec's cost per image is what this guards).
    let n = encode(&AppState::two_labelled()).len();
    let old = legacy::encode(&AppState::two_labelled()).len();
    assert!(
        n <= 800,
        "default page link is {n} characters (format 1: {old})"
    );
    assert!(2 * n <= old + 40, "{n} is not about half of {old}");
}

#[test]
fn every_field_and_scenario_round_trips() {
    for sc in &SCENARIOS {
        let s = sc.state();
        assert_eq!(decode(&encode(&s)).unwrap(), s, "{}", sc.name);
    }
    // Independent classes with soft predictions, every flag on, odd numbers.
    let mut s = AppState::blank(3, 3, 13).unwrap();
    crate::page::paint::set_exclusive(&mut s, false);
    s.settings = DiceSettings {
        phi: Phi::BCI,
        eps_nr: 0.1 + 0.2,
        eps_dr: 5e-324,
        squared: true,
        jaccard: true,
        include_background: false,
        activation: Activation::Sigmoid,
        denominator_floor: 1e-8,
        zero_empty_sets: true,
        variant: Variant::Leaf,
    };
    s.separate_eps = true;
    s.display = DisplayOptions {
        shared_scale: false,
        symlog: false,
        logit_grad: false,
    };
    s.mode = PageMode {
        embed: true,
        present: true,
    };
    s.status[(2, 1)] = LabelStatus::Empty;
    s.status[(0, 2)] = LabelStatus::Missing;
    s.compare = Some(DiceSettings {
        phi: Phi::BI,
        eps_nr: 1e-7,
        ..s.settings
    });
    s.train.model = crate::engine::train::ModelKind::Linear;
    s.train.optimizer = crate::engine::train::Optimizer::sgd(0.05);
    s.train.speed = 7;
    for (k, v) in s.image.iter_mut().enumerate() {
        *v = from_level((k as i64 * 31) % (LEVELS + 1));
    }
    for (k, p) in s.pred.iter_mut().enumerate() {
        *p = from_level((k as i64 * 7919) % (LEVELS + 1));
    }
    s.labels[[1, 2, 12, 0]] = 1.0;
    s.labels[[2, 0, 3, 4]] = 1.0;
    assert_eq!(decode(&encode(&s)).unwrap(), s);
}

#[test]
fn old_links_keep_opening() {
    for sc in &SCENARIOS {
        // Format 1 had no compare mode.
        let s = AppState {
            compare: None,
            ..sc.state()
        };
        assert_eq!(decode(&legacy::encode(&s)).unwrap(), s, "{}", sc.name);
    }
    let mut s = AppState::default_scene();
    s.settings.eps_nr = 0.0;
    s.status[(0, 1)] = LabelStatus::Missing;
    // Format 1 held no image: the page it opens has its scene's image.
    s.image = s.scene_image();
    assert_eq!(decode(&legacy::encode(&s)).unwrap(), s);
}

/// 17-digit settings come back bit for bit (the page's serde_json alone would miss some
/// by one unit in the last place; e2e/url-state.test.mjs checks it in the browser).
#[test]
fn old_links_keep_every_digit_of_the_settings() {
    let mut s = AppState::default_scene();
    s.image = s.scene_image();
    for (nr, dr, floor) in [
        (
            4.7263513513513517e-7,
            2.748695652173913e-11,
            1.7301204819277105e-6,
        ),
        (907186.8583162217, 0.1 + 0.2, 5e-324),
    ] {
        s.settings.eps_nr = nr;
        s.settings.eps_dr = dr;
        s.settings.denominator_floor = floor;
        let back = decode(&legacy::encode(&s)).unwrap().settings;
        assert_eq!(
            (back.eps_nr.to_bits(), back.eps_dr.to_bits()),
            (nr.to_bits(), dr.to_bits())
        );
        assert_eq!(back.denominator_floor.to_bits(), floor.to_bits());
    }
}

/// Every single-character change and every truncation of a link is refused (or, for
/// a change the base64 alphabet cannot tell apart, opens the same page): never a
/// different page.
#[test]
fn a_mistyped_or_truncated_link_is_refused() {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let s = SCENARIOS[1].state();
    let link = encode(&s);
    let bytes = link.as_bytes();
    let mut tried = 0;
    for pos in 0..bytes.len() {
        // A few substitutions per position keep the test quick.
        for &ch in ALPHABET.iter().step_by(9) {
            if ch == bytes[pos] {
                continue;
            }
            let mut t = bytes.to_vec();
            t[pos] = ch;
            let t = String::from_utf8(t).unwrap();
            tried += 1;
            if let Ok(d) = decode(&t) {
                assert_eq!(d, s, "changed char {pos} opened a different page");
            }
        }
    }
    assert!(tried > 1000);
    for cut in 1..link.len() {
        assert!(decode(&link[..cut]).is_err(), "truncated at {cut}");
    }
    assert_eq!(
        decode(&link[..link.len() - 3]).unwrap_err(),
        CodecError::Damaged
    );
}

#[test]
fn garbage_links_are_errors_not_panics() {
    for text in [
        "",
        "!!!",
        "AAAA",
        "eJzLSM3JyQcABiwCFQ",
        &"A".repeat(10_000),
        "Ag",
        "AgAAAAA",
    ] {
        assert!(decode(text).is_err(), "{text:?}");
    }
    // A valid payload with a wrong size is refused with a message.
    let mut s = AppState::default_scene();
    s.labels = Array4::zeros((9, 2, 32, 32));
    s.pred = Array4::zeros((9, 2, 32, 32));
    s.status = Array2::from_elem((9, 2), LabelStatus::Annotated);
    assert!(matches!(decode(&encode(&s)), Err(CodecError::Dims(_))));
    assert!(matches!(
        decode(&legacy::encode(&s)),
        Err(CodecError::Dims(_))
    ));
    // A newer format says so: a link framed like this one, with another version.
    let payload = b"a page of format 9";
    let mut newer = vec![9u8];
    newer.extend(miniz_oxide::deflate::compress_to_vec(payload, 9));
    newer.extend(checksum_of(9, payload).to_le_bytes());
    let newer = URL_SAFE_NO_PAD.encode(newer);
    assert_eq!(decode(&newer).unwrap_err(), CodecError::Version(9));
}

/// Fuzz finding: junk and oversized links said "made by a newer version of
/// the playground (format 105)" whenever their first byte was above 2.
#[test]
fn only_a_framed_link_is_from_a_newer_version() {
    let mut junk = vec![
        URL_SAFE_NO_PAD.encode([9u8, 1, 2, 3, 4, 5, 6]),
        "iiiiiiiiiiiiiiiiiiii".to_string(),
        "zzzz".repeat(1000),
        "_".repeat(1 << 20),
    ];
    // A real link with its first byte changed, and a real link padded out.
    let real = encode(&AppState::default_scene());
    junk.push(format!("i{}", &real[1..]));
    junk.push(format!("{real}{}", "A".repeat(4000)));
    for text in &junk {
        let e = decode(text).unwrap_err();
        assert!(!matches!(e, CodecError::Version(_)), "{}: {e}", &text[..20]);
        assert!(!e.to_string().contains("newer version"), "{e}");
    }
    let e = decode(&junk[1]).unwrap_err();
    assert_eq!(e, CodecError::Damaged, "{e}");
}

#[test]
fn a_link_with_softmax_and_independent_classes_opens_exclusive() {
    let mut s = AppState::default_scene();
    s.exclusive = false;
    s.settings.activation = Activation::Softmax;
    // Independent classes: both structure and background painted, predictions not
    // summing to 1.
    s.labels[[0, 0, 14, 14]] = 1.0;
    s.pred[[1, 0, 3, 3]] = 0.2;
    s.pred[[1, 1, 3, 3]] = 0.2;
    let d = decode(&encode(&s)).unwrap();
    assert!(d.exclusive, "softmax comes with exclusive classes");
    // What the controls would have made of it.
    let mut want = s.clone();
    crate::page::rules::set_activation(&mut want, Activation::Softmax).unwrap();
    assert_eq!(d.labels, want.labels);
    for b in 0..2 {
        for i in 0..32 {
            for j in 0..32 {
                let sum: f64 = (0..2).map(|c| d.pred[[b, c, i, j]]).sum();
                assert!((sum - 1.0).abs() < 1e-12);
            }
        }
    }
    assert!(d.pred_on_grid());
    // The engine accepts it.
    crate::engine::loss::evaluate_probs(d.loss_labels().view(), d.pred.clone(), &d.settings)
        .unwrap();
    // A valid page is unchanged by the normalisation.
    assert_eq!(decode(&encode(&d)).unwrap(), d);
    // Sigmoid keeps independent classes as they are.
    s.settings.activation = Activation::Sigmoid;
    assert_eq!(decode(&encode(&s)).unwrap(), s);
}

#[test]
fn exclusive_links_get_one_hot_labels() {
    let mut s = AppState::blank(1, 3, 8).unwrap();
    // Two classes painted on one pixel, none on another.
    s.labels[[0, 1, 0, 0]] = 1.0;
    s.labels[[0, 2, 0, 0]] = 1.0;
    s.labels[[0, 0, 1, 1]] = 0.0;
    let d = decode(&encode(&s)).unwrap();
    let column =
        |i: usize, j: usize| -> Vec<f64> { (0..3).map(|c| d.labels[[0, c, i, j]]).collect() };
    assert_eq!(
        column(0, 0),
        vec![0.0, 0.0, 1.0],
        "the highest painted class wins"
    );
    assert_eq!(column(1, 1), vec![1.0, 0.0, 0.0], "no class: background");
    assert_eq!(column(5, 5), vec![1.0, 0.0, 0.0]);
    // The same rule as switching to exclusive classes in the controls.
    let mut want = s.clone();
    want.exclusive = false;
    crate::page::paint::set_exclusive(&mut want, true);
    assert_eq!(d.labels, want.labels);
    assert_eq!(d.pred, want.pred);
}
