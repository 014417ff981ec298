//! Typed ε entries and the settings they change.

use super::*;
use crate::present::paste::read_loss;

#[test]
fn a_typed_eps_is_applied_only_when_the_whole_entry_is_valid() {
    let mut m = model();
    let eps = m.state.settings.eps_nr;
    for bad in ["1e999", "0x10", "2abc", "1e-1000", "-1", ""] {
        let ch = update(
            &mut m,
            Msg::Settings(SettingsMsg::EpsEntered {
                field: EpsField::First,
                text: bad.into(),
            }),
        );
        assert!(!ch.settings, "{bad} changed the settings");
        assert_eq!(m.state.settings.eps_nr, eps, "{bad}");
        let r = m.feedback.refused[0].clone().expect("refused");
        assert_eq!(r.text, bad);
        assert!(!r.reason.is_empty());
    }
    let ch = update(
        &mut m,
        Msg::Settings(SettingsMsg::EpsEntered {
            field: EpsField::First,
            text: "1e-7".into(),
        }),
    );
    assert!(ch.settings && ch.entry);
    assert_eq!(
        (m.state.settings.eps_nr, m.state.settings.eps_dr),
        (1e-7, 1e-7)
    );
    assert!(m.feedback.refused[0].is_none());
    // The same value again recomputes nothing.
    let ch = update(
        &mut m,
        Msg::Settings(SettingsMsg::EpsEntered {
            field: EpsField::First,
            text: "1e-07".into(),
        }),
    );
    assert!(!ch.data());
    // A refusal stays until ε changes some other way (here: the slider).
    update(
        &mut m,
        Msg::Settings(SettingsMsg::EpsEntered {
            field: EpsField::First,
            text: "oops".into(),
        }),
    );
    update(
        &mut m,
        Msg::Settings(SettingsMsg::EpsSlider {
            field: EpsField::First,
            pos: 0,
        }),
    );
    assert!(m.feedback.refused[0].is_none());
    assert_eq!(m.state.settings.eps_nr, 0.0);
    // Separate ε: the second field edits ε_dr only.
    update(&mut m, Msg::Settings(SettingsMsg::SeparateEps(true)));
    update(
        &mut m,
        Msg::Settings(SettingsMsg::EpsEntered {
            field: EpsField::Dr,
            text: "0.5".into(),
        }),
    );
    assert_eq!(
        (m.state.settings.eps_nr, m.state.settings.eps_dr),
        (0.0, 0.5)
    );
    update(&mut m, Msg::Settings(SettingsMsg::SeparateEps(false)));
    assert_eq!(m.state.settings.eps_dr, 0.0, "joined again: ε_dr = ε_nr");
}

/// A pasted call sets the whole loss, and the link keeps it; a call the page cannot
/// honour leaves the page as it was and says why.
#[test]
fn a_pasted_call_sets_the_loss_or_says_why_not() {
    use crate::engine::activation::Activation;
    let mut m = model();
    update(&mut m, Msg::Lesson(LessonMsg::Open(1)));
    let before = m.state.clone();
    let link_before = m.link();
    let ch = update(
        &mut m,
        Msg::Settings(SettingsMsg::Paste(Box::new(read_loss(
            "monai.losses.DiceLoss(include_background=False, sigmoid=True, batch=True, \
             smooth_nr=1e-5, smooth_dr=1e-5)",
        )))),
    );
    assert!(ch.paste && ch.data() && ch.link == Link::Replace);
    let want = crate::engine::loss::DiceSettings {
        phi: Phi::BI,
        include_background: false,
        activation: Activation::Sigmoid,
        ..crate::engine::loss::DiceSettings::MONAI
    };
    assert_eq!(m.state.settings, want);
    // Only the loss changed: the painted data is the lesson's.
    assert_eq!(
        (&m.state.labels, &m.state.pred),
        (&before.labels, &before.pred)
    );
    assert_ne!(m.link(), link_before);
    assert_eq!(
        route::parse(&m.link()).map(|r| r.state.settings).ok(),
        Some(want)
    );
    let status = m.feedback.paste.clone().unwrap();
    assert!(!status.error);
    assert!(
        status
            .sentence
            .starts_with("Applied MONAI DiceLoss: Φ = BI"),
        "{}",
        status.sentence
    );
    let [missing, empty] = status.verdicts.unwrap();
    assert_eq!(missing.state.settings, want);
    assert_eq!(
        missing.verdict,
        crate::page::matrix::judge(&want)[0].verdict
    );
    assert!(empty.verdict.is_ok());
    let state = m.state.clone();
    let ch = update(
        &mut m,
        Msg::Settings(SettingsMsg::Paste(Box::new(read_loss(
            "DiceLoss(weight=[1, 2])",
        )))),
    );
    assert!(ch.paste && !ch.data() && ch.link == Link::Keep);
    assert_eq!(m.state, state);
    let status = m.feedback.paste.clone().unwrap();
    assert!(status.error && status.verdicts.is_none());
    assert!(status.sentence.contains("weight"), "{}", status.sentence);
}

/// What the page's own rules refuse (softmax with one class) is said in the status line,
/// and a switch they make (to exclusive classes) is said too.
#[test]
fn a_pasted_call_follows_the_page_rules() {
    let mut m = Model::new(AppState::blank(2, 1, 8).unwrap());
    let state = m.state.clone();
    update(
        &mut m,
        Msg::Settings(SettingsMsg::Paste(Box::new(read_loss(
            "DiceLoss(softmax=True)",
        )))),
    );
    assert_eq!(m.state, state);
    let status = m.feedback.paste.clone().unwrap();
    assert!(
        status.error && status.sentence.contains("at least 2 classes"),
        "{}",
        status.sentence
    );

    let mut m = model();
    m.state.exclusive = false;
    update(
        &mut m,
        Msg::Settings(SettingsMsg::Paste(Box::new(read_loss(
            "kornia.losses.DiceLoss()",
        )))),
    );
    assert!(m.state.exclusive);
    let status = m.feedback.paste.clone().unwrap();
    assert!(
        status.sentence.contains("exclusive classes"),
        "{}",
        status.sentence
    );
}
