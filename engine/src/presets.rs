//! Settings that reproduce what popular libraries compute (docs/science.md §5), and the reverse:
//! the MONAI call that computes the current settings, when one exists.

use crate::activation::Activation;
use crate::loss::DiceSettings;
use crate::objective::{CeForm, Objective};
use crate::options::{ClassWeighting, ClassWeights};
use crate::phi::Phi;
use crate::variants::Variant;

/// A named library configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameworkPreset {
    /// Name used in JSON (`"preset"`) and URLs (`#framework=`).
    pub name: &'static str,
    pub label: &'static str,
    /// The code it stands for.
    pub code: &'static str,
    /// What differs from the plain formula, in a sentence.
    pub note: &'static str,
    pub settings: DiceSettings,
}

/// The settings every preset starts from: MONAI's defaults.
const fn base() -> DiceSettings {
    DiceSettings::MONAI
}

/// Every preset, in the order the app lists them.
pub const FRAMEWORK_PRESETS: [FrameworkPreset; 6] = [
    FrameworkPreset {
        name: "monai",
        label: "MONAI DiceLoss()",
        code: "monai.losses.DiceLoss()",
        note: "MONAI 1.6: image-wise sets (batch=False), smooth_nr = smooth_dr = 1e-5, background included, no activation.",
        settings: base(),
    },
    FrameworkPreset {
        name: "monai_batch",
        label: "MONAI DiceLoss(batch=True)",
        code: "monai.losses.DiceLoss(batch=True)",
        note: "MONAI 1.6: batch-wise sets, each class summed over the whole batch before dividing.",
        settings: DiceSettings { phi: Phi::BI, ..base() },
    },
    FrameworkPreset {
        name: "nnunet",
        label: "nnU-Net v2 soft-Dice term only (batch_dice=False)",
        code: "MemoryEfficientSoftDiceLoss(apply_nonlin=softmax_helper_dim1,\n    batch_dice=False, do_bg=False, smooth=1e-5)",
        note: "nnU-Net v2 (2.8): the soft-Dice term only. nnU-Net's default trainer adds cross-entropy (DC_and_CE_loss, weights 1 and 1), which pushes an unlabelled structure towards background whatever Φ is. Softmax over all classes, then the background is dropped; denominator clipped at 1e-8. batch_dice comes from the plans: False for 3d_lowres and for a 3d_fullres without a cascade. nnU-Net reports −mean(sDSC), i.e. this loss minus 1 (same gradient).",
        settings: DiceSettings {
            include_background: false,
            activation: Activation::Softmax,
            denominator_floor: 1e-8,
            ..base()
        },
    },
    FrameworkPreset {
        name: "nnunet_batch",
        label: "nnU-Net v2 soft-Dice term only (batch_dice=True)",
        code: "MemoryEfficientSoftDiceLoss(apply_nonlin=softmax_helper_dim1,\n    batch_dice=True, do_bg=False, smooth=1e-5)",
        note: "nnU-Net v2 (2.8): the soft-Dice term only, with batch-wise sets: the plans set batch_dice=True for 2d, and for 3d_fullres when a 3d_lowres cascade exists. The default trainer adds cross-entropy (DC_and_CE_loss), which pushes an unlabelled structure towards background whatever Φ is. Reports −mean(sDSC), i.e. this loss minus 1.",
        settings: DiceSettings {
            phi: Phi::BI,
            include_background: false,
            activation: Activation::Softmax,
            denominator_floor: 1e-8,
            ..base()
        },
    },
    FrameworkPreset {
        name: "smp",
        label: "segmentation_models_pytorch DiceLoss",
        code: "segmentation_models_pytorch.losses.DiceLoss(mode=\"multiclass\")",
        note: "segmentation_models_pytorch 0.6 (the same since 0.4): sums over batch and pixels (dims 0 and 2); the score is (I + smooth)/((V + Ṽ)/2 + smooth).clamp_min(eps) with the soft-label overlap I = Σ min(y, ỹ), i.e. ε_nr = ε_dr = 2·smooth = 0 and a denominator floor of 2·eps = 2e-7 on the V + Ṽ scale; a class without foreground in the batch gets loss 0 and no gradient but still counts in the mean. from_logits=True applies a softmax. (The page computes the overlap as Σ y·ỹ: the same for labels 0 and 1 except the gradient where ỹ equals y.)",
        settings: DiceSettings {
            phi: Phi::BI,
            eps_nr: 0.0,
            eps_dr: 0.0,
            activation: Activation::Softmax,
            denominator_floor: 2e-7,
            zero_empty_sets: true,
            ..base()
        },
    },
    FrameworkPreset {
        name: "keras",
        label: "Keras Dice",
        code: "keras.losses.Dice()  # axis=None",
        note: "Keras 3 (3.15): one set over the flattened tensor; no numerator smoothing, 1e-7 (backend.epsilon()) in the denominator.",
        settings: DiceSettings {
            phi: Phi::BCI,
            eps_nr: 0.0,
            eps_dr: 1e-7,
            ..base()
        },
    },
];

pub fn framework_preset(name: &str) -> Option<&'static FrameworkPreset> {
    FRAMEWORK_PRESETS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
}

/// The MONAI `DiceLoss(...)` call that computes exactly these settings, or `None` when
/// MONAI has no such option (class-wise or all-wise sets, a floor, zeroed empty sets, the
/// leaf or marginal Dice).
pub fn monai_equivalent(s: &DiceSettings) -> Option<String> {
    let batch = match s.phi {
        Phi::I => false,
        Phi::BI => true,
        Phi::CI | Phi::BCI => return None,
    };
    if s.denominator_floor != 0.0 || s.zero_empty_sets || s.variant != Variant::Dice {
        return None;
    }
    let mut args = Vec::new();
    if !s.include_background {
        args.push("include_background=False".to_string());
    }
    match s.activation {
        Activation::None => {}
        Activation::Sigmoid => args.push("sigmoid=True".into()),
        Activation::Softmax => args.push("softmax=True".into()),
    }
    if s.squared {
        args.push("squared_pred=True".into());
    }
    if s.jaccard {
        args.push("jaccard=True".into());
    }
    if s.eps_nr != 1e-5 {
        args.push(format!("smooth_nr={}", fmt_float(s.eps_nr)));
    }
    if s.eps_dr != 1e-5 {
        args.push(format!("smooth_dr={}", fmt_float(s.eps_dr)));
    }
    if batch {
        args.push("batch=True".into());
    }
    Some(format!("monai.losses.DiceLoss({})", args.join(", ")))
}

/// Why no MONAI `DiceLoss(...)` call computes these settings, in words; `None` when
/// [`monai_equivalent`] has one.
pub fn monai_why_not(s: &DiceSettings) -> Option<String> {
    let mut why = Vec::new();
    match s.phi {
        Phi::CI => why.push("MONAI has no class-wise sets: batch=False sums per image and class"),
        Phi::BCI => why.push("MONAI has no all-wise set: batch=True still keeps one set per class"),
        Phi::I | Phi::BI => {}
    }
    if s.denominator_floor != 0.0 {
        why.push("MONAI does not clamp the denominator");
    }
    if s.zero_empty_sets {
        why.push("MONAI does not zero the sets without foreground");
    }
    match s.variant {
        Variant::Dice => {}
        Variant::Leaf => why.push("MONAI has no leaf Dice"),
        Variant::Marginal => why.push("MONAI has no marginal Dice"),
    }
    (!why.is_empty()).then(|| why.join("; "))
}

/// The sentence the page shows for the current settings: the MONAI call, or why there is
/// none.
pub fn monai_sentence(s: &DiceSettings) -> String {
    match (monai_equivalent(s), monai_why_not(s)) {
        (Some(code), _) => code,
        (None, why) => format!(
            "No MONAI DiceLoss call computes these settings ({}).",
            why.unwrap_or_else(|| "no matching option".into())
        ),
    }
}

/// A library's Dice + cross-entropy loss: Dice settings and the two weights.
#[derive(Clone, Debug, PartialEq)]
pub struct DiceCePreset {
    /// Name used in JSON (`"preset"`).
    pub name: &'static str,
    pub label: &'static str,
    /// The code it stands for.
    pub code: &'static str,
    /// What it computes, in a sentence.
    pub note: &'static str,
    pub settings: DiceSettings,
    pub dice_weight: f64,
    pub ce_weight: f64,
    pub ce_form: CeForm,
}

impl DiceCePreset {
    pub fn objective(&self) -> Objective {
        Objective {
            dice: self.settings,
            class_eps: None,
            dice_weight: self.dice_weight,
            ce_weight: self.ce_weight,
            ce_form: self.ce_form,
            options: crate::options::LossOptions::NONE,
        }
    }
}

/// What practitioners train with: MONAI's `DiceCELoss` and nnU-Net's default trainer loss
/// (docs/training.md, "Dice plus cross-entropy").
pub const DICE_CE_PRESETS: [DiceCePreset; 3] = [
    DiceCePreset {
        name: "monai_dice_ce",
        label: "MONAI DiceCELoss(softmax=True)",
        code: "monai.losses.DiceCELoss(softmax=True)",
        note: "MONAI's DiceLoss (image-wise sets, smooth_nr = smooth_dr = 1e-5, background in) plus torch.nn.CrossEntropyLoss on the logits over all classes, weights 1 and 1. MONAI uses the softmax cross-entropy whenever there is more than one channel, even with sigmoid=True (BCEWithLogitsLoss only for one channel); this preset does the same whatever activation it is given.",
        settings: DiceSettings {
            activation: Activation::Softmax,
            ..base()
        },
        dice_weight: 1.0,
        ce_weight: 1.0,
        ce_form: CeForm::Monai,
    },
    DiceCePreset {
        name: "nnunet_dice_ce",
        label: "nnU-Net v2 DC_and_CE_loss",
        code: "DC_and_CE_loss({'batch_dice': False, 'smooth': 1e-5, 'do_bg': False},\n    {}, weight_ce=1, weight_dice=1, dice_class=MemoryEfficientSoftDiceLoss)",
        note: "nnU-Net's default trainer loss as its planner sets it for 3d_fullres without a cascade and for 3d_lowres (batch_dice False): the soft Dice of the nnunet preset plus RobustCrossEntropyLoss (softmax over all classes), weights 1 and 1. nnU-Net reports the Dice as −mean(sDSC): this loss minus 1, same gradient.",
        settings: DiceSettings {
            include_background: false,
            activation: Activation::Softmax,
            denominator_floor: 1e-8,
            ..base()
        },
        dice_weight: 1.0,
        ce_weight: 1.0,
        ce_form: CeForm::ByActivation,
    },
    DiceCePreset {
        name: "nnunet_dice_ce_batch",
        label: "nnU-Net v2 DC_and_CE_loss, batch_dice",
        code: "DC_and_CE_loss({'batch_dice': True, 'smooth': 1e-5, 'do_bg': False},\n    {}, weight_ce=1, weight_dice=1, dice_class=MemoryEfficientSoftDiceLoss)",
        note: "nnU-Net's default trainer loss as its planner sets it for 2d, and for 3d_fullres when a 3d_lowres cascade exists (batch_dice True): batch-wise Dice sets plus the softmax cross-entropy, weights 1 and 1.",
        settings: DiceSettings {
            phi: Phi::BI,
            include_background: false,
            activation: Activation::Softmax,
            denominator_floor: 1e-8,
            ..base()
        },
        dice_weight: 1.0,
        ce_weight: 1.0,
        ce_form: CeForm::ByActivation,
    },
];

/// The objective a preset name stands for: a Dice preset of [`FRAMEWORK_PRESETS`] (the
/// Dice alone) or a Dice + CE preset of [`DICE_CE_PRESETS`].
pub fn objective_preset(name: &str) -> Option<Objective> {
    if let Some(p) = framework_preset(name) {
        let mut o: Objective = p.settings.into();
        // smp ≥ 0.4 computes its overlap as Σ min(y, ỹ), which only the options carry.
        o.options.soft_label = p.name == "smp";
        return Some(o);
    }
    let name = name.trim();
    if let Some(p) = OPTION_PRESETS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
    {
        return Some((p.objective)());
    }
    DICE_CE_PRESETS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(DiceCePreset::objective)
}

/// Every preset name `objective_preset` knows, in order.
pub fn preset_names() -> impl Iterator<Item = &'static str> {
    FRAMEWORK_PRESETS
        .iter()
        .map(|p| p.name)
        .chain(DICE_CE_PRESETS.iter().map(|p| p.name))
        .chain(OPTION_PRESETS.iter().map(|p| p.name))
}

/// A library's loss that needs the options of `engine::options` (computed by the command
/// line only).
#[derive(Clone, Debug)]
pub struct OptionPreset {
    /// Name used in JSON (`"preset"`).
    pub name: &'static str,
    /// The code it stands for.
    pub code: &'static str,
    /// What it computes, with the library version it follows.
    pub note: &'static str,
    pub objective: fn() -> Objective,
}

/// The settings `dice` uses for kornia's `DiceLoss` (softmax, ε in the denominator only).
fn kornia(phi: Phi, mode: ClassWeighting) -> Objective {
    let mut o: Objective = DiceSettings {
        phi,
        eps_nr: 0.0,
        eps_dr: 1e-8,
        activation: Activation::Softmax,
        ..base()
    }
    .into();
    o.options.class_weights = Some(ClassWeights {
        weights: Vec::new(),
        mode,
    });
    o
}

/// The Tversky losses of the libraries, at α = β = ½ (their defaults).
fn tversky(settings: DiceSettings, soft_label: bool) -> Objective {
    let mut o: Objective = settings.into();
    o.options.tversky = Some((0.5, 0.5));
    o.options.soft_label = soft_label;
    o
}

/// Losses of the peer libraries that need options (docs/options.md).
pub const OPTION_PRESETS: [OptionPreset; 5] = [
    OptionPreset {
        name: "kornia",
        code: "kornia.losses.DiceLoss()  # average=\"micro\", eps=1e-8",
        note: "kornia 0.9: softmax over the classes, one set per image summing all classes (Φ = CI), 2X/(V + Ṽ + eps) with eps = 1e-8 in the denominator only; `weight` scales a class's y and ỹ in the sums (class_weighting \"micro\").",
        objective: || kornia(Phi::CI, ClassWeighting::Micro),
    },
    OptionPreset {
        name: "kornia_macro",
        code: "kornia.losses.DiceLoss(average=\"macro\")",
        note: "kornia 0.9: softmax, one set per image and class, eps = 1e-8 in the denominator only; per image the (weighted) mean over the classes its labels contain, then the mean over the images (an image without a labelled class counts as 1).",
        objective: || kornia(Phi::I, ClassWeighting::Macro),
    },
    OptionPreset {
        name: "monai_tversky",
        code: "monai.losses.TverskyLoss()  # alpha=0.5, beta=0.5",
        note: "MONAI 1.6: (tp + smooth_nr)/(tp + α·fp + β·fn + smooth_dr) per image and class with smooth_nr = smooth_dr = 1e-5, i.e. on the Dice's scale ε_nr = ε_dr = 2e-5; no activation, background included.",
        objective: || {
            tversky(
                DiceSettings {
                    eps_nr: 2e-5,
                    eps_dr: 2e-5,
                    ..base()
                },
                false,
            )
        },
    },
    OptionPreset {
        name: "smp_tversky",
        code: "segmentation_models_pytorch.losses.TverskyLoss(mode=\"multiclass\")",
        note: "segmentation_models_pytorch 0.6: as its DiceLoss (batch-wise sets, soft-label overlap, softmax, smooth = 0, floor 2·eps = 2e-7, a class absent from the batch zeroed) with (I + smooth)/(I + α·fp + β·fn + smooth), α = β = 0.5, gamma = 1.",
        objective: || {
            tversky(
                DiceSettings {
                    phi: Phi::BI,
                    eps_nr: 0.0,
                    eps_dr: 0.0,
                    activation: Activation::Softmax,
                    denominator_floor: 2e-7,
                    zero_empty_sets: true,
                    ..base()
                },
                true,
            )
        },
    },
    OptionPreset {
        name: "keras_tversky",
        code: "keras.losses.Tversky()  # alpha=0.5, beta=0.5, axis=None",
        note: "Keras 3 (3.15): X/(X + α·Σ(1 − ỹ)y + β·Σỹ(1 − y) + epsilon) over the flattened tensor, epsilon = 1e-7: at α = β = ½ the Dice with ε_dr = 2e-7. Keras' alpha multiplies the false negatives and beta the false positives (the reverse of MONAI and smp): Tversky(alpha=a, beta=b) is tversky_alpha = b, tversky_beta = a here.",
        objective: || {
            tversky(
                DiceSettings {
                    phi: Phi::BCI,
                    eps_nr: 0.0,
                    eps_dr: 2e-7,
                    ..base()
                },
                false,
            )
        },
    },
];

/// Python-style float literal: shortest round-trip form.
fn fmt_float(v: f64) -> String {
    let s = format!("{v:e}");
    let plain = format!("{v}");
    if plain.len() <= s.len() {
        if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        }
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monai_presets_map_back_to_their_own_call() {
        for name in ["monai", "monai_batch"] {
            let p = framework_preset(name).unwrap();
            assert_eq!(monai_equivalent(&p.settings).as_deref(), Some(p.code));
        }
    }

    #[test]
    fn no_monai_call_for_class_wise_or_floors() {
        let s = DiceSettings {
            phi: Phi::CI,
            ..Default::default()
        };
        assert_eq!(monai_equivalent(&s), None);
        assert_eq!(
            monai_equivalent(&framework_preset("smp").unwrap().settings),
            None
        );
        assert_eq!(
            monai_equivalent(&framework_preset("keras").unwrap().settings),
            None
        );
    }

    #[test]
    fn either_a_monai_call_or_a_reason() {
        let mut all = vec![DiceSettings::default()];
        all.extend(FRAMEWORK_PRESETS.iter().map(|p| p.settings));
        for phi in Phi::ALL {
            for floor in [0.0, 1e-8] {
                for variant in Variant::ALL {
                    all.push(DiceSettings {
                        phi,
                        denominator_floor: floor,
                        variant,
                        ..Default::default()
                    });
                }
            }
        }
        for s in &all {
            assert_ne!(
                monai_equivalent(s).is_some(),
                monai_why_not(s).is_some(),
                "{s:?}"
            );
            let sentence = monai_sentence(s);
            assert!(
                sentence.starts_with("monai.losses.DiceLoss(")
                    || sentence.starts_with("No MONAI DiceLoss call computes these settings ("),
                "{sentence}"
            );
        }
        let keras = monai_sentence(&framework_preset("keras").unwrap().settings);
        assert!(keras.contains("all-wise"), "{keras}");
        let smp = monai_sentence(&framework_preset("smp").unwrap().settings);
        assert!(smp.contains("clamp") && smp.contains("zero"), "{smp}");
    }

    #[test]
    fn monai_call_spells_out_non_default_options() {
        let s = DiceSettings {
            phi: Phi::BI,
            eps_nr: 1e-7,
            eps_dr: 1e-7,
            include_background: false,
            activation: Activation::Softmax,
            ..Default::default()
        };
        assert_eq!(
            monai_equivalent(&s).unwrap(),
            "monai.losses.DiceLoss(include_background=False, softmax=True, smooth_nr=1e-7, smooth_dr=1e-7, batch=True)"
        );
        let s = DiceSettings {
            eps_nr: 100.0,
            eps_dr: 0.0,
            ..Default::default()
        };
        assert_eq!(
            monai_equivalent(&s).unwrap(),
            "monai.losses.DiceLoss(smooth_nr=100.0, smooth_dr=0.0)"
        );
    }
}
