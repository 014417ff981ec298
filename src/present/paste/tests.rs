use super::*;
use crate::engine::presets::{
    framework_preset, monai_equivalent, DICE_CE_PRESETS, FRAMEWORK_PRESETS, OPTION_PRESETS,
};
use crate::engine::variants::Variant;

fn read(text: &str) -> DiceSettings {
    match read_loss(text) {
        Ok(p) => p.settings,
        Err(e) => panic!("{text}: {e}"),
    }
}

const MONAI: DiceSettings = DiceSettings::MONAI;

/// Calls as they are written in training scripts and the libraries' docs, with the
/// settings each computes on the page (the libraries' formulas: engine::presets).
#[test]
fn real_world_calls_give_their_settings() {
    let cases: Vec<(&str, DiceSettings)> = vec![
        ("monai.losses.DiceLoss()", MONAI),
        ("DiceLoss()", MONAI),
        (
            "monai.losses.DiceLoss(include_background=False, sigmoid=True, batch=True, smooth_nr=1e-5, smooth_dr=1e-5)",
            DiceSettings {
                include_background: false,
                activation: Activation::Sigmoid,
                phi: Phi::BI,
                ..MONAI
            },
        ),
        // MONAI's docs example.
        (
            "DiceLoss(smooth_nr=0, smooth_dr=1e-5, squared_pred=True, to_onehot_y=False, sigmoid=True)",
            DiceSettings {
                eps_nr: 0.0,
                squared: true,
                activation: Activation::Sigmoid,
                ..MONAI
            },
        ),
        // MONAI's tutorials: to_onehot_y with softmax, positional include_background.
        (
            "loss_function = DiceLoss(to_onehot_y=True, softmax=True)",
            DiceSettings {
                activation: Activation::Softmax,
                ..MONAI
            },
        ),
        (
            "monai.losses.DiceLoss(False, True, False, True)",
            DiceSettings {
                include_background: false,
                activation: Activation::Softmax,
                ..MONAI
            },
        ),
        (
            "DiceLoss(jaccard=True, reduction=\"mean\", smooth_nr=0.0, smooth_dr=1e-6, weight=None, soft_label=False)",
            DiceSettings {
                jaccard: true,
                eps_nr: 0.0,
                eps_dr: 1e-6,
                ..MONAI
            },
        ),
        (
            "monai.losses.DiceCELoss(to_onehot_y=True, softmax=True, lambda_ce=0.5)",
            DiceSettings {
                activation: Activation::Softmax,
                ..MONAI
            },
        ),
        (
            "smp.losses.DiceLoss(mode='multilabel', from_logits=True)",
            DiceSettings {
                phi: Phi::BI,
                eps_nr: 0.0,
                eps_dr: 0.0,
                activation: Activation::Sigmoid,
                denominator_floor: 2e-7,
                zero_empty_sets: true,
                ..MONAI
            },
        ),
        (
            "segmentation_models_pytorch.losses.DiceLoss(smp.losses.MULTICLASS_MODE, smooth=1.0, from_logits=False)",
            DiceSettings {
                phi: Phi::BI,
                eps_nr: 2.0,
                eps_dr: 2.0,
                activation: Activation::None,
                denominator_floor: 2e-7,
                zero_empty_sets: true,
                ..MONAI
            },
        ),
        (
            "smp.losses.DiceLoss(mode=\"binary\", eps=1e-6)",
            DiceSettings {
                phi: Phi::BI,
                eps_nr: 0.0,
                eps_dr: 0.0,
                activation: Activation::Sigmoid,
                denominator_floor: 2e-6,
                zero_empty_sets: true,
                ..MONAI
            },
        ),
        (
            "keras.losses.Dice()",
            DiceSettings {
                phi: Phi::BCI,
                eps_nr: 0.0,
                eps_dr: 1e-7,
                ..MONAI
            },
        ),
        // Keras' docs example: per sample.
        (
            "tf.keras.losses.Dice(axis=(1, 2, 3), reduction='sum_over_batch_size', name='dice')",
            DiceSettings {
                phi: Phi::CI,
                eps_nr: 0.0,
                eps_dr: 1e-7,
                ..MONAI
            },
        ),
        (
            "keras.losses.Dice(axis=[1, 2])",
            DiceSettings {
                phi: Phi::I,
                eps_nr: 0.0,
                eps_dr: 1e-7,
                ..MONAI
            },
        ),
        (
            "keras.losses.Dice(\"mean\", \"d\", (0, 1, -2))",
            DiceSettings {
                phi: Phi::BI,
                eps_nr: 0.0,
                eps_dr: 1e-7,
                ..MONAI
            },
        ),
        (
            "kornia.losses.DiceLoss()",
            DiceSettings {
                phi: Phi::CI,
                eps_nr: 0.0,
                eps_dr: 1e-8,
                activation: Activation::Softmax,
                ..MONAI
            },
        ),
        (
            "kornia.losses.DiceLoss(average='micro', eps=1e-6, ignore_index=-100)",
            DiceSettings {
                phi: Phi::CI,
                eps_nr: 0.0,
                eps_dr: 1e-6,
                activation: Activation::Softmax,
                ..MONAI
            },
        ),
        // nnU-Net's default smooth is 1.
        (
            "SoftDiceLoss()",
            DiceSettings {
                eps_nr: 1.0,
                eps_dr: 1.0,
                denominator_floor: 1e-8,
                ..MONAI
            },
        ),
        (
            "SoftDiceLoss(apply_nonlin=softmax_helper_dim1, batch_dice=True, do_bg=False, smooth=1e-5, ddp=False)",
            DiceSettings {
                phi: Phi::BI,
                include_background: false,
                activation: Activation::Softmax,
                denominator_floor: 1e-8,
                ..MONAI
            },
        ),
        (
            "nnunetv2.training.loss.dice.SoftDiceLoss(torch.sigmoid, False, True, 0)",
            DiceSettings {
                eps_nr: 0.0,
                eps_dr: 0.0,
                activation: Activation::Sigmoid,
                denominator_floor: 1e-8,
                ..MONAI
            },
        ),
        (
            "DC_and_CE_loss(dict(batch_dice=True, smooth=0, do_bg=False, ddp=False), {}, weight_ce=1, weight_dice=1, ignore_label=None, dice_class=SoftDiceLoss)",
            DiceSettings {
                phi: Phi::BI,
                eps_nr: 0.0,
                eps_dr: 0.0,
                include_background: false,
                activation: Activation::Softmax,
                denominator_floor: 1e-8,
                ..MONAI
            },
        ),
    ];
    for (text, want) in cases {
        assert_eq!(read(text), want, "{text}");
        assert_eq!(read(text).variant, Variant::Dice);
    }
}

/// The terms the page does not show and the arguments that leave the loss as it is are
/// said, never dropped silently.
#[test]
fn what_the_page_does_not_show_is_said() {
    for (text, says) in [
        (
            "monai.losses.DiceCELoss(softmax=True)",
            "cross-entropy term (lambda_ce = 1)",
        ),
        (
            "DC_and_CE_loss({'batch_dice': False}, {}, weight_ce=2)",
            "cross-entropy term (weight_ce = 2)",
        ),
        ("DiceLoss(to_onehot_y=True)", "one-hot already"),
        ("DiceLoss(soft_label=True)", "Σ min(y, ỹ)"),
        ("smp.losses.DiceLoss('binary')", "mode=\"multilabel\""),
        ("keras.losses.Dice(dtype='float16')", "float64"),
        ("MemoryEfficientSoftDiceLoss()", "minus 1"),
    ] {
        let p = read_loss(text).unwrap();
        assert!(
            p.notes.iter().any(|n| n.contains(says)),
            "{text}: {:?}",
            p.notes
        );
    }
    // Without a cross-entropy weight there is nothing to say about it.
    let p = read_loss("monai.losses.DiceCELoss(softmax=True, lambda_ce=0)").unwrap();
    assert!(
        p.notes.iter().all(|n| !n.contains("cross-entropy")),
        "{:?}",
        p.notes
    );
    assert_eq!(read_loss("DiceLoss()").unwrap().notes, Vec::<String>::new());
}

/// Each argument the page cannot honour is refused in one sentence naming it and why.
#[test]
fn arguments_the_page_cannot_honour_are_refused_in_one_sentence() {
    for (text, says) in [
        (
            "DiceLoss(weight=[1.0, 2.0])",
            "weight (a list) cannot be honoured: the page has no class weights",
        ),
        (
            "DiceLoss(other_act=torch.tanh)",
            "other_act (the name torch.tanh) cannot be honoured",
        ),
        (
            "DiceLoss(sigmoid=True, softmax=True)",
            "refused by MONAI itself",
        ),
        (
            "DiceLoss(reduction='sum')",
            "reduction (the string \"sum\") cannot be honoured",
        ),
        (
            "DiceCELoss(lambda_dice=0.5)",
            "lambda_dice (the number 0.5)",
        ),
        ("smp.losses.DiceLoss()", "mode is required"),
        (
            "smp.losses.DiceLoss('multi')",
            "mode (the string \"multi\")",
        ),
        (
            "smp.losses.DiceLoss('multiclass', classes=[1, 2])",
            "classes (a list)",
        ),
        (
            "smp.losses.DiceLoss('multiclass', log_loss=True)",
            "log_loss (True)",
        ),
        (
            "smp.losses.DiceLoss('multiclass', ignore_index=255)",
            "ignore_index (the number 255)",
        ),
        (
            "keras.losses.Dice(axis=(1,))",
            "axis (a tuple) cannot be honoured",
        ),
        ("keras.losses.Dice(axis=7)", "axis (the number 7)"),
        ("keras.losses.Dice(reduction=None)", "reduction (None)"),
        ("kornia.losses.DiceLoss(average='macro')", "macro average"),
        (
            "kornia.losses.DiceLoss(weight=torch.tensor([1.0, 2.0]))",
            "weight (a call of torch.tensor)",
        ),
        (
            "kornia.losses.DiceLoss(ignore_index=0)",
            "ignore_index (the number 0)",
        ),
        (
            "SoftDiceLoss(apply_nonlin=lambda_x)",
            "apply_nonlin (the name lambda_x)",
        ),
        ("SoftDiceLoss(clip_tp=1)", "clip_tp (the number 1)"),
        (
            "DC_and_CE_loss({}, {}, weight_dice=2)",
            "weight_dice (the number 2)",
        ),
        (
            "DC_and_CE_loss({}, {}, ignore_label=255)",
            "ignore_label (the number 255)",
        ),
        (
            "DC_and_CE_loss({}, {}, dice_class=GDL)",
            "dice_class (the name GDL)",
        ),
        (
            "DC_and_CE_loss({'apply_nonlin': None}, {})",
            "In soft_dice_kwargs: nnU-Net SoftDiceLoss has no argument “apply_nonlin”",
        ),
        (
            "DC_and_CE_loss({'smooth': 'x'}, {})",
            "smooth must be a number, not the string \"x\"",
        ),
        (
            "DC_and_CE_loss({'batch_dice': False})",
            "ce_kwargs is required",
        ),
        ("DC_and_CE_loss([1], {})", "soft_dice_kwargs must be a dict"),
        (
            "monai.losses.TverskyLoss()",
            "dice eval --preset monai_tversky",
        ),
        ("torch.nn.CrossEntropyLoss()", "is not one of them"),
        ("smp.losses.DiceCELoss()", "is not one of them"),
        ("my_losses.DiceLoss2()", "is not one of them"),
    ] {
        let e = read_loss(text).unwrap_err();
        assert!(e.contains(says), "{text}: {e}");
        // One sentence: it ends once, with a full stop.
        assert!(e.ends_with('.'), "{text}: {e}");
    }
}

#[test]
fn unknown_arguments_and_wrong_types_are_named() {
    for (text, says) in [
        ("DiceLoss(smooth=1e-5)", "has no argument “smooth”"),
        ("DiceLoss(smoth_nr=1e-5)", "Did you mean smooth_nr?"),
        ("DiceLoss(mode='multiclass')", "write smp.losses.DiceLoss"),
        ("DiceLoss(batch_dice=True)", "nnU-Net's SoftDiceLoss"),
        (
            "DiceLoss(batch=1)",
            "batch must be True or False, not the number 1",
        ),
        (
            "DiceLoss(batch='True')",
            "batch must be True or False, not the string \"True\"",
        ),
        (
            "DiceLoss(smooth_nr=True)",
            "smooth_nr must be a number, not True",
        ),
        ("DiceLoss(smooth_nr=-1e-5)", "finite number ≥ 0"),
        ("DiceLoss(smooth_nr=1e999)", "finite number ≥ 0"),
        (
            "DiceLoss(True, include_background=False)",
            "both by position and by keyword",
        ),
        (
            "DiceLoss(1,2,3,4,5,6,7,8,9,10,11,12,13,14)",
            "at most 13 positional arguments",
        ),
        (
            "keras.losses.Dice(reduction=1)",
            "reduction must be a string",
        ),
        ("DiceLoss(batch=True", "never closed"),
    ] {
        let e = read_loss(text).unwrap_err();
        assert!(e.contains(says), "{text}: {e}");
    }
}

/// Random and truncated text: always an answer, never a panic.
#[test]
fn any_text_gives_an_answer() {
    let base = "DC_and_CE_loss({'batch_dice': True, 'smooth': 1e-5, 'do_bg': False}, {}, weight_ce=1, dice_class=MemoryEfficientSoftDiceLoss)";
    assert!(read_loss(base).is_ok());
    for cut in 0..base.len() {
        if base.is_char_boundary(cut) {
            let _ = read_loss(&base[..cut]);
            let _ = read_loss(&base[cut..]);
        }
    }
    let mut rng = crate::engine::rng::Rng::new(12345, 0);
    let alphabet: Vec<char> = "()[]{},=:.'\"#\\ \n-+e1aTF_é".chars().collect();
    for _ in 0..2000 {
        let text: String = (0..40)
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect();
        let _ = read_loss(&format!("DiceLoss({text}"));
    }
    assert!(read_loss(&"DiceLoss(batch=True) ".repeat(1000))
        .unwrap_err()
        .contains("at most 4000"));
}

/// Both directions against one table: for each library row, the page's settings as that
/// library's call (the MONAI call the page shows, or the preset's own code) read back as
/// the same settings.
#[test]
fn round_trip_page_settings_to_call_to_settings() {
    let mut monai_rows = vec![MONAI];
    for phi in [Phi::I, Phi::BI] {
        for activation in Activation::ALL {
            for (squared, jaccard, include_background) in [
                (false, false, true),
                (true, false, false),
                (false, true, true),
                (true, true, false),
            ] {
                for (eps_nr, eps_dr) in [
                    (1e-5, 1e-5),
                    (0.0, 1e-7),
                    (1.0, 1.0),
                    (100.0, 0.0),
                    (2.5e-9, 3e-3),
                ] {
                    monai_rows.push(DiceSettings {
                        phi,
                        eps_nr,
                        eps_dr,
                        squared,
                        jaccard,
                        include_background,
                        activation,
                        ..MONAI
                    });
                }
            }
        }
    }
    for s in &monai_rows {
        let call = monai_equivalent(s).expect("MONAI has this loss");
        assert_eq!(&read(&call), s, "{call}");
    }
    // Every library preset the page offers, by its own code.
    for p in &FRAMEWORK_PRESETS {
        assert_eq!(read(p.code), p.settings, "{}: {}", p.name, p.code);
    }
    for p in &DICE_CE_PRESETS {
        let pasted = read_loss(p.code).unwrap();
        assert_eq!(pasted.settings, p.settings, "{}: {}", p.name, p.code);
        assert!(
            pasted.notes.iter().any(|n| n.contains("cross-entropy")),
            "{}",
            p.name
        );
    }
    // kornia's micro DiceLoss is a page loss (uniform weights); its macro one is not.
    for p in &OPTION_PRESETS {
        match (p.name, read_loss(p.code)) {
            ("kornia", Ok(pasted)) => assert_eq!(pasted.settings, (p.objective)().dice),
            ("kornia_macro", Err(e)) => assert!(e.contains("macro"), "{e}"),
            (_, Err(e)) => assert!(e.contains("is not one of them"), "{}: {e}", p.name),
            (name, Ok(_)) => panic!("{name} is not a page loss"),
        }
    }
    assert_eq!(framework_preset("monai").map(|p| read(p.code)), Some(MONAI));
}

#[test]
fn summary_names_every_setting_that_differs() {
    let s = read("smp.losses.DiceLoss('multiclass', smooth=0.5)");
    assert_eq!(
        summary(&s),
        "Φ = BI · ε_nr = ε_dr = 1 · background included · softmax · denominator floor 2e-7 · sets without foreground zeroed"
    );
    let s =
        read("DiceLoss(include_background=False, jaccard=True, squared_pred=True, smooth_nr=0)");
    assert_eq!(
        summary(&s),
        "Φ = I · ε_nr = 0, ε_dr = 1e-5 · background excluded · no activation · squared denominator · Jaccard"
    );
}
