//! What the URL hash asks for. Pure, unit-tested natively.
//!
//! - empty: the default scene;
//! - `#<payload>` or `#s=<payload>`: a saved page ([`crate::page::codec`]);
//! - `#preset=NAME` (or `#framework=NAME`): a named page. Scenario names of
//!   [`crate::page::lessons::SCENARIOS`] are tried first (their own scene and settings), then the
//!   framework presets of [`crate::engine::presets`] (applied to the default scene);
//! - `&embed` (or `embed=1`) after any of these hides the control panels;
//! - `&present` (or `present=1`) opens presentation mode.

use crate::engine::presets::{framework_preset, FRAMEWORK_PRESETS};
use crate::page::codec::{self, CodecError};
use crate::page::lessons::{scenario, SCENARIOS};
use crate::page::state::AppState;
use crate::present::format::excerpt;

/// A hash the page cannot use, in words.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RouteError {
    #[error("{0}")]
    Codec(#[from] CodecError),
    #[error("unknown preset “{name}”; known presets: {known}")]
    UnknownPreset { name: String, known: String },
    #[error("unknown link parameter “{0}”")]
    UnknownKey(String),
    #[error("the preset “{name}” cannot be shown: {reason}")]
    Preset { name: String, reason: String },
    #[error("the link asks for more than one page (“{0}”)")]
    Conflict(String),
    #[error("“train={0}” must be a number of steps from 0 to {MAX_LINK_STEPS}")]
    Train(String),
}

/// Where a page came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Default,
    Saved,
    Preset(String),
}

/// A parsed hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub state: AppState,
    pub source: Source,
    /// `&train=N`: open the page and train it to step N (after its first frame).
    pub train: Option<usize>,
}

/// The most steps `&train=N` may ask for. The page opens at once whatever N; the run after
/// its first frame takes what N steps take (on the largest page, conv3x3, about ten steps a
/// second on a two-core machine).
pub const MAX_LINK_STEPS: usize = 20_000;

/// The names `#preset=` accepts: scenarios first, then framework presets.
pub fn preset_names() -> Vec<&'static str> {
    SCENARIOS
        .iter()
        .map(|s| s.name)
        .chain(FRAMEWORK_PRESETS.iter().map(|p| p.name))
        .collect()
}

/// The page for a preset name: a scenario's own scene, or the default scene with a
/// framework's settings.
pub fn preset_state(name: &str) -> Result<AppState, RouteError> {
    if let Some(sc) = scenario(name) {
        return Ok(sc.state());
    }
    let p = framework_preset(name).ok_or_else(|| RouteError::UnknownPreset {
        name: excerpt(name),
        known: preset_names().join(", "),
    })?;
    let mut s = AppState::default_scene();
    crate::page::rules::apply_preset(&mut s, p).map_err(|reason| RouteError::Preset {
        name: excerpt(name),
        reason,
    })?;
    Ok(s)
}

/// Decodes `%XX` escapes (invalid ones are kept as they are).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A flag's value: anything but "0", "false" or "no" turns it on.
fn flag_on(value: &str) -> bool {
    !matches!(value, "0" | "false" | "no")
}

/// Parses a hash (with or without the leading `#`).
pub fn parse(hash: &str) -> Result<Route, RouteError> {
    let body = hash.trim().trim_start_matches('#').trim();
    if body.is_empty() {
        return Ok(Route {
            state: AppState::default_scene(),
            source: Source::Default,
            train: None,
        });
    }
    let mut page: Option<Route> = None;
    let mut embed = None;
    let mut present = None;
    let mut train = None;
    for part in body.split('&').filter(|p| !p.is_empty()) {
        // Keys are percent-decoded like values (`%20preset%20=…` is `preset=…`).
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (
                percent_decode(k).trim().to_ascii_lowercase(),
                percent_decode(v.trim()),
            ),
            None => {
                let word = percent_decode(part).trim().to_ascii_lowercase();
                if word == "embed" || word == "present" {
                    // A bare flag.
                    (word, "1".to_string())
                } else {
                    // A bare word is the payload.
                    ("s".to_string(), part.trim().to_string())
                }
            }
        };
        let next = match key.as_str() {
            "s" | "state" => Route {
                state: codec::decode(&value)?,
                source: Source::Saved,
                train: None,
            },
            "preset" | "framework" => Route {
                state: preset_state(&value)?,
                source: Source::Preset(value.clone()),
                train: None,
            },
            "train" => {
                let n = value
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n <= MAX_LINK_STEPS)
                    .ok_or_else(|| RouteError::Train(excerpt(&value)))?;
                train = Some(n);
                continue;
            }
            "embed" => {
                embed = Some(flag_on(&value));
                continue;
            }
            "present" => {
                present = Some(flag_on(&value));
                continue;
            }
            _ => return Err(RouteError::UnknownKey(excerpt(&key))),
        };
        if page.is_some() {
            return Err(RouteError::Conflict(excerpt(part)));
        }
        page = Some(next);
    }
    let mut route = page.unwrap_or(Route {
        state: AppState::default_scene(),
        source: Source::Default,
        train: None,
    });
    if let Some(e) = embed {
        route.state.mode.embed = e;
    }
    if let Some(p) = present {
        route.state.mode.present = p;
    }
    route.train = train.filter(|&n| n > 0);
    Ok(route)
}

/// What the page starts with: the parsed hash, or the default scene and a message saying
/// why the link could not be used.
pub fn resolve(hash: &str) -> (Route, Option<String>) {
    match parse(hash) {
        Ok(r) => (r, None),
        Err(e) => (
            Route {
                state: AppState::default_scene(),
                source: Source::Default,
                train: None,
            },
            Some(format!(
                "This link could not be opened ({e}). Showing the default example instead."
            )),
        ),
    }
}

/// The hash that reproduces `state` (with the leading `#`).
pub fn hash_of(state: &AppState) -> String {
    format!("#{}", codec::encode(state))
}

#[cfg(test)]
/// The link to show for `state`: `#preset=NAME` while the page is still exactly the
/// scenario `lesson` (so a lecturer's address bar stays readable), else [`hash_of`].
pub fn link_of(state: &AppState, lesson: Option<&str>) -> String {
    let scene = lesson.and_then(scenario).map(|sc| (sc.name, sc.state()));
    link_with_scene(state, scene.as_ref().map(|(name, s)| (*name, s)))
}

/// [`link_of`] with the lesson's scene already built (`(name, scene)`), as the app keeps
/// it while the lesson is open.
pub fn link_with_scene(state: &AppState, lesson: Option<(&str, &AppState)>) -> String {
    match lesson {
        Some((name, scene)) if is_scene(state, scene) => {
            let embed = if state.mode.embed { "&embed" } else { "" };
            let present = if state.mode.present { "&present" } else { "" };
            format!("#preset={name}{embed}{present}")
        }
        _ => hash_of(state),
    }
}

#[cfg(test)]
/// Whether `state` is still exactly the scenario `name`'s scene (embedding aside).
pub fn is_pristine(state: &AppState, name: &str) -> bool {
    scenario(name).is_some_and(|sc| is_scene(state, &sc.state()))
}

/// Whether `state` is exactly `scene`, embedding and presentation aside. Cheap when they
/// differ in size.
pub fn is_scene(state: &AppState, scene: &AppState) -> bool {
    // Every field, so a new one cannot be forgotten here.
    let AppState {
        settings,
        separate_eps,
        exclusive,
        labels,
        pred,
        status,
        image,
        train,
        compare,
        display,
        mode: _,
    } = state;
    labels.dim() == scene.labels.dim()
        && *settings == scene.settings
        && *separate_eps == scene.separate_eps
        && *exclusive == scene.exclusive
        && *status == scene.status
        && *train == scene.train
        && *compare == scene.compare
        && *image == scene.image
        && *display == scene.display
        && *labels == scene.labels
        && *pred == scene.pred
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::activation::Activation;
    use crate::engine::phi::Phi;

    #[test]
    fn empty_hash_is_the_default_scene() {
        for h in ["", "#", "  # "] {
            let r = parse(h).unwrap();
            assert_eq!(r.source, Source::Default);
            assert_eq!(r.state, AppState::default_scene());
        }
    }

    #[test]
    fn saved_pages_round_trip_with_or_without_key() {
        let mut s = AppState::default_scene();
        s.settings.phi = Phi::BCI;
        s.settings.eps_nr = 0.0;
        let h = hash_of(&s);
        assert_eq!(parse(&h).unwrap().state, s);
        let keyed = format!("#s={}", codec::encode(&s));
        assert_eq!(parse(&keyed).unwrap().state, s);
        let embedded = format!("{h}&embed");
        let r = parse(&embedded).unwrap();
        assert!(r.state.mode.embed);
        assert_eq!(r.source, Source::Saved);
    }

    #[test]
    fn presets_apply_to_the_default_scene() {
        let r = parse("#preset=nnunet").unwrap();
        assert_eq!(r.source, Source::Preset("nnunet".into()));
        assert_eq!(r.state.settings.activation, Activation::Softmax);
        assert!(!r.state.settings.include_background);
        assert_eq!(r.state.labels, AppState::default_scene().labels);
        let r = parse("framework=KERAS&embed=1").unwrap();
        assert_eq!(r.state.settings.phi, Phi::BCI);
        assert!(r.state.mode.embed);
        for name in preset_names() {
            assert!(parse(&format!("#preset={name}")).is_ok());
        }
    }

    #[test]
    fn scenario_names_give_their_own_scene() {
        for sc in &SCENARIOS {
            let r = parse(&format!("#preset={}", sc.name)).unwrap();
            assert_eq!(r.source, Source::Preset(sc.name.into()));
            assert_eq!(r.state, sc.state(), "{}", sc.name);
            let r = parse(&format!("#preset={}&embed", sc.name.to_uppercase())).unwrap();
            assert!(r.state.mode.embed);
        }
        // Scenario names come first in the list and in the error message.
        assert_eq!(preset_names()[0], SCENARIOS[0].name);
        let err = parse("#preset=nope").unwrap_err().to_string();
        assert!(err.contains("missing-I") && err.contains("monai"), "{err}");
    }

    #[test]
    fn every_scenario_round_trips_through_the_hash() {
        for sc in &SCENARIOS {
            let s = sc.state();
            assert_eq!(codec::decode(&codec::encode(&s)).unwrap(), s, "{}", sc.name);
            assert_eq!(parse(&hash_of(&s)).unwrap().state, s, "{}", sc.name);
        }
    }

    #[test]
    fn a_pristine_lesson_keeps_its_short_link() {
        let sc = &SCENARIOS[1];
        let mut s = sc.state();
        assert_eq!(link_of(&s, Some(sc.name)), format!("#preset={}", sc.name));
        s.mode.embed = true;
        assert_eq!(
            link_of(&s, Some(sc.name)),
            format!("#preset={}&embed", sc.name)
        );
        assert_eq!(parse(&link_of(&s, Some(sc.name))).unwrap().state, s);
        // Once changed, the link holds the whole page.
        s.settings.eps_nr = 1.0;
        assert_eq!(link_of(&s, Some(sc.name)), hash_of(&s));
        assert_eq!(link_of(&s, None), hash_of(&s));
        assert_eq!(link_of(&s, Some("nope")), hash_of(&s));
        assert!(!is_pristine(&s, sc.name) && is_pristine(&sc.state(), sc.name));
    }

    #[test]
    fn present_opens_presentation_mode_and_stays_in_the_short_link() {
        let sc = &SCENARIOS[4];
        for h in [
            format!("#preset={}&present", sc.name),
            format!("#preset={}&present=1&embed=0", sc.name),
            format!("#preset={}&PRESENT", sc.name),
        ] {
            let r = parse(&h).unwrap();
            assert!(r.state.mode.present && !r.state.mode.embed, "{h}");
            assert_eq!(r.source, Source::Preset(sc.name.into()));
            let scene = sc.state();
            assert!(
                is_scene(&r.state, &scene),
                "presentation is not part of the scene"
            );
            assert_eq!(
                link_with_scene(&r.state, Some((sc.name, &scene))),
                format!("#preset={}&present", sc.name)
            );
        }
        let r = parse(&format!("#preset={}&present=0", sc.name)).unwrap();
        assert!(!r.state.mode.present);
        // A saved page carries the flag in its own bits, and `&present` sets it too.
        let mut s = AppState::default_scene();
        s.mode.present = true;
        assert!(parse(&hash_of(&s)).unwrap().state.mode.present);
        let plain = hash_of(&AppState::default_scene());
        assert!(
            parse(&format!("{plain}&present"))
                .unwrap()
                .state
                .mode
                .present
        );
        assert!(!parse(&plain).unwrap().state.mode.present);
    }

    #[test]
    fn a_kept_scene_gives_the_same_links() {
        for sc in &SCENARIOS {
            let scene = sc.state();
            let mut s = sc.state();
            for embed in [false, true] {
                s.mode.embed = embed;
                assert!(is_scene(&s, &scene), "{}: embedding aside", sc.name);
                assert_eq!(
                    link_with_scene(&s, Some((sc.name, &scene))),
                    link_of(&s, Some(sc.name))
                );
            }
            let mut t = s.clone();
            t.display.symlog = !t.display.symlog;
            assert!(
                !is_scene(&t, &scene),
                "the display options are part of the scene"
            );
            let mut t = s.clone();
            t.pred[[0, 0, 0, 0]] = 0.5;
            assert!(!is_scene(&t, &scene));
            assert_eq!(link_with_scene(&t, Some((sc.name, &scene))), hash_of(&t));
            let big = crate::page::paint::resize(&s, 2, 2, 64).unwrap();
            assert!(!is_scene(&big, &scene));
            assert_eq!(link_with_scene(&s, None), hash_of(&s));
        }
    }

    #[test]
    fn bad_hashes_say_why_and_fall_back() {
        for (h, needle) in [
            ("#preset=nope", "unknown preset"),
            ("#colour=red", "unknown link parameter"),
            ("#!!!", "base64"),
            ("#AAAA", "compressed"),
            ("#preset=monai&preset=keras", "more than one"),
            ("#%", "base64"),
            ("#%zz", "base64"),
            ("#s=%E2%82", "base64"),
        ] {
            let err = parse(h).unwrap_err().to_string();
            assert!(err.contains(needle), "{h}: {err}");
            let (r, msg) = resolve(h);
            assert_eq!(r.state, AppState::default_scene());
            assert!(msg.unwrap().contains("default example"));
        }
        // Arbitrary bytes never panic.
        for h in ["#=", "#&&&", "#s=", "#preset=", "#é%", "#%4"] {
            let _ = resolve(h);
        }
    }

    /// Fuzz finding: `#%20preset%20=missing-I` said "unknown link parameter".
    #[test]
    fn percent_encoded_keys_are_decoded_like_values() {
        let r = parse("#%20preset%20=missing-I").unwrap();
        assert_eq!(r.source, Source::Preset("missing-I".into()));
        let r = parse("#PRESET=missing%2DI&tr%61in=5&%65mbed&pr%65sent=1").unwrap();
        assert_eq!(r.source, Source::Preset("missing-I".into()));
        assert_eq!(r.train, Some(5));
        assert!(r.state.mode.embed && r.state.mode.present);
        let e = parse("#%63olour=red").unwrap_err().to_string();
        assert!(e.contains("unknown link parameter “colour”"), "{e}");
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("monai%5Fbatch"), "monai_batch");
        assert_eq!(percent_decode("a%"), "a%");
        assert_eq!(percent_decode("a%4"), "a%4");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    /// Fuzz finding: a 1 MB link key gave a million-character notice. Every echo of the
    /// link is cut to a short excerpt.
    #[test]
    fn a_huge_link_is_echoed_as_an_excerpt() {
        for hash in [
            format!("#{}=1", "k".repeat(1 << 20)),
            format!("#preset={}", "x".repeat(1 << 20)),
            format!("#train={}", "9".repeat(1 << 20)),
        ] {
            let (_, msg) = resolve(&hash);
            let msg = msg.unwrap();
            assert!(
                msg.chars().count() < 600,
                "{} characters",
                msg.chars().count()
            );
        }
    }
}
/// The browser tests' fixture of the page earlier versions opened on (two labelled images
/// under MONAI's defaults), kept as a link: it must open exactly that scene.
#[cfg(test)]
mod e2e_fixture {
    #[test]
    fn the_two_labelled_link_of_the_browser_tests_opens_that_scene() {
        let hash = include_str!("../../e2e/two-labelled.hash").trim();
        let r = super::parse(hash).expect("the fixture link parses");
        assert_eq!(r.state, crate::page::state::AppState::two_labelled());
        assert_eq!(super::hash_of(&r.state), hash);
    }
}
