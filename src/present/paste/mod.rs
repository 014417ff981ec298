//! "Paste your loss": a library's constructor call, read with that library's own argument
//! names, positions and defaults, as the page's loss settings — or one sentence saying
//! which argument the page cannot honour and why. A term the page does not show (the
//! cross-entropy of a Dice + CE loss) or an argument that leaves the loss as it is on the
//! page's one-hot labels is said in a note; nothing is dropped silently.
//!
//! The libraries (checked against their sources): MONAI 1.6 `DiceLoss`, `DiceCELoss`;
//! segmentation_models_pytorch 0.6 `DiceLoss`; Keras 3 `Dice`; kornia 0.9 `DiceLoss`;
//! nnU-Net v2 `SoftDiceLoss`, `MemoryEfficientSoftDiceLoss`, `DC_and_CE_loss`. Their
//! formulas on the page's scale are those of `engine::presets` (docs/options.md).

use crate::engine::activation::Activation;
use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;
use crate::present::format;
use crate::present::pycall::{parse_call, Call, Value};

pub mod wire;

/// A pasted call read as the page's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Pasted {
    /// The class it was read as, e.g. "MONAI DiceLoss".
    pub source: String,
    /// The settings in words ([`summary`]).
    pub summary: String,
    pub settings: DiceSettings,
    /// What the page shows differently or not at all, one sentence each.
    pub notes: Vec<String>,
}

/// Reads `text` as one of the libraries' Dice losses.
pub fn read_loss(text: &str) -> Result<Pasted, String> {
    let call = parse_call(text)?;
    let kind = kind_of(&call)?;
    let args = Args::bind(&call, kind.title(), kind.params())?;
    let read = match kind {
        Kind::MonaiDice => monai(&args, false),
        Kind::MonaiDiceCe => monai(&args, true),
        Kind::Smp => smp(&args),
        Kind::Keras => keras(&args),
        Kind::Kornia => kornia(&args),
        Kind::NnUnet { efficient } => nnunet(&args, efficient),
        Kind::NnUnetDiceCe => nnunet_dice_ce(&args),
    };
    read.map(|p| Pasted {
        summary: summary(&p.settings),
        ..p
    })
}

/// The settings in a short line: Φ, ε and what differs from the plain Dice.
pub fn summary(s: &DiceSettings) -> String {
    let mut parts = vec![format!("Φ = {}", s.phi.code())];
    if s.eps_nr == s.eps_dr {
        parts.push(format!("ε_nr = ε_dr = {}", format::exact(s.eps_nr)));
    } else {
        parts.push(format!(
            "ε_nr = {}, ε_dr = {}",
            format::exact(s.eps_nr),
            format::exact(s.eps_dr)
        ));
    }
    let background = if s.include_background {
        "background included"
    } else {
        "background excluded"
    };
    parts.push(background.into());
    parts.push(match s.activation {
        Activation::None => "no activation".into(),
        a => a.code().to_string(),
    });
    if s.squared {
        parts.push("squared denominator".into());
    }
    if s.jaccard {
        parts.push("Jaccard".into());
    }
    if s.denominator_floor > 0.0 {
        parts.push(format!(
            "denominator floor {}",
            format::exact(s.denominator_floor)
        ));
    }
    if s.zero_empty_sets {
        parts.push("sets without foreground zeroed".into());
    }
    parts.join(" · ")
}

/// The losses the field reads.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    MonaiDice,
    MonaiDiceCe,
    Smp,
    Keras,
    Kornia,
    NnUnet { efficient: bool },
    NnUnetDiceCe,
}

static MONAI_PARAMS: [&str; 13] = [
    "include_background",
    "to_onehot_y",
    "sigmoid",
    "softmax",
    "other_act",
    "squared_pred",
    "jaccard",
    "reduction",
    "smooth_nr",
    "smooth_dr",
    "batch",
    "weight",
    "soft_label",
];
static MONAI_CE_PARAMS: [&str; 15] = [
    "include_background",
    "to_onehot_y",
    "sigmoid",
    "softmax",
    "other_act",
    "squared_pred",
    "jaccard",
    "reduction",
    "smooth_nr",
    "smooth_dr",
    "batch",
    "weight",
    "lambda_dice",
    "lambda_ce",
    "label_smoothing",
];
static SMP_PARAMS: [&str; 7] = [
    "mode",
    "classes",
    "log_loss",
    "from_logits",
    "smooth",
    "ignore_index",
    "eps",
];
static KERAS_PARAMS: [&str; 4] = ["reduction", "name", "axis", "dtype"];
static KORNIA_PARAMS: [&str; 4] = ["average", "eps", "weight", "ignore_index"];
static NNUNET_PARAMS: [&str; 6] = [
    "apply_nonlin",
    "batch_dice",
    "do_bg",
    "smooth",
    "ddp",
    "clip_tp",
];
static NNUNET_CE_PARAMS: [&str; 6] = [
    "soft_dice_kwargs",
    "ce_kwargs",
    "weight_ce",
    "weight_dice",
    "ignore_label",
    "dice_class",
];

impl Kind {
    fn title(self) -> &'static str {
        match self {
            Kind::MonaiDice => "MONAI DiceLoss",
            Kind::MonaiDiceCe => "MONAI DiceCELoss",
            Kind::Smp => "smp DiceLoss",
            Kind::Keras => "Keras Dice",
            Kind::Kornia => "kornia DiceLoss",
            Kind::NnUnet { efficient: false } => "nnU-Net SoftDiceLoss",
            Kind::NnUnet { efficient: true } => "nnU-Net MemoryEfficientSoftDiceLoss",
            Kind::NnUnetDiceCe => "nnU-Net DC_and_CE_loss",
        }
    }

    fn params(self) -> &'static [&'static str] {
        match self {
            Kind::MonaiDice => &MONAI_PARAMS,
            Kind::MonaiDiceCe => &MONAI_CE_PARAMS,
            Kind::Smp => &SMP_PARAMS,
            Kind::Keras => &KERAS_PARAMS,
            Kind::Kornia => &KORNIA_PARAMS,
            // MemoryEfficientSoftDiceLoss has no clip_tp.
            Kind::NnUnet { efficient: true } => &NNUNET_PARAMS[..5],
            Kind::NnUnet { efficient: false } => &NNUNET_PARAMS,
            Kind::NnUnetDiceCe => &NNUNET_CE_PARAMS,
        }
    }
}

const KNOWN: &str = "MONAI DiceLoss or DiceCELoss, smp.losses.DiceLoss, keras.losses.Dice, \
                     kornia.losses.DiceLoss, or nnU-Net's SoftDiceLoss, \
                     MemoryEfficientSoftDiceLoss or DC_and_CE_loss";

/// Which library's loss: by the module when it names a library, else by the class name
/// (a bare `DiceLoss` is MONAI's, as after `from monai.losses import DiceLoss`).
fn kind_of(call: &Call) -> Result<Kind, String> {
    let short = call.short_name();
    let module: Vec<&str> = call.name.split('.').rev().skip(1).collect();
    let has = |names: &[&str]| module.iter().any(|m| names.contains(m));
    let lib = if has(&["monai"]) {
        "monai"
    } else if has(&["smp", "segmentation_models_pytorch"]) {
        "smp"
    } else if has(&["keras", "tf", "tensorflow"]) {
        "keras"
    } else if has(&["kornia"]) {
        "kornia"
    } else if has(&["nnunet", "nnunetv2"]) {
        "nnunet"
    } else {
        ""
    };
    let kind = match (lib, short) {
        ("monai" | "", "DiceLoss") => Some(Kind::MonaiDice),
        ("monai" | "", "DiceCELoss") => Some(Kind::MonaiDiceCe),
        ("smp", "DiceLoss") => Some(Kind::Smp),
        ("keras" | "", "Dice") => Some(Kind::Keras),
        ("kornia", "DiceLoss") => Some(Kind::Kornia),
        ("nnunet" | "", "SoftDiceLoss") => Some(Kind::NnUnet { efficient: false }),
        ("nnunet" | "", "MemoryEfficientSoftDiceLoss") => Some(Kind::NnUnet { efficient: true }),
        ("nnunet" | "", "DC_and_CE_loss") => Some(Kind::NnUnetDiceCe),
        _ => None,
    };
    kind.ok_or_else(|| {
        let other = if short.contains("Tversky") {
            " (the command line computes the libraries' Tversky losses: dice eval --preset monai_tversky, smp_tversky or keras_tversky)"
        } else {
            ""
        };
        format!(
            "The page reads {KNOWN}; “{}” is not one of them{other}.",
            call.name
        )
    })
}

/// A call's arguments by parameter name, positional ones placed by the signature.
struct Args<'a> {
    title: &'static str,
    values: Vec<(&'static str, &'a Value)>,
}

impl<'a> Args<'a> {
    fn bind(call: &'a Call, title: &'static str, params: &[&'static str]) -> Result<Self, String> {
        if call.args.len() > params.len() {
            return Err(format!(
                "{title} takes at most {} positional arguments ({}); the call has {}.",
                params.len(),
                params.join(", "),
                call.args.len()
            ));
        }
        let mut values: Vec<(&'static str, &Value)> =
            params.iter().copied().zip(call.args.iter()).collect();
        for (key, v) in &call.kwargs {
            let Some(&p) = params.iter().find(|p| **p == key.as_str()) else {
                return Err(unknown_argument(title, key, params));
            };
            if values.iter().any(|(q, _)| *q == p) {
                return Err(format!(
                    "{title}: {p} is given both by position and by keyword."
                ));
            }
            values.push((p, v));
        }
        Ok(Args { title, values })
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.values
            .iter()
            .find(|(p, _)| *p == name)
            .map(|(_, v)| *v)
    }

    /// A value the page can leave out only when it is absent or None.
    fn given(&self, name: &str) -> Option<&'a Value> {
        self.get(name).filter(|v| **v != Value::None)
    }

    fn flag(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(format!(
                "{}: {name} must be True or False, not {}.",
                self.title,
                v.describe()
            )),
        }
    }

    /// A finite number ≥ 0 (an int or a float).
    fn number(&self, name: &str, default: f64) -> Result<f64, String> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::Number { value, .. }) if value.is_finite() && *value >= 0.0 => Ok(*value),
            Some(Value::Number { value, .. }) => Err(format!(
                "{}: {name} = {value} cannot be used: it must be a finite number ≥ 0.",
                self.title
            )),
            Some(v) => Err(format!(
                "{}: {name} must be a number, not {}.",
                self.title,
                v.describe()
            )),
        }
    }

    /// A string (or a name such as `MULTICLASS_MODE`, as its last part), or `default`.
    fn text(&self, name: &str, default: Option<&'a str>) -> Result<Option<&'a str>, String> {
        match self.get(name) {
            None => Ok(default),
            Some(Value::None) => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.as_str())),
            Some(v) => Err(format!(
                "{}: {name} must be a string, not {}.",
                self.title,
                v.describe()
            )),
        }
    }

    /// The sentence refusing `name`: "{title}: {name}=… — {why}."
    fn refuse(&self, name: &str, why: &str) -> String {
        let shown = self
            .get(name)
            .map(Value::describe)
            .unwrap_or_else(|| "its default".into());
        format!(
            "{}: {name} ({shown}) cannot be honoured: {why}.",
            self.title
        )
    }
}

/// "has no argument …", with the closest parameter when one is a typo away, or the
/// library the argument belongs to.
fn unknown_argument(title: &str, key: &str, params: &[&str]) -> String {
    let close = params
        .iter()
        .map(|p| (strsim::osa_distance(p, key), p))
        .filter(|(d, _)| *d <= 2)
        .min();
    let hint = match (close, key) {
        (Some((_, p)), _) => format!(" Did you mean {p}?"),
        (None, "mode" | "from_logits" | "log_loss") => {
            " It is an argument of smp's DiceLoss: write smp.losses.DiceLoss(…).".into()
        }
        (None, "batch_dice" | "do_bg") => " It is an argument of nnU-Net's SoftDiceLoss.".into(),
        _ => String::new(),
    };
    format!(
        "{title} has no argument “{key}” (its arguments: {}).{hint}",
        params.join(", ")
    )
}

/// MONAI's `DiceLoss` and `DiceCELoss` (the Dice term; the cross-entropy in a note).
fn monai(a: &Args, ce: bool) -> Result<Pasted, String> {
    let mut notes = Vec::new();
    let mut s = DiceSettings::MONAI;
    s.include_background = a.flag("include_background", true)?;
    if a.flag("to_onehot_y", false)? {
        notes.push("to_onehot_y=True one-hot encodes class-index labels; the page's labels are one-hot already, so the loss is the same.".to_string());
    }
    let (sigmoid, softmax) = (a.flag("sigmoid", false)?, a.flag("softmax", false)?);
    if a.given("other_act").is_some() {
        return Err(a.refuse(
            "other_act",
            "the page's activations are sigmoid, softmax or none",
        ));
    }
    s.activation = match (sigmoid, softmax) {
        (true, true) => {
            return Err(format!(
                "{}: sigmoid=True and softmax=True together are refused by MONAI itself (one activation at most).",
                a.title
            ))
        }
        (true, false) => Activation::Sigmoid,
        (false, true) => Activation::Softmax,
        (false, false) => Activation::None,
    };
    s.squared = a.flag("squared_pred", false)?;
    s.jaccard = a.flag("jaccard", false)?;
    match a.text("reduction", Some("mean"))? {
        Some("mean") => {}
        _ => {
            return Err(a.refuse(
                "reduction",
                "the page shows the mean over the sets (reduction=\"mean\")",
            ))
        }
    }
    s.eps_nr = a.number("smooth_nr", 1e-5)?;
    s.eps_dr = a.number("smooth_dr", 1e-5)?;
    s.phi = if a.flag("batch", false)? {
        Phi::BI
    } else {
        Phi::I
    };
    if a.given("weight").is_some() {
        return Err(a.refuse(
            "weight",
            "the page has no class weights (dice eval's class_weights has them)",
        ));
    }
    if !ce && a.flag("soft_label", false)? {
        notes.push("soft_label=True computes the overlap as Σ min(y, ỹ): for the page's labels 0 and 1 that is Σ y·ỹ, the same loss.".to_string());
    }
    if ce {
        monai_ce(a, &mut notes)?;
    }
    Ok(Pasted {
        source: a.title.to_string(),
        summary: String::new(),
        settings: s,
        notes,
    })
}

/// DiceCELoss's weights: the Dice term must be the loss's own (weight 1); the CE is said.
fn monai_ce(a: &Args, notes: &mut Vec<String>) -> Result<(), String> {
    let lambda_dice = a.number("lambda_dice", 1.0)?;
    if lambda_dice != 1.0 {
        return Err(a.refuse(
            "lambda_dice",
            "the page shows the Dice term with weight 1, and a weight would scale its loss and gradient",
        ));
    }
    a.number("label_smoothing", 0.0)?;
    let lambda_ce = a.number("lambda_ce", 1.0)?;
    if lambda_ce > 0.0 {
        notes.push(format!(
            "The cross-entropy term (lambda_ce = {}) is not shown: the page computes the Dice term only, and the cross-entropy pushes an unlabelled structure towards background whatever Φ is.",
            format::exact(lambda_ce)
        ));
    }
    Ok(())
}

/// segmentation_models_pytorch's `DiceLoss(mode, …)` (0.4 and later).
fn smp(a: &Args) -> Result<Pasted, String> {
    let mode = match a.get("mode") {
        None => {
            return Err(format!(
                "{}: mode is required (\"binary\", \"multiclass\" or \"multilabel\").",
                a.title
            ))
        }
        // smp.losses.MULTICLASS_MODE and friends hold the strings.
        Some(Value::Name(n)) => match n.rsplit('.').next().unwrap_or("") {
            "BINARY_MODE" => "binary",
            "MULTICLASS_MODE" => "multiclass",
            "MULTILABEL_MODE" => "multilabel",
            _ => {
                return Err(a.refuse(
                    "mode",
                    "it must be \"binary\", \"multiclass\" or \"multilabel\"",
                ))
            }
        },
        Some(_) => a.text("mode", None)?.unwrap_or(""),
    };
    if !matches!(mode, "binary" | "multiclass" | "multilabel") {
        return Err(a.refuse(
            "mode",
            "it must be \"binary\", \"multiclass\" or \"multilabel\"",
        ));
    }
    if a.given("classes").is_some() {
        return Err(a.refuse(
            "classes",
            "the page's loss takes every class (or every class but the background)",
        ));
    }
    if a.flag("log_loss", false)? {
        return Err(a.refuse(
            "log_loss",
            "the page shows 1 − score, not −log(score) (dice eval's log_loss has it)",
        ));
    }
    if a.given("ignore_index").is_some() {
        return Err(a.refuse(
            "ignore_index",
            "the page's labels have no ignored pixels (dice eval's ignore_index has them)",
        ));
    }
    let smooth = a.number("smooth", 0.0)?;
    let eps = a.number("eps", 1e-7)?;
    let from_logits = a.flag("from_logits", true)?;
    let mut notes = vec!["smp ≥ 0.4 computes (I + smooth)/((V + Ṽ)/2 + smooth) with the overlap I = Σ min(y, ỹ): on the page's scale ε_nr = ε_dr = 2·smooth and a denominator floor of 2·eps, and for labels 0 and 1 the overlap is Σ y·ỹ.".to_string()];
    if mode == "binary" {
        notes.push("mode=\"binary\" takes one channel; the page applies it to each class as mode=\"multilabel\" does.".into());
    }
    Ok(Pasted {
        source: a.title.to_string(),
        summary: String::new(),
        settings: DiceSettings {
            phi: Phi::BI,
            eps_nr: 2.0 * smooth,
            eps_dr: 2.0 * smooth,
            activation: match (from_logits, mode) {
                (false, _) => Activation::None,
                (true, "multiclass") => Activation::Softmax,
                (true, _) => Activation::Sigmoid,
            },
            denominator_floor: 2.0 * eps,
            zero_empty_sets: true,
            ..DiceSettings::MONAI
        },
        notes,
    })
}

/// Keras 3's `Dice(reduction, name, axis, dtype)`, on channels-last (B, H, W, C) tensors.
fn keras(a: &Args) -> Result<Pasted, String> {
    match a.text("reduction", Some("sum_over_batch_size"))? {
        Some("sum_over_batch_size" | "mean") => {}
        _ => {
            return Err(a.refuse(
                "reduction",
                "the page shows the mean over the sets (\"sum_over_batch_size\" or \"mean\")",
            ))
        }
    }
    a.text("name", None)?;
    let phi = keras_phi(a)?;
    let mut notes = vec![
        "Keras adds backend.epsilon() = 1e-7 to the denominator only: ε_nr = 0, ε_dr = 1e-7."
            .to_string(),
    ];
    if let Some(d) = a.text("dtype", None)? {
        notes.push(format!(
            "dtype=\"{d}\" sets the precision Keras computes in; the page computes in float64."
        ));
    }
    Ok(Pasted {
        source: a.title.to_string(),
        summary: String::new(),
        settings: DiceSettings {
            phi,
            eps_nr: 0.0,
            eps_dr: 1e-7,
            ..DiceSettings::MONAI
        },
        notes,
    })
}

/// The sets of Keras' `axis` on a (B, H, W, C) tensor: the axes summed over.
fn keras_phi(a: &Args) -> Result<Phi, String> {
    let axes: Vec<&Value> = match a.get("axis") {
        None | Some(Value::None) => return Ok(Phi::BCI),
        Some(Value::Tuple(v) | Value::List(v)) => v.iter().collect(),
        Some(v) => vec![v],
    };
    let mut set = [false; 4];
    for v in axes {
        match v {
            Value::Number { value, int: true } if (-4.0..4.0).contains(value) => {
                set[(*value as i64).rem_euclid(4) as usize] = true;
            }
            _ => return Err(a.refuse(
                "axis",
                "the page reads axes 0–3 (or −4 to −1) of a (batch, height, width, classes) tensor",
            )),
        }
    }
    match set {
        [false, true, true, false] => Ok(Phi::I),
        [true, true, true, false] => Ok(Phi::BI),
        [false, true, true, true] => Ok(Phi::CI),
        [true, true, true, true] => Ok(Phi::BCI),
        _ => Err(a.refuse(
            "axis",
            "on a (batch, height, width, classes) tensor the page's sets sum the pixels (axes 1 and 2), and with them the batch (0), the classes (3) or both",
        )),
    }
}

/// kornia's `DiceLoss(average, eps, weight, ignore_index)`: softmax, ε in the denominator.
fn kornia(a: &Args) -> Result<Pasted, String> {
    let phi = match a.text("average", Some("micro"))? {
        Some("micro") => Phi::CI,
        Some("macro") => {
            return Err(a.refuse(
                "average",
                "kornia's macro average takes each image's mean over the classes its labels contain, while the page averages over every class (dice eval --preset kornia_macro computes it)",
            ))
        }
        _ => return Err(a.refuse("average", "it must be \"micro\" or \"macro\"")),
    };
    let eps = a.number("eps", 1e-8)?;
    if a.given("weight").is_some() {
        return Err(a.refuse(
            "weight",
            "the page has no class weights (dice eval's class_weights has them)",
        ));
    }
    match a.get("ignore_index") {
        None | Some(Value::None) => {}
        Some(Value::Number { value, .. }) if *value == -100.0 => {}
        Some(_) => {
            return Err(a.refuse(
                "ignore_index",
                "the page's labels have no ignored pixels (dice eval's ignore_index has them)",
            ))
        }
    }
    Ok(Pasted {
        source: a.title.to_string(),
        summary: String::new(),
        settings: DiceSettings {
            phi,
            eps_nr: 0.0,
            eps_dr: eps,
            activation: Activation::Softmax,
            ..DiceSettings::MONAI
        },
        notes: Vec::new(),
    })
}

/// nnU-Net's `apply_nonlin`: a name or a call such as `nn.Softmax(dim=1)`.
fn nnunet_activation(a: &Args) -> Result<Activation, String> {
    let name = match a.get("apply_nonlin") {
        None | Some(Value::None) => return Ok(Activation::None),
        Some(Value::Name(n)) => n.as_str(),
        Some(Value::Call(c)) => c.name.as_str(),
        Some(_) => "",
    };
    match name.rsplit('.').next().unwrap_or("") {
        "softmax_helper_dim1" | "softmax_helper" | "Softmax" => Ok(Activation::Softmax),
        "sigmoid" | "Sigmoid" => Ok(Activation::Sigmoid),
        _ => Err(a.refuse(
            "apply_nonlin",
            "the page's activations are softmax_helper_dim1 (softmax), torch.sigmoid or None",
        )),
    }
}

/// nnU-Net v2's `SoftDiceLoss` / `MemoryEfficientSoftDiceLoss` (the same loss).
fn nnunet(a: &Args, _efficient: bool) -> Result<Pasted, String> {
    let activation = nnunet_activation(a)?;
    nnunet_dice(a, activation, Vec::new())
}

/// The soft Dice of nnU-Net with this activation: batch_dice, do_bg, smooth, ddp, clip_tp.
fn nnunet_dice(a: &Args, activation: Activation, mut notes: Vec<String>) -> Result<Pasted, String> {
    let smooth = a.number("smooth", 1.0)?;
    a.flag("ddp", true)?;
    if a.given("clip_tp").is_some() {
        return Err(a.refuse("clip_tp", "the page does not clip the overlap from below"));
    }
    notes.push("nnU-Net reports −mean(sDSC): the page's loss minus 1, with the same gradient; its denominator is clipped at 1e-8.".to_string());
    Ok(Pasted {
        source: a.title.to_string(),
        summary: String::new(),
        settings: DiceSettings {
            phi: if a.flag("batch_dice", false)? {
                Phi::BI
            } else {
                Phi::I
            },
            eps_nr: smooth,
            eps_dr: smooth,
            include_background: a.flag("do_bg", true)?,
            activation,
            denominator_floor: 1e-8,
            ..DiceSettings::MONAI
        },
        notes,
    })
}

/// nnU-Net v2's `DC_and_CE_loss(soft_dice_kwargs, ce_kwargs, …)`: its Dice term, with the
/// softmax it always passes, and the cross-entropy in a note.
fn nnunet_dice_ce(a: &Args) -> Result<Pasted, String> {
    let efficient = match a.given("dice_class") {
        None => false,
        Some(Value::Name(n)) if n.ends_with("MemoryEfficientSoftDiceLoss") => true,
        Some(Value::Name(n)) if n.rsplit('.').next() == Some("SoftDiceLoss") => false,
        Some(_) => {
            return Err(a.refuse(
                "dice_class",
                "the page reads SoftDiceLoss or MemoryEfficientSoftDiceLoss",
            ))
        }
    };
    let kwargs = match a.get("soft_dice_kwargs") {
        None => return Err(format!("{}: soft_dice_kwargs is required (e.g. {{'batch_dice': False, 'smooth': 1e-5, 'do_bg': False}}).", a.title)),
        Some(v) => dict_as_call(v).ok_or_else(|| {
            format!(
                "{}: soft_dice_kwargs must be a dict with string keys, not {}.",
                a.title,
                v.describe()
            )
        })?,
    };
    match a.get("ce_kwargs") {
        None => return Err(format!("{}: ce_kwargs is required (e.g. {{}}).", a.title)),
        Some(v) if dict_as_call(v).is_none() => {
            return Err(format!(
                "{}: ce_kwargs must be a dict, not {}.",
                a.title,
                v.describe()
            ))
        }
        Some(_) => {}
    }
    if a.number("weight_dice", 1.0)? != 1.0 {
        return Err(a.refuse(
            "weight_dice",
            "the page shows the Dice term with weight 1, and a weight would scale its loss and gradient",
        ));
    }
    if a.given("ignore_label").is_some() {
        return Err(a.refuse("ignore_label", "the page's labels have no ignored pixels"));
    }
    let weight_ce = a.number("weight_ce", 1.0)?;
    let mut notes = Vec::new();
    if weight_ce > 0.0 {
        notes.push(format!(
            "The cross-entropy term (weight_ce = {}) is not shown: the page computes the Dice term only, and the cross-entropy pushes an unlabelled structure towards background whatever Φ is.",
            format::exact(weight_ce)
        ));
    }
    let kind = Kind::NnUnet { efficient };
    // DC_and_CE_loss passes apply_nonlin=softmax_helper_dim1 itself.
    let params: Vec<&'static str> = kind
        .params()
        .iter()
        .copied()
        .filter(|p| *p != "apply_nonlin")
        .collect();
    let inner = Args::bind(&kwargs, kind.title(), &params)
        .map_err(|e| format!("In soft_dice_kwargs: {e}"))?;
    let mut pasted = nnunet_dice(&inner, Activation::Softmax, notes)?;
    pasted.source = a.title.to_string();
    Ok(pasted)
}

/// `{'k': v}` or `dict(k=v)` as keyword arguments; `None` when it is neither.
fn dict_as_call(v: &Value) -> Option<Call> {
    let kwargs = match v {
        Value::Dict(items) => items
            .iter()
            .map(|(k, v)| match k {
                Value::Str(k) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?,
        Value::Call(c) if c.name == "dict" && c.args.is_empty() => c.kwargs.clone(),
        _ => return None,
    };
    Some(Call {
        name: "dict".into(),
        args: Vec::new(),
        kwargs,
    })
}

#[cfg(test)]
mod tests;
