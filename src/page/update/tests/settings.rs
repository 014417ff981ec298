//! Typed ε entries and the settings they change.

use super::*;

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
