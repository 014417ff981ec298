//! The one function that changes the page model, and the record of what it changed.
//!
//! Every rule of the page lives here: what a brush stroke, a settings change, a lesson
//! click or an undo does to the model, which edits are one undo step, when the address bar
//! follows. It returns a [`Change`] saying what changed, from which the derived data and
//! the views work out what to recompute and redraw.

use ndarray::s;

use crate::engine::loss::DiceSettings;
use crate::engine::phi::Phi;
use crate::engine::train::{Optimizer, Stop};
use crate::engine::variants::Variant;
use crate::page::judge;
use crate::page::lessons::experiments;
use crate::page::lessons::SCENARIOS;
use crate::page::model::{
    Entry, EpsField, Hover, Lesson, Model, Notice, Refused, Request, Stroke, ViewKind,
};
use crate::page::msg::{HelperKind, Msg};
use crate::page::paint::{self, Cells, Helper, Layer, Target};
use crate::page::route::{self, Source};
use crate::page::state::AppState;
use crate::page::state::MAX_SPEED;
use crate::page::training;
use crate::page::ui;

/// How the address bar follows a change.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Link {
    /// It still says what is shown.
    #[default]
    Keep,
    /// Rewrite the current entry now (after a brush stroke: at its end).
    Replace,
    /// Rewrite the current entry soon: the change is one of many (a slider being
    /// dragged), and browsers throttle history writes.
    Soon,
    /// A new history entry, so Back returns here. `before` is the link of the page just
    /// before the change: an edit not yet written must be written to the current entry
    /// first, or Back would lose it.
    Push { before: String },
    /// The page was opened from the address bar (start-up, a pasted link, Back): it shows
    /// that link as it is (a hash-less first entry stays hash-less), and a write still
    /// pending for the page before belongs to another entry: it is dropped.
    Opened,
}

/// What one or more messages changed. Flags are about the model, not about views.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    /// Loss settings (Φ, ε, options).
    pub settings: bool,
    /// How the gradient is drawn (the evaluation stands).
    pub view: bool,
    /// Cells whose label, label status or loss labels changed (their predictions may
    /// have too).
    pub labels: Cells,
    /// Cells whose predictions changed.
    pub preds: Cells,
    /// Batch elements whose input image changed.
    pub images: Vec<usize>,
    /// A whole new page (size, class mode, a link): everything.
    pub page: bool,
    /// Brush settings or the Fill/Clear target.
    pub tool: bool,
    /// What undo and redo can do.
    pub history: bool,
    /// The lesson or the tour.
    pub lesson: bool,
    /// The cell whose set is explained.
    pub focus: bool,
    pub hover: bool,
    pub notice: bool,
    /// An ε field's text or refusal.
    pub entry: bool,
    /// A control's input was not taken as given (refused, or no change): the controls
    /// show the model again.
    pub controls: bool,
    /// The window's size.
    pub layout: bool,
    /// What the screen shows around the data: presentation mode, the introduction, the
    /// lesson text folded, the excluded columns.
    pub screen: bool,
    /// An export or copy was asked for (`Model::request`).
    pub export: bool,
    /// The training session: started, stepped, reset or dropped.
    pub training: bool,
    /// Compare mode or its second setting.
    pub compare: bool,
    pub link: Link,
}

impl Change {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == Change::default()
    }

    /// Whether the painted data or the settings changed: what the loss is computed from.
    pub fn data(&self) -> bool {
        self.settings || self.page || !self.labels.is_empty() || !self.preds.is_empty()
    }

    /// Adds `other` (a later change) to this one.
    pub fn merge(&mut self, other: Change) {
        self.settings |= other.settings;
        self.view |= other.view;
        merge_cells(&mut self.labels, other.labels);
        merge_cells(&mut self.preds, other.preds);
        self.images.extend(other.images);
        self.images.sort_unstable();
        self.images.dedup();
        self.page |= other.page;
        self.tool |= other.tool;
        self.history |= other.history;
        self.lesson |= other.lesson;
        self.focus |= other.focus;
        self.hover |= other.hover;
        self.notice |= other.notice;
        self.entry |= other.entry;
        self.controls |= other.controls;
        self.layout |= other.layout;
        self.screen |= other.screen;
        self.export |= other.export;
        self.training |= other.training;
        self.compare |= other.compare;
        self.link = match (std::mem::take(&mut self.link), other.link) {
            // The first push's `before` is the one that may still need writing.
            (Link::Push { before }, _) => Link::Push { before },
            (_, Link::Push { before }) => Link::Push { before },
            // What follows an opened link rewrites it; what came before it is gone.
            (_, Link::Opened) => Link::Opened,
            (Link::Opened, Link::Keep) => Link::Opened,
            (Link::Replace, _) | (_, Link::Replace) => Link::Replace,
            (Link::Soon, _) | (_, Link::Soon) => Link::Soon,
            _ => Link::Keep,
        };
    }

    fn settings() -> Change {
        Change {
            settings: true,
            link: Link::Replace,
            ..Change::default()
        }
    }

    fn cells(labels: Cells, preds: Cells) -> Change {
        Change {
            labels,
            preds,
            link: Link::Replace,
            ..Change::default()
        }
    }

    fn page() -> Change {
        Change {
            page: true,
            history: true,
            tool: true,
            focus: true,
            hover: true,
            lesson: true,
            link: Link::Replace,
            ..Change::default()
        }
    }
}

fn merge_cells(into: &mut Cells, more: Cells) {
    if more.is_empty() {
        return;
    }
    into.extend(more);
    into.sort_unstable();
    into.dedup();
}

/// Applies one message to the model and says what changed.
pub fn update(m: &mut Model, msg: Msg) -> Change {
    let eps_before = (m.state.settings.eps_nr, m.state.settings.eps_dr);
    let variant_before = m.state.settings.variant;
    let own = matches!(
        msg,
        Msg::TrainPlay
            | Msg::TrainPause
            | Msg::TrainStep
            | Msg::TrainTick(_)
            | Msg::TrainReset
            | Msg::TrainModel(_)
            | Msg::TrainOptimizer(_)
            | Msg::TrainLr(_)
            | Msg::TrainLrEntered(_)
            | Msg::TrainSpeed(_)
            | Msg::TrainLesson
            | Msg::ShowImages(_)
    );
    let sessions = m.sessions;
    let mut ch = apply(m, msg);
    // A session this message started fits the data it was started on.
    if !own && m.sessions == sessions {
        follow_training(m, &mut ch, variant_before);
    }
    // A refused ε entry stays in its field until ε changes some other way.
    if (m.state.settings.eps_nr, m.state.settings.eps_dr) != eps_before
        && m.refused.iter().any(Option::is_some)
    {
        m.refused = [None, None];
        ch.entry = true;
    }
    ch
}

fn apply(m: &mut Model, msg: Msg) -> Change {
    match msg {
        Msg::StrokeStart {
            layer,
            b,
            c,
            at,
            erase,
        } => stroke_start(m, (layer, b, c), at, erase),
        Msg::StrokeMove { at } => stroke_move(m, at),
        Msg::StrokeEnd => finish_stroke(m),
        Msg::StrokeCancel => cancel_stroke(m),
        Msg::Hover(h) => {
            let n = m.state.size();
            if m.hover.map(|h| h.key(n)) == h.map(|h| h.key(n)) {
                return Change::default();
            }
            m.hover = h;
            Change {
                hover: true,
                ..Change::default()
            }
        }
        Msg::CursorMove {
            view,
            b,
            c,
            di,
            dj,
            paint,
        } => cursor_move(m, (view, b, c), (di, dj), paint),
        Msg::PaintAtCursor { erase } => paint_at_cursor(m, erase),
        Msg::LabelErase(on) => tool(m, |t| t.label_erase = on),
        Msg::PredValue(v) => tool(m, |t| {
            t.pred_value = if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                1.0
            }
        }),
        Msg::Radius(v) => tool(m, |t| {
            t.radius = if v.is_finite() {
                v.clamp(0.0, 64.0)
            } else {
                2.0
            }
        }),
        Msg::SquareBrush(on) => tool(m, |t| t.square = on),
        Msg::SoftEdge(on) => tool(m, |t| t.soft = on),
        Msg::HelpersOnAll(on) => tool(m, |t| t.helper_all = on),
        Msg::Fill | Msg::Clear => {
            let fill = msg == Msg::Fill;
            let (layer, b, c) = m.target;
            if let Some(why) = refusal(m, layer, b, c) {
                return notice(m, why, false);
            }
            let value = match (fill, layer) {
                (false, _) => 0.0,
                (true, Layer::Label) => 1.0,
                (true, Layer::Pred | Layer::Image) => m.tool.pred_value,
            };
            edit(m, |s| {
                let cells = paint::fill(s, layer, b, c, value);
                Ok((stroke_change(layer, cells), None))
            })
        }
        Msg::Helper(kind) => {
            if m.training.is_some() {
                return notice(m, TRAINED_PREDICTION.into(), false);
            }
            let helper = match kind {
                HelperKind::Copy => Helper::Copy,
                HelperKind::Shift => Helper::Shift { dx: 2, dy: 1 },
                HelperKind::Dilate => Helper::Dilate(2.0),
                HelperKind::Erode => Helper::Erode(2.0),
                HelperKind::Blur => Helper::Blur(1.5),
                HelperKind::Noise => {
                    // A new seed each time, so noise can be re-rolled.
                    m.tool.noise_seed = m.tool.noise_seed.wrapping_add(1);
                    Helper::Noise {
                        amount: 0.3,
                        seed: m.tool.noise_seed,
                    }
                }
            };
            let (_, b, c) = m.target;
            let target = if m.tool.helper_all {
                Target::All
            } else {
                Target::Cell(b, c)
            };
            edit(m, |s| {
                Ok((
                    Change::cells(Vec::new(), paint::apply_helper(s, helper, target)),
                    None,
                ))
            })
        }
        Msg::Undo => {
            let mut ch = finish_stroke(m);
            if let Some(r) = m.history.undo(&mut m.state) {
                ch.merge(restored(r));
            }
            ch.history = true;
            ch
        }
        Msg::Redo => {
            let mut ch = finish_stroke(m);
            if let Some(r) = m.history.redo(&mut m.state) {
                ch.merge(restored(r));
            }
            ch.history = true;
            ch
        }
        Msg::Preset(name) => match crate::engine::presets::framework_preset(&name) {
            // "Custom settings" is not a preset: the select shows the settings again.
            None => Change {
                controls: true,
                ..Change::default()
            },
            Some(p) => edit(m, |s| {
                let note = ui::apply_preset(s, p)?;
                Ok((Change::page(), note.map(|n| format!("{}: {n}.", p.label))))
            }),
        },
        Msg::Phi(p) => settings(m, |s| s.settings.phi = p),
        Msg::EpsSlider { field, pos } => {
            let mut ch = Change::default();
            if m.refused[field.index()].take().is_some() {
                // The slider replaces a refused entry.
                ch.entry = true;
            }
            ch.merge(set_eps(m, field, ui::eps_at(pos)));
            if ch.link == Link::Replace {
                ch.link = Link::Soon;
            }
            ch
        }
        Msg::EpsEntered { field, text } => match ui::parse_eps(&text) {
            Ok(v) => {
                let mut ch = Change::default();
                if m.refused[field.index()].take().is_some() {
                    ch.entry = true;
                }
                ch.merge(set_eps(m, field, v));
                ch
            }
            Err(reason) => {
                // The typed text stays so it can be corrected; ε is unchanged.
                m.refused[field.index()] = Some(Refused { text, reason });
                Change {
                    entry: true,
                    ..Change::default()
                }
            }
        },
        Msg::EpsLeft(_) => Change {
            entry: true,
            ..Change::default()
        },
        Msg::SeparateEps(on) => settings(m, |s| {
            s.separate_eps = on;
            if !on {
                s.settings.eps_dr = s.settings.eps_nr;
            }
        }),
        Msg::HeuristicEps => match judge::heuristic_eps_explained(&m.state) {
            Some(h) => {
                let v = h.eps;
                let mut ch = settings(m, |s| {
                    s.settings.eps_nr = v;
                    s.settings.eps_dr = v;
                });
                // The arithmetic, as the authors compute it (a missing label counts as 0).
                ch.merge(notice(
                    m,
                    format!("ε = the mean true volume per image: {}.", h.arithmetic),
                    false,
                ));
                ch
            }
            None => notice(
                m,
                "There is no foreground label to take a mean volume from.".into(),
                true,
            ),
        },
        Msg::Jaccard(on) => settings(m, |s| s.settings.jaccard = on),
        Msg::Variant(v) => settings(m, |s| s.settings.variant = v),
        Msg::Squared(on) => settings(m, |s| s.settings.squared = on),
        Msg::IncludeBackground(on) => match ui::set_include_background(&mut m.state, on) {
            Ok(()) => Change::settings(),
            Err(e) => {
                // The checkbox goes back to what the settings say.
                let mut ch = notice(m, e, true);
                ch.controls = true;
                ch
            }
        },
        Msg::Exclusive(on) => edit(m, |s| {
            let note = ui::set_exclusive(s, on)?;
            Ok((Change::page(), note))
        }),
        Msg::Activation(a) => edit(m, |s| {
            let note = ui::set_activation(s, a)?;
            Ok((Change::page(), note))
        }),
        Msg::Status { b, c, status } => {
            if m.state.status.get((b, c)).is_none_or(|&st| st == status) {
                return Change::default();
            }
            edit(m, |s| {
                s.status[(b, c)] = status;
                // The loss's labels of the whole image change with it (with exclusive
                // classes an unannotated structure counts as background).
                let image: Cells = (0..s.classes()).map(|k| (b, k)).collect();
                Ok((Change::cells(image, Vec::new()), None))
            })
        }
        Msg::LogitGrad(on) => view(m, |v| v.logit_grad = on),
        Msg::SharedScale(on) => view(m, |v| v.shared_scale = on),
        Msg::Symlog(on) => view(m, |v| v.symlog = on),
        Msg::Size { b, c, n } => edit(m, |s| {
            *s = paint::resize(s, b, c, n).map_err(|e| e.to_string())?;
            Ok((Change::page(), None))
        }),
        Msg::Reset => reset(m),
        Msg::StartOver => match m.lesson.as_ref().map(|l| l.index) {
            Some(k) => open_lesson(m, k, false),
            None => reset(m),
        },
        Msg::CollapseLesson(on) => {
            if m.lesson_collapsed == on || m.lesson.is_none() {
                return Change::default();
            }
            m.lesson_collapsed = on;
            Change {
                lesson: true,
                screen: true,
                ..Change::default()
            }
        }
        Msg::Present(on) => present(m, on),
        Msg::ShowExcluded(on) => {
            if m.show_excluded == on {
                return Change::default();
            }
            m.show_excluded = on;
            screen()
        }
        Msg::DismissIntro => {
            if !m.intro {
                return Change::default();
            }
            m.intro = false;
            screen()
        }
        Msg::Export(kind) => {
            let seq = m.request.map_or(1, |r| r.seq.wrapping_add(1));
            m.request = Some(Request { seq, kind });
            Change {
                export: true,
                ..Change::default()
            }
        }
        Msg::OpenLesson(k) => open_lesson(m, k, true),
        Msg::StartTour => {
            m.tour = Some(0);
            open_lesson(m, 0, true)
        }
        Msg::TourStep(delta) => {
            let Some(k) = m.tour else {
                // In presentation mode the arrows always walk the lessons.
                if m.state.view.present && m.lesson.is_none() && delta > 0 {
                    m.tour = Some(0);
                    return open_lesson(m, 0, true);
                }
                return Change::default();
            };
            match k.checked_add_signed(delta) {
                Some(next) if next < SCENARIOS.len() => open_lesson(m, next, true),
                Some(_) => exit_tour(m),
                None => Change::default(),
            }
        }
        Msg::ExitTour => exit_tour(m),
        Msg::CloseLesson => close_lesson(m),
        Msg::RestoreLesson => match m.lesson.as_ref().map(|l| l.index) {
            Some(k) => open_lesson(m, k, false),
            None => Change::default(),
        },
        Msg::Focus { b, c } => {
            if b >= m.state.batch() || c >= m.state.classes() || m.focus == Some((b, c)) {
                return Change::default();
            }
            m.focus = Some((b, c));
            Change {
                focus: true,
                ..Change::default()
            }
        }
        Msg::DismissNotice => {
            if m.notice.take().is_none() {
                return Change::default();
            }
            Change {
                notice: true,
                ..Change::default()
            }
        }
        Msg::LinkLoaded(hash) => {
            if m.link() == hash {
                // Our own write (or a link to what is shown).
                return Change::default();
            }
            // Back to a hash-less entry fires both hashchange and popstate: the second
            // finds the page it asks for already shown.
            if shows(m, &route::resolve(&hash)) {
                return Change::default();
            }
            open_link(m, &hash)
        }
        Msg::Resized => Change {
            layout: true,
            ..Change::default()
        },
        Msg::TrainPlay => {
            let mut ch = ensure_training(m);
            let Some(t) = m.training.as_mut() else {
                return ch;
            };
            // A lesson's run length no longer holds once the person plays on.
            if t.until.is_some_and(|u| t.step_count() >= u) {
                t.until = None;
            }
            if let Some(stop) = t.trainer.stopped() {
                ch.merge(notice(m, stopped_sentence(&stop), true));
                return ch;
            }
            t.playing = true;
            ch.training = true;
            ch
        }
        Msg::TrainPause => match m.training.as_mut() {
            Some(t) if t.playing => {
                t.playing = false;
                // A link's run ends here: the link says the step reached.
                let reaching = t.target.take().is_some();
                Change {
                    training: true,
                    link: if reaching { Link::Replace } else { Link::Keep },
                    ..Change::default()
                }
            }
            _ => Change::default(),
        },
        Msg::TrainStep => {
            let mut ch = ensure_training(m);
            if let Some(t) = m.training.as_mut() {
                t.playing = false;
                t.target = None;
            }
            ch.merge(train_steps(m, 1));
            ch
        }
        Msg::TrainTick(n) => {
            let Some(t) = m.training.as_ref().filter(|t| t.playing) else {
                return Change::default();
            };
            let target = t.target;
            let mut ch = train_steps(m, n);
            if let Some(goal) = target {
                ch.merge(reach_link_step(m, goal));
            }
            // A long run writes its step count to the link a few times a second.
            if ch.link == Link::Replace {
                ch.link = Link::Soon;
            }
            ch
        }
        Msg::TrainReset => drop_training(m),
        Msg::TrainModel(kind) => {
            if m.state.train.model == kind {
                return Change::default();
            }
            m.state.train.model = kind;
            let mut ch = drop_training(m);
            ch.merge(train_settings_changed());
            ch
        }
        Msg::TrainOptimizer(kind) => {
            let lr = m.state.train.optimizer.lr();
            let next = match kind.as_str() {
                "sgd" => Optimizer::sgd(lr),
                "adam" => Optimizer::adam(lr),
                _ => return Change::default(),
            };
            if next.code() == m.state.train.optimizer.code() {
                return Change::default();
            }
            m.state.train.optimizer = next;
            let mut ch = drop_training(m);
            ch.merge(train_settings_changed());
            ch
        }
        Msg::TrainLr(lr) => {
            let next = m.state.train.optimizer.with_lr(lr);
            if next.validate().is_err() {
                let mut ch = refuse_entry(
                    m,
                    Entry::LearningRate,
                    "The learning rate must be a positive finite number.".into(),
                );
                ch.controls = true;
                return ch;
            }
            let accepted = accept_entry(m, Entry::LearningRate);
            if next == m.state.train.optimizer {
                return accepted;
            }
            m.state.train.optimizer = next;
            if let Some(t) = m.training.as_mut() {
                // From the next step on; Adam keeps its moments, as in PyTorch.
                let _ = t.trainer.set_lr(lr);
            }
            let mut ch = train_settings_changed();
            ch.merge(accepted);
            ch
        }
        Msg::TrainLrEntered(text) => match ui::parse_lr(&text) {
            Ok(lr) => apply(m, Msg::TrainLr(lr)),
            Err(e) => {
                let mut ch = refuse_entry(m, Entry::LearningRate, e);
                ch.controls = true;
                ch
            }
        },
        Msg::TrainSpeed(v) => {
            let v = v.clamp(1, MAX_SPEED);
            if m.state.train.speed == v {
                return Change::default();
            }
            m.state.train.speed = v;
            train_settings_changed()
        }
        Msg::ShowImages(on) => {
            if m.show_images == on {
                return Change::default();
            }
            m.show_images = on;
            Change {
                layout: true,
                controls: true,
                ..Change::default()
            }
        }
        Msg::CompareOpen => {
            if m.state.compare.is_some() {
                return Change::default();
            }
            let s = m.state.settings;
            // The other family of sets: the contrast the paper draws.
            let phi = match s.phi {
                Phi::I => Phi::BI,
                Phi::CI => Phi::BCI,
                Phi::BI => Phi::I,
                Phi::BCI => Phi::CI,
            };
            m.state.compare = Some(DiceSettings { phi, ..s });
            compare_changed()
        }
        Msg::CompareClose => {
            if m.state.compare.take().is_none() {
                return Change::default();
            }
            compare_changed()
        }
        Msg::ComparePhi(p) => edit_compare(m, |s| s.phi = p),
        Msg::CompareVariant(v) => edit_compare(m, |s| s.variant = v),
        Msg::CompareBackground(on) => edit_compare(m, |s| s.include_background = on),
        Msg::CompareEps(text) => match ui::parse_eps(&text) {
            Ok(v) => {
                let mut ch = accept_entry(m, Entry::CompareEps);
                ch.merge(edit_compare(m, |s| {
                    s.eps_nr = v;
                    s.eps_dr = v;
                }));
                ch
            }
            Err(e) => {
                let mut ch = refuse_entry(m, Entry::CompareEps, e);
                ch.compare = true;
                ch
            }
        },
        Msg::ComparePreset(name) => match crate::engine::presets::framework_preset(&name) {
            Some(p) => {
                let settings = p.settings;
                edit_compare(m, |s| *s = settings)
            }
            None => Change {
                compare: true,
                ..Change::default()
            },
        },
        Msg::TrainLesson => {
            let Some(lesson) = m.lesson.as_ref() else {
                return Change::default();
            };
            let Some(plan) = experiments::lesson_plan(lesson.scenario().name) else {
                return Change::default();
            };
            let index = lesson.index;
            let mut s = experiments::plan_state(&plan);
            // The screen stays as it is: an embed, a presentation.
            s.view.embed = m.state.view.embed;
            s.view.present = m.state.view.present;
            let scene = lesson.scene.clone();
            let mut ch = load(m, s);
            // The lesson stays open: its text says what the run shows.
            m.lesson = Some(Lesson { index, scene });
            ch.merge(ensure_training(m));
            if let Some(t) = m.training.as_mut() {
                t.playing = true;
                t.until = Some(plan.steps);
            }
            ch
        }
    }
}

/// Why painting is refused while a training session shows the model's output.
const TRAINED_PREDICTION: &str = "While training, the prediction views show the model's output and cannot be painted: press Reset in the Train panel to paint the prediction again.";

/// Why a stroke or Fill/Clear on this view does nothing, if it does nothing.
fn refusal(m: &Model, layer: Layer, b: usize, c: usize) -> Option<String> {
    if layer == Layer::Pred && m.training.is_some() {
        return Some(TRAINED_PREDICTION.into());
    }
    ui::paint_refusal(&m.state, layer, b, c)
}

fn compare_changed() -> Change {
    Change {
        compare: true,
        controls: true,
        layout: true,
        link: Link::Replace,
        ..Change::default()
    }
}

/// Changes compare mode's second setting; settings the page cannot compute with its
/// classes are refused with the reason.
fn edit_compare(m: &mut Model, f: impl FnOnce(&mut DiceSettings)) -> Change {
    let Some(before) = m.state.compare else {
        return Change::default();
    };
    let mut next = before;
    f(&mut next);
    if next == before {
        return Change::default();
    }
    if let Err(e) = next.validate(m.state.classes()) {
        let mut ch = notice(m, e.to_string(), true);
        ch.compare = true;
        return ch;
    }
    m.state.compare = Some(next);
    Change {
        compare: true,
        link: Link::Replace,
        ..Change::default()
    }
}

fn train_settings_changed() -> Change {
    Change {
        controls: true,
        link: Link::Replace,
        ..Change::default()
    }
}

/// Every prediction view shows something new (the model's output, or the painting).
fn all_preds(m: &Model) -> Cells {
    let (bn, cn) = m.state.status.dim();
    (0..bn).flat_map(|b| (0..cn).map(move |c| (b, c))).collect()
}

/// Starts a session if there is none; a session that cannot start says why.
fn ensure_training(m: &mut Model) -> Change {
    start_session(m).unwrap_or_else(|e| notice(m, e, true))
}

/// Starts a session if there is none, or says why it cannot start.
fn start_session(m: &mut Model) -> Result<Change, String> {
    if m.training.is_some() {
        return Ok(Change::default());
    }
    finish_stroke(m);
    m.training = Some(training::start(&m.state)?);
    m.sessions += 1;
    // What a shared model learns from is now worth seeing.
    m.show_images = true;
    Ok(Change {
        training: true,
        preds: all_preds(m),
        layout: true,
        controls: true,
        link: Link::Replace,
        ..Change::default()
    })
}

/// After steps of a link's run towards `goal`: the run ends at the goal, or where training
/// stopped, which the notice then says in the link's words.
fn reach_link_step(m: &mut Model, goal: usize) -> Change {
    let Some(t) = m.training.as_mut() else {
        return Change::default();
    };
    let stop = t.trainer.stopped();
    if t.step_count() < goal && stop.is_none() && t.playing {
        return Change::default();
    }
    t.target = None;
    t.playing = false;
    let mut ch = Change {
        training: true,
        ..Change::default()
    };
    if let Some(stop) = stop.filter(|s| s.step < goal) {
        ch.merge(notice(m, link_stopped_sentence(goal, &stop), true));
    }
    ch
}

/// "The link asks for N training steps, but …": why the page shows fewer.
fn link_asks(n: usize) -> String {
    let steps = if n == 1 { "step" } else { "steps" };
    format!("The link asks for {n} training {steps}, but")
}

fn link_stopped_sentence(n: usize, stop: &Stop) -> String {
    format!(
        "{} training stopped at step {}: {} (this is where a training run would get NaN).",
        link_asks(n),
        stop.step,
        crate::present::format::excerpt_of(&stop.reason, 200)
    )
}

fn train_steps(m: &mut Model, n: usize) -> Change {
    let Some(t) = m.training.as_mut() else {
        return Change::default();
    };
    let before = t.step_count();
    let stop = t.run(n);
    let moved = t.step_count() != before;
    let mut ch = Change {
        training: true,
        preds: if moved { all_preds(m) } else { Vec::new() },
        link: if moved { Link::Replace } else { Link::Keep },
        ..Change::default()
    };
    if let Some(stop) = stop {
        ch.merge(notice(m, stopped_sentence(&stop), true));
    }
    ch
}

fn stopped_sentence(stop: &Stop) -> String {
    format!(
        "Training stopped at step {}: {} (this is where a training run would get NaN).",
        stop.step,
        crate::present::format::excerpt_of(&stop.reason, 200)
    )
}

fn drop_training(m: &mut Model) -> Change {
    if m.training.take().is_none() {
        return Change::default();
    }
    Change {
        training: true,
        preds: all_preds(m),
        link: Link::Replace,
        ..Change::default()
    }
}

/// The session follows the page: it ends when the data it trains on changes (labels,
/// statuses, images, the size, a new page), and trains on under new loss settings.
fn follow_training(m: &mut Model, ch: &mut Change, variant_before: Variant) {
    if m.training.is_none() {
        return;
    }
    let data = ch.page || !ch.labels.is_empty() || !ch.images.is_empty();
    if data || m.state.settings.variant != variant_before {
        let dropped = drop_training(m);
        ch.merge(dropped);
        return;
    }
    if ch.settings {
        let settings = m.state.settings;
        let ok = m
            .training
            .as_mut()
            .map(|t| t.trainer.set_settings(settings));
        if let Some(Err(e)) = ok {
            let dropped = drop_training(m);
            ch.merge(dropped);
            ch.merge(notice(m, format!("Training was reset: {e}"), true));
        } else {
            ch.training = true;
        }
    }
}

/// Opens a parsed link: a scenario link also opens its lesson text.
pub fn load_route(m: &mut Model, r: route::Route) -> Change {
    let lesson = match &r.source {
        Source::Preset(name) => SCENARIOS
            .iter()
            .position(|sc| sc.name.eq_ignore_ascii_case(name.trim())),
        _ => None,
    };
    let mut ch = load(m, r.state);
    m.lesson = lesson.map(|index| Lesson {
        index,
        scene: m.state.clone(),
    });
    m.lesson_collapsed = false;
    if lesson.is_none() {
        m.tour = None;
    } else if m.state.view.present {
        // A presentation walks the lessons with the arrow keys.
        m.tour = lesson;
    }
    if let Some(n) = r.train {
        ch.merge(train_to_link_step(m, n));
    }
    ch
}

/// `&train=N`: the same deterministic run, N steps on, paused there. It is not trained
/// here: the page shows its first frame at step 0 and the run reaches N in slices
/// between frames ([`training::Training::target`]); a run that cannot start or stops at once says
/// why in the link's words.
fn train_to_link_step(m: &mut Model, n: usize) -> Change {
    let mut ch = match start_session(m) {
        Ok(ch) => ch,
        Err(why) => {
            let text = match why.strip_prefix("Training cannot start: ") {
                Some(rest) => format!("{} training cannot start: {rest}", link_asks(n)),
                None => format!("{} training cannot start. {why}", link_asks(n)),
            };
            return notice(m, text, true);
        }
    };
    let Some(t) = m.training.as_mut() else {
        return ch;
    };
    if let Some(stop) = t.trainer.stopped() {
        ch.merge(notice(m, link_stopped_sentence(n, &stop), true));
        return ch;
    }
    t.playing = true;
    t.until = Some(n);
    t.target = Some(n);
    ch
}

/// Opens the page a link asks for (start-up, a pasted link, Back or Forward): the link's
/// page, or the default one with a message saying why not. The previous page's notice
/// goes with it; the address bar keeps the link as it was opened.
pub fn open_link(m: &mut Model, hash: &str) -> Change {
    let (r, msg) = route::resolve(hash);
    m.notice = None;
    let mut ch = load_route(m, r);
    if let Some(text) = msg {
        ch.merge(notice(m, text, true));
    }
    ch.notice = true;
    ch.link = Link::Opened;
    ch
}

/// Whether the page already shows what the resolved link asks for (a link that could not
/// be read never does: its message is to be shown).
fn shows(m: &Model, (r, msg): &(route::Route, Option<String>)) -> bool {
    let lesson = match &r.source {
        Source::Preset(name) => SCENARIOS
            .iter()
            .position(|sc| sc.name.eq_ignore_ascii_case(name.trim())),
        _ => None,
    };
    let steps = m
        .training
        .as_ref()
        .map(|t| t.step_count().max(t.target.unwrap_or(0)));
    msg.is_none()
        && m.state == r.state
        && m.lesson.as_ref().map(|l| l.index) == lesson
        && steps.filter(|&n| n > 0) == r.train
}

/// The default page again (one undo step); embedding and presentation stay.
fn reset(m: &mut Model) -> Change {
    let view = m.state.view;
    let mut ch = edit(m, |s| {
        *s = AppState::default_scene();
        s.view.embed = view.embed;
        s.view.present = view.present;
        Ok((Change::page(), None))
    });
    ch.merge(close_lesson(m));
    if m.notice.take().is_some() {
        ch.notice = true;
    }
    ch
}

fn screen() -> Change {
    Change {
        screen: true,
        layout: true,
        ..Change::default()
    }
}

/// Presentation mode: the open lesson becomes a tour step, so ← and → walk the lessons.
fn present(m: &mut Model, on: bool) -> Change {
    if m.state.view.present == on {
        return Change::default();
    }
    m.state.view.present = on;
    let mut ch = screen();
    ch.view = true;
    ch.link = Link::Replace;
    if on && m.tour.is_none() {
        if let Some(l) = &m.lesson {
            m.tour = Some(l.index);
            ch.lesson = true;
        }
    }
    ch
}

/// Moves the keyboard cursor of a focused view (it starts in the middle); with `paint`,
/// the move paints a line there as one stroke.
fn cursor_move(
    m: &mut Model,
    (view, b, c): (ViewKind, usize, usize),
    (di, dj): (i32, i32),
    paint: bool,
) -> Change {
    let n = m.state.size();
    if b >= m.state.batch() || c >= m.state.classes() {
        return Change::default();
    }
    let here = m
        .hover
        .filter(|h| (h.view, h.b, h.c) == (view, b, c))
        .map(|h| h.pixel(n));
    let (i0, j0) = here.unwrap_or((n / 2, n / 2));
    let step = |v: usize, d: i32| (v as i64 + i64::from(d)).clamp(0, n as i64 - 1) as f64 + 0.5;
    let (i, j) = (step(i0, di), step(j0, dj));
    let mut ch = Change::default();
    if paint && here.is_some() {
        if let Some(layer) = view.layer() {
            let from = (i0 as f64 + 0.5, j0 as f64 + 0.5);
            ch.merge(stroke_start(m, (layer, b, c), from, false));
            ch.merge(stroke_move(m, (i, j)));
            ch.merge(finish_stroke(m));
        }
    }
    ch.merge(apply(m, Msg::Hover(Some(Hover { view, b, c, i, j }))));
    ch
}

/// One dab of the brush at the keyboard cursor (the hovered pixel of a paintable view).
fn paint_at_cursor(m: &mut Model, erase: bool) -> Change {
    let Some(h) = m.hover else {
        return Change::default();
    };
    let Some(layer) = h.view.layer() else {
        return notice(
            m,
            "The gradient view cannot be painted: paint the label y or the prediction ỹ.".into(),
            false,
        );
    };
    let (i, j) = h.pixel(m.state.size());
    let at = (i as f64 + 0.5, j as f64 + 0.5);
    let mut ch = stroke_start(m, (layer, h.b, h.c), at, erase);
    ch.merge(finish_stroke(m));
    ch
}

/// Replaces the whole page; the history starts over.
fn load(m: &mut Model, state: AppState) -> Change {
    m.stroke = None;
    m.training = None;
    m.state = state;
    m.history.clear();
    m.focus = None;
    fit_to_page(m);
    Change::page()
}

/// After a change of size: the Fill/Clear target and the hover inside the page.
fn fit_to_page(m: &mut Model) {
    let (layer, b, c) = m.target;
    if b >= m.state.batch() || c >= m.state.classes() {
        m.target = (layer, 0, m.state.classes().saturating_sub(1));
    }
    m.focus = m
        .focus
        .filter(|&(b, c)| b < m.state.batch() && c < m.state.classes());
    m.hover = None;
}

fn tool(m: &mut Model, f: impl FnOnce(&mut crate::page::tool::Tool)) -> Change {
    let before = m.tool.clone();
    f(&mut m.tool);
    Change {
        tool: m.tool != before,
        ..Change::default()
    }
}

/// Changes loss settings. Not an undo step: the controls show them, one click undoes
/// one, and the link keeps them.
fn settings(m: &mut Model, f: impl FnOnce(&mut AppState)) -> Change {
    let before = (m.state.settings, m.state.separate_eps);
    f(&mut m.state);
    if (m.state.settings, m.state.separate_eps) == before {
        return Change::default();
    }
    Change::settings()
}

fn view(m: &mut Model, f: impl FnOnce(&mut crate::page::state::ViewOptions)) -> Change {
    let before = m.state.view;
    f(&mut m.state.view);
    if m.state.view == before {
        return Change::default();
    }
    Change {
        view: true,
        link: Link::Replace,
        ..Change::default()
    }
}

fn set_eps(m: &mut Model, field: EpsField, v: f64) -> Change {
    let separate = m.state.separate_eps;
    settings(m, |s| match field {
        EpsField::First if separate => s.settings.eps_nr = v,
        EpsField::First => {
            s.settings.eps_nr = v;
            s.settings.eps_dr = v;
        }
        EpsField::Dr => s.settings.eps_dr = v,
    })
}

fn notice(m: &mut Model, text: String, error: bool) -> Change {
    m.notice = Some(Notice {
        text,
        error,
        entry: None,
    });
    Change {
        notice: true,
        ..Change::default()
    }
}

/// A typed value refused: the notice says why until a valid value is taken there.
fn refuse_entry(m: &mut Model, entry: Entry, text: String) -> Change {
    let ch = notice(m, text, true);
    if let Some(n) = m.notice.as_mut() {
        n.entry = Some(entry);
    }
    ch
}

/// A valid value taken at `entry`: a notice that refused an earlier one there is over.
fn accept_entry(m: &mut Model, entry: Entry) -> Change {
    if m.notice.as_ref().is_none_or(|n| n.entry != Some(entry)) {
        return Change::default();
    }
    m.notice = None;
    Change {
        notice: true,
        ..Change::default()
    }
}

/// Runs one discrete edit (fill, helper, resize, …) as one undo step. The edit says what
/// changed and maybe a sentence to show; an error leaves the state as it was.
fn edit(
    m: &mut Model,
    f: impl FnOnce(&mut AppState) -> Result<(Change, Option<String>), String>,
) -> Change {
    let mut ch = finish_stroke(m);
    let before = m.state.clone();
    match f(&mut m.state) {
        Ok((change, note)) => {
            if m.state != before {
                let same_shape = before.labels.dim() == m.state.labels.dim()
                    && before.exclusive == m.state.exclusive;
                if same_shape {
                    m.history.record(&before, &m.state);
                } else {
                    // The history does not span a new size or class mode.
                    m.history.clear();
                }
                if change.page {
                    fit_to_page(m);
                }
                ch.merge(change);
                ch.history = true;
            }
            if let Some(n) = note {
                ch.merge(notice(m, n, false));
            }
        }
        Err(msg) => {
            m.state = before;
            ch.merge(notice(m, msg, true));
            // Controls the person just changed go back to what the state says.
            ch.controls = true;
        }
    }
    ch
}

fn stroke_change(layer: Layer, cells: Cells) -> Change {
    match layer {
        Layer::Pred => Change::cells(Vec::new(), cells),
        Layer::Label => Change::cells(cells.clone(), cells),
        // Painting the image reports cell (b, 0) for image b.
        Layer::Image => Change {
            images: cells.iter().map(|&(b, _)| b).collect(),
            link: Link::Replace,
            ..Change::default()
        },
    }
}

/// What an undo or redo rewrote, as a change.
fn restored(r: crate::page::history::Restored) -> Change {
    let mut ch = Change::cells(r.cells.clone(), r.cells);
    ch.images = r.images;
    ch
}

fn stroke_start(
    m: &mut Model,
    (layer, b, c): (Layer, usize, usize),
    at: (f64, f64),
    erase: bool,
) -> Change {
    let mut ch = finish_stroke(m);
    if b >= m.state.batch() || c >= m.state.classes() {
        return ch;
    }
    if let Some(why) = refusal(m, layer, b, c) {
        ch.merge(notice(m, why, false));
        return ch;
    }
    if m.target != (layer, b, c) {
        m.target = (layer, b, c);
        ch.tool = true;
    }
    m.history.begin(&m.state);
    let before = (
        m.state.labels.slice(s![b, .., .., ..]).to_owned(),
        m.state.pred.slice(s![b, .., .., ..]).to_owned(),
    );
    let changed = m.tool.stroke(&mut m.state, (layer, b, c), at, at, erase);
    m.stroke = Some(Stroke {
        layer,
        b,
        c,
        last: at,
        erase,
        changed: !changed.is_empty(),
        before,
    });
    if !changed.is_empty() {
        ch.merge(stroke_change(layer, changed));
    }
    ch
}

fn stroke_move(m: &mut Model, at: (f64, f64)) -> Change {
    let Some(st) = m.stroke.as_mut() else {
        return Change::default();
    };
    let (layer, b, c, last, erase) = (st.layer, st.b, st.c, st.last, st.erase);
    st.last = at;
    let changed = m.tool.stroke(&mut m.state, (layer, b, c), last, at, erase);
    if changed.is_empty() {
        return Change::default();
    }
    if let Some(st) = m.stroke.as_mut() {
        st.changed = true;
    }
    stroke_change(layer, changed)
}

/// Pointer-up: the stroke becomes one undo step.
fn finish_stroke(m: &mut Model) -> Change {
    let Some(st) = m.stroke.take() else {
        return Change::default();
    };
    m.history.commit(&m.state);
    Change {
        history: st.changed,
        // The link waits for the end of a stroke (see the web root).
        link: if st.changed {
            Link::Replace
        } else {
            Link::Keep
        },
        ..Change::default()
    }
}

/// Puts image b back as it was before the stroke; the history keeps nothing of it.
fn cancel_stroke(m: &mut Model) -> Change {
    let Some(st) = m.stroke.take() else {
        return Change::default();
    };
    m.history.cancel();
    let b = st.b;
    let (labels, pred) = st.before;
    if !st.changed
        || b >= m.state.batch()
        || labels.dim() != m.state.labels.slice(s![b, .., .., ..]).dim()
    {
        return Change::default();
    }
    m.state.labels.slice_mut(s![b, .., .., ..]).assign(&labels);
    m.state.pred.slice_mut(s![b, .., .., ..]).assign(&pred);
    let image: Cells = (0..m.state.classes()).map(|c| (b, c)).collect();
    let mut ch = stroke_change(st.layer, image);
    ch.history = true;
    ch
}

/// Loads scenario k and shows its text; `push` makes it a new history entry.
fn open_lesson(m: &mut Model, k: usize, push: bool) -> Change {
    let Some(sc) = SCENARIOS.get(k) else {
        return Change::default();
    };
    let before = m.link();
    let mut s = sc.state();
    s.view.embed = m.state.view.embed;
    s.view.present = m.state.view.present;
    let mut ch = load(m, s);
    m.lesson_collapsed = false;
    m.lesson = Some(Lesson {
        index: k,
        scene: m.state.clone(),
    });
    if m.tour.is_some() {
        m.tour = Some(k);
    }
    if m.notice.take().is_some() {
        ch.notice = true;
    }
    ch.link = if push {
        Link::Push { before }
    } else {
        Link::Replace
    };
    ch
}

fn exit_tour(m: &mut Model) -> Change {
    if m.tour.take().is_none() {
        return Change::default();
    }
    Change {
        lesson: true,
        ..Change::default()
    }
}

fn close_lesson(m: &mut Model) -> Change {
    if m.lesson.is_none() && m.tour.is_none() {
        return Change::default();
    }
    m.lesson = None;
    m.tour = None;
    Change {
        lesson: true,
        // The short lesson link no longer describes the page.
        link: Link::Replace,
        ..Change::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::phi::Phi;
    use crate::engine::status::LabelStatus;
    use crate::page::codec;
    use crate::page::model::{EpsField, Hover, ViewKind};
    use crate::page::msg::HelperKind;

    fn model() -> Model {
        Model::new(AppState::default_scene())
    }

    fn paint_pred(m: &mut Model, b: usize, c: usize, path: &[(f64, f64)]) -> Change {
        let mut ch = update(
            m,
            Msg::StrokeStart {
                layer: Layer::Pred,
                b,
                c,
                at: path[0],
                erase: false,
            },
        );
        for &at in &path[1..] {
            ch.merge(update(m, Msg::StrokeMove { at }));
        }
        ch.merge(update(m, Msg::StrokeEnd));
        ch
    }

    #[test]
    fn a_stroke_is_one_undo_step() {
        let mut m = model();
        m.tool.pred_value = 0.0;
        let before = m.state.clone();
        let ch = paint_pred(&mut m, 0, 1, &[(14.0, 14.0), (14.0, 20.0), (18.0, 20.0)]);
        assert_ne!(m.state, before);
        assert!(
            ch.labels.is_empty(),
            "a prediction stroke leaves the labels"
        );
        assert!(ch.preds.contains(&(0, 1)) && ch.preds.contains(&(0, 0)));
        assert!(!ch.preds.iter().any(|&(b, _)| b == 1), "image 1 untouched");
        assert_eq!(ch.link, Link::Replace);
        assert!(ch.history);
        assert_eq!(m.history.undo_len(), 1);
        assert_eq!(m.target, (Layer::Pred, 0, 1), "painting selects the view");
        let after = m.state.clone();
        let ch = update(&mut m, Msg::Undo);
        assert_eq!(m.state, before);
        assert!(ch.history && !ch.preds.is_empty());
        update(&mut m, Msg::Redo);
        assert_eq!(m.state, after);
        // Undo with nothing to undo changes no data.
        let mut fresh = model();
        let ch = update(&mut fresh, Msg::Undo);
        assert!(!ch.data());
    }

    #[test]
    fn a_cancelled_stroke_leaves_nothing_behind() {
        let mut m = model();
        m.tool.pred_value = 0.0;
        let before = m.state.clone();
        update(
            &mut m,
            Msg::StrokeStart {
                layer: Layer::Label,
                b: 1,
                c: 1,
                at: (3.0, 3.0),
                erase: false,
            },
        );
        update(&mut m, Msg::StrokeMove { at: (3.0, 25.0) });
        assert_ne!(m.state, before);
        let ch = update(&mut m, Msg::StrokeCancel);
        assert_eq!(m.state, before);
        assert!(ch.labels.contains(&(1, 0)) && ch.labels.contains(&(1, 1)));
        assert!(!m.history.can_undo());
        assert!(m.stroke.is_none());
        // A move after the cancel paints nothing.
        assert!(update(&mut m, Msg::StrokeMove { at: (9.0, 9.0) }).is_empty());
    }

    #[test]
    fn an_empty_label_refuses_the_brush_and_fill() {
        let mut m = model();
        m.state.status[(1, 1)] = LabelStatus::Empty;
        let before = m.state.clone();
        let ch = update(
            &mut m,
            Msg::StrokeStart {
                layer: Layer::Label,
                b: 1,
                c: 1,
                at: (5.0, 5.0),
                erase: false,
            },
        );
        assert!(ch.notice && !ch.data());
        assert!(m.notice.as_ref().unwrap().text.contains("marked empty"));
        m.target = (Layer::Label, 1, 1);
        update(&mut m, Msg::Fill);
        assert_eq!(m.state, before);
        // A prediction can still be painted there.
        m.target = (Layer::Pred, 1, 1);
        let ch = update(&mut m, Msg::Fill);
        assert!(ch.preds.contains(&(1, 1)) && ch.labels.is_empty());
    }

    #[test]
    fn the_tour_steps_through_every_lesson_and_ends() {
        let mut m = model();
        let ch = update(&mut m, Msg::StartTour);
        assert_eq!(m.tour, Some(0));
        assert_eq!(m.lesson.as_ref().unwrap().index, 0);
        assert_eq!(m.state, SCENARIOS[0].state());
        assert!(matches!(ch.link, Link::Push { .. }));
        assert_eq!(m.link(), format!("#preset={}", SCENARIOS[0].name));
        assert!(
            update(&mut m, Msg::TourStep(-1)).is_empty(),
            "no step before the first"
        );
        for (k, sc) in SCENARIOS.iter().enumerate().skip(1) {
            update(&mut m, Msg::TourStep(1));
            assert_eq!(m.tour, Some(k));
            assert_eq!(m.state, sc.state());
        }
        update(&mut m, Msg::TourStep(1));
        assert_eq!(m.tour, None, "past the last step ends the tour");
        assert_eq!(m.lesson.as_ref().unwrap().index, SCENARIOS.len() - 1);
        // Arrow keys do nothing outside a tour.
        assert!(update(&mut m, Msg::TourStep(1)).is_empty());
        update(&mut m, Msg::StartTour);
        update(&mut m, Msg::ExitTour);
        assert_eq!(m.tour, None);
        assert!(m.lesson.is_some(), "exiting the tour keeps the scene");
        update(&mut m, Msg::CloseLesson);
        assert!(m.lesson.is_none());
        assert_eq!(m.link(), route::hash_of(&m.state));
    }

    #[test]
    fn a_lesson_click_right_after_an_edit_keeps_the_edit_for_back() {
        let mut m = model();
        update(&mut m, Msg::Phi(Phi::BCI));
        let edited = m.state.clone();
        let ch = update(&mut m, Msg::OpenLesson(2));
        let Link::Push { before } = ch.link else {
            panic!("a lesson click is a new history entry: {:?}", ch.link);
        };
        let back = codec::decode(before.trim_start_matches('#')).unwrap();
        assert_eq!(back, edited);
        // Back: the address bar says the edited page again.
        let ch = update(&mut m, Msg::LinkLoaded(before));
        assert!(ch.page);
        assert_eq!(m.state, edited);
        assert!(m.lesson.is_none());
        // A link to what is shown changes nothing.
        let own = m.link();
        assert!(update(&mut m, Msg::LinkLoaded(own)).is_empty());
    }

    #[test]
    fn links_open_lessons_and_bad_links_say_why() {
        let mut m = model();
        let ch = update(&mut m, Msg::LinkLoaded("#preset=empty-BI&embed".into()));
        assert!(ch.page && ch.lesson);
        assert_eq!(SCENARIOS[m.lesson.as_ref().unwrap().index].name, "empty-BI");
        assert!(m.state.view.embed, "embed follows the link");
        assert!(m.pristine());
        assert_eq!(m.link(), "#preset=empty-BI&embed");
        update(&mut m, Msg::LinkLoaded("#preset=empty-BI".into()));
        assert!(!m.state.view.embed, "and follows it back");
        let ch = update(&mut m, Msg::LinkLoaded("#Ag-broken".into()));
        assert!(ch.notice);
        let n = m.notice.clone().unwrap();
        assert!(
            n.error && n.text.contains("could not be opened"),
            "{}",
            n.text
        );
        assert_eq!(m.state, AppState::default_scene());
    }

    #[test]
    fn a_typed_eps_is_applied_only_when_the_whole_entry_is_valid() {
        let mut m = model();
        let eps = m.state.settings.eps_nr;
        for bad in ["1e999", "0x10", "2abc", "1e-1000", "-1", ""] {
            let ch = update(
                &mut m,
                Msg::EpsEntered {
                    field: EpsField::First,
                    text: bad.into(),
                },
            );
            assert!(!ch.settings, "{bad} changed the settings");
            assert_eq!(m.state.settings.eps_nr, eps, "{bad}");
            let r = m.refused[0].clone().expect("refused");
            assert_eq!(r.text, bad);
            assert!(!r.reason.is_empty());
        }
        let ch = update(
            &mut m,
            Msg::EpsEntered {
                field: EpsField::First,
                text: "1e-7".into(),
            },
        );
        assert!(ch.settings && ch.entry);
        assert_eq!(
            (m.state.settings.eps_nr, m.state.settings.eps_dr),
            (1e-7, 1e-7)
        );
        assert!(m.refused[0].is_none());
        // The same value again recomputes nothing.
        let ch = update(
            &mut m,
            Msg::EpsEntered {
                field: EpsField::First,
                text: "1e-07".into(),
            },
        );
        assert!(!ch.data());
        // A refusal stays until ε changes some other way (here: the slider).
        update(
            &mut m,
            Msg::EpsEntered {
                field: EpsField::First,
                text: "oops".into(),
            },
        );
        update(
            &mut m,
            Msg::EpsSlider {
                field: EpsField::First,
                pos: 0,
            },
        );
        assert!(m.refused[0].is_none());
        assert_eq!(m.state.settings.eps_nr, 0.0);
        // Separate ε: the second field edits ε_dr only.
        update(&mut m, Msg::SeparateEps(true));
        update(
            &mut m,
            Msg::EpsEntered {
                field: EpsField::Dr,
                text: "0.5".into(),
            },
        );
        assert_eq!(
            (m.state.settings.eps_nr, m.state.settings.eps_dr),
            (0.0, 0.5)
        );
        update(&mut m, Msg::SeparateEps(false));
        assert_eq!(m.state.settings.eps_dr, 0.0, "joined again: ε_dr = ε_nr");
    }

    #[test]
    fn tool_messages_change_the_tool_and_say_so() {
        let mut m = model();
        for (msg, check) in [
            (
                Msg::SoftEdge(false),
                (|m: &Model| !m.tool.soft) as fn(&Model) -> bool,
            ),
            (Msg::HelpersOnAll(true), |m| m.tool.helper_all),
            (Msg::Radius(f64::NAN), |m| m.tool.radius == 2.0),
            (Msg::Radius(100.0), |m| m.tool.radius == 64.0),
            (Msg::PredValue(-3.0), |m| m.tool.pred_value == 0.0),
            (Msg::SquareBrush(true), |m| m.tool.square),
            (Msg::LabelErase(true), |m| m.tool.label_erase),
        ] {
            let ch = update(&mut m, msg.clone());
            assert!(check(&m), "{msg:?}");
            // NaN falls back to the default radius, which it already is.
            assert!(
                ch.tool || matches!(msg, Msg::Radius(r) if r.is_nan()),
                "{msg:?}"
            );
            assert!(!ch.data());
        }
        // Helpers act on all cells when asked.
        let ch = update(&mut m, Msg::Helper(HelperKind::Copy));
        assert!(ch.preds.iter().any(|&(b, _)| b == 0) && ch.preds.iter().any(|&(b, _)| b == 1));
    }

    #[test]
    fn a_new_size_starts_a_new_history_and_keeps_the_target_inside() {
        let mut m = model();
        m.target = (Layer::Label, 1, 1);
        paint_pred(&mut m, 1, 1, &[(3.0, 3.0)]);
        assert!(m.history.can_undo());
        let ch = update(&mut m, Msg::Size { b: 1, c: 2, n: 16 });
        assert!(ch.page && ch.history);
        assert_eq!(m.state.labels.dim(), (1, 2, 16, 16));
        assert!(!m.history.can_undo());
        assert!(m.target.1 < 1);
        // An impossible size is refused with a message and no change.
        let before = m.state.clone();
        let ch = update(&mut m, Msg::Size { b: 9, c: 2, n: 16 });
        assert!(ch.notice && ch.controls && !ch.page);
        assert_eq!(m.state, before);
    }

    #[test]
    fn hover_changes_only_between_pixels() {
        let mut m = model();
        let h = |i: f64, j: f64| {
            Msg::Hover(Some(Hover {
                view: ViewKind::Grad,
                b: 0,
                c: 1,
                i,
                j,
            }))
        };
        assert!(update(&mut m, h(3.2, 4.1)).hover);
        assert!(update(&mut m, h(3.7, 4.9)).is_empty(), "same pixel");
        assert!(update(&mut m, h(4.1, 4.9)).hover);
        assert!(update(&mut m, Msg::Hover(None)).hover);
    }

    #[test]
    fn presentation_walks_the_lessons_and_keeps_its_flag() {
        let mut m = model();
        update(&mut m, Msg::OpenLesson(3));
        let ch = update(&mut m, Msg::Present(true));
        assert!(ch.screen && ch.layout && ch.lesson);
        assert_eq!(ch.link, Link::Replace);
        assert_eq!(m.tour, Some(3), "the lesson becomes a tour step");
        assert_eq!(m.link(), format!("#preset={}&present", SCENARIOS[3].name));
        assert!(update(&mut m, Msg::Present(true)).is_empty());
        update(&mut m, Msg::TourStep(1));
        assert_eq!(m.lesson.as_ref().unwrap().index, 4);
        assert!(m.state.view.present, "a new lesson keeps presentation mode");
        assert_eq!(m.link(), format!("#preset={}&present", SCENARIOS[4].name));
        // Undo history and the data are not touched by the mode.
        let before = m.state.clone();
        update(&mut m, Msg::Present(false));
        assert!(!m.state.view.present);
        assert!(route::is_scene(&m.state, &before));
        assert_eq!(m.link(), format!("#preset={}", SCENARIOS[4].name));
        // A link with &present opens the lesson as a tour step.
        let mut m = model();
        update(&mut m, Msg::LinkLoaded("#preset=leaf&present".into()));
        assert!(m.state.view.present);
        assert_eq!(m.tour, m.lesson.as_ref().map(|l| l.index));
        // Presentation without a lesson: → starts the tour.
        let mut m = model();
        update(&mut m, Msg::Present(true));
        assert_eq!(m.tour, None);
        assert!(update(&mut m, Msg::TourStep(-1)).is_empty());
        update(&mut m, Msg::TourStep(1));
        assert_eq!(
            (m.tour, m.lesson.as_ref().map(|l| l.index)),
            (Some(0), Some(0))
        );
        assert!(m.state.view.present);
        // Reset keeps the mode too.
        update(&mut m, Msg::Reset);
        assert!(m.state.view.present && m.lesson.is_none());
    }

    #[test]
    fn start_over_restores_the_lesson_in_an_embed() {
        let mut m = model();
        update(&mut m, Msg::LinkLoaded("#preset=empty-BI&embed".into()));
        let scene = m.state.clone();
        paint_pred(&mut m, 1, 1, &[(3.0, 3.0), (3.0, 20.0)]);
        assert_ne!(m.state, scene);
        let ch = update(&mut m, Msg::StartOver);
        assert!(ch.page);
        assert_eq!(m.state, scene, "the lesson's own scene, still embedded");
        assert_eq!(m.link(), "#preset=empty-BI&embed");
        // Without a lesson: the default page, still embedded.
        update(&mut m, Msg::CloseLesson);
        update(&mut m, Msg::Phi(Phi::BCI));
        update(&mut m, Msg::StartOver);
        let mut want = AppState::default_scene();
        want.view.embed = true;
        assert_eq!(m.state, want);
    }

    #[test]
    fn the_lesson_text_folds_and_unfolds() {
        let mut m = model();
        assert!(
            update(&mut m, Msg::CollapseLesson(true)).is_empty(),
            "no lesson"
        );
        update(&mut m, Msg::OpenLesson(1));
        let ch = update(&mut m, Msg::CollapseLesson(true));
        assert!(ch.lesson && m.lesson_collapsed);
        assert_eq!(
            m.link(),
            format!("#preset={}", SCENARIOS[1].name),
            "the link stays"
        );
        assert!(update(&mut m, Msg::CollapseLesson(true)).is_empty());
        update(&mut m, Msg::OpenLesson(2));
        assert!(!m.lesson_collapsed, "a new lesson shows its text");
    }

    #[test]
    fn screen_messages_change_only_the_screen() {
        let mut m = model();
        m.intro = true;
        let ch = update(&mut m, Msg::DismissIntro);
        assert!(ch.screen && !ch.data() && !m.intro);
        assert!(update(&mut m, Msg::DismissIntro).is_empty());
        let ch = update(&mut m, Msg::ShowExcluded(true));
        assert!(ch.screen && ch.layout && m.show_excluded && ch.link == Link::Keep);
        let ch = update(&mut m, Msg::Export(crate::page::msg::ExportKind::GridPng));
        assert!(ch.export && !ch.data());
        let first = m.request.unwrap();
        update(&mut m, Msg::Export(crate::page::msg::ExportKind::GridPng));
        let second = m.request.unwrap();
        assert_eq!(second.kind, first.kind);
        assert_ne!(
            second.seq, first.seq,
            "the same export asked twice is done twice"
        );
    }

    #[test]
    fn the_keyboard_cursor_reads_and_paints() {
        let mut m = model();
        let n = m.state.size();
        let mv = |view, di, dj, paint| Msg::CursorMove {
            view,
            b: 0,
            c: 1,
            di,
            dj,
            paint,
        };
        let ch = update(&mut m, mv(ViewKind::Pred, 0, 0, false));
        assert!(ch.hover && !ch.data());
        assert_eq!(
            m.hover.unwrap().pixel(n),
            (n / 2, n / 2),
            "it starts in the middle"
        );
        update(&mut m, mv(ViewKind::Pred, -1, 2, false));
        assert_eq!(m.hover.unwrap().pixel(n), (n / 2 - 1, n / 2 + 2));
        // The edges hold it.
        for _ in 0..40 {
            update(&mut m, mv(ViewKind::Pred, 1, 1, false));
        }
        assert_eq!(m.hover.unwrap().pixel(n), (n - 1, n - 1));
        // Space paints one dab at the cursor: one undo step.
        m.tool.pred_value = 0.5;
        m.tool.radius = 0.0;
        let ch = update(&mut m, Msg::PaintAtCursor { erase: false });
        assert!(ch.preds.contains(&(0, 1)) && ch.history);
        assert_eq!(m.state.pred[[0, 1, n - 1, n - 1]], 0.5);
        assert_eq!(m.history.undo_len(), 1);
        assert!(m.stroke.is_none(), "the dab is a whole stroke");
        // A painting move draws a line from the old pixel to the new one.
        update(&mut m, mv(ViewKind::Label, 0, 0, false));
        update(&mut m, mv(ViewKind::Label, -99, -99, false));
        let (i, j) = m.hover.unwrap().pixel(n);
        assert_eq!((i, j), (0, 0));
        assert_eq!(
            m.state.labels[[0, 1, 0, 1]],
            0.0,
            "the corner starts unlabelled"
        );
        m.tool.label_erase = false;
        update(&mut m, mv(ViewKind::Label, 0, 3, true));
        for jj in j..=j + 3 {
            assert_eq!(m.state.labels[[0, 1, i, jj]], 1.0, "({i}, {jj}) painted");
        }
        assert_eq!(m.history.undo_len(), 2);
        // The gradient view is not paintable: said, nothing changes.
        update(&mut m, mv(ViewKind::Grad, 0, 0, false));
        let before = m.state.clone();
        let ch = update(&mut m, Msg::PaintAtCursor { erase: false });
        assert!(ch.notice && !ch.data());
        assert_eq!(m.state, before);
        // Out of range cells are ignored.
        assert!(update(
            &mut m,
            Msg::CursorMove {
                view: ViewKind::Pred,
                b: 9,
                c: 0,
                di: 0,
                dj: 0,
                paint: false
            }
        )
        .is_empty());
    }

    #[test]
    fn training_plays_pauses_steps_and_resets() {
        let mut m = model();
        // A shared model needs an activation: refused in words.
        let ch = update(&mut m, Msg::TrainStep);
        assert!(ch.notice && m.training.is_none());
        update(
            &mut m,
            Msg::Activation(crate::engine::activation::Activation::Softmax),
        );
        let painted = m.state.clone();
        let ch = update(&mut m, Msg::TrainStep);
        assert!(ch.training && ch.preds.len() == 4 && m.show_images);
        assert_eq!(m.training.as_ref().unwrap().step_count(), 1);
        assert!(m.link().ends_with("&train=1"));
        // Ticks only count while playing.
        assert!(update(&mut m, Msg::TrainTick(5)).is_empty());
        update(&mut m, Msg::TrainPlay);
        let ch = update(&mut m, Msg::TrainTick(5));
        assert_eq!(
            ch.link,
            Link::Soon,
            "a run writes its step to the link lazily"
        );
        assert_eq!(m.training.as_ref().unwrap().step_count(), 6);
        update(&mut m, Msg::TrainPause);
        assert!(update(&mut m, Msg::TrainTick(5)).is_empty());
        // The prediction cannot be painted while trained; the state is untouched.
        let ch = update(
            &mut m,
            Msg::StrokeStart {
                layer: Layer::Pred,
                b: 0,
                c: 1,
                at: (3.0, 3.0),
                erase: false,
            },
        );
        assert!(ch.notice && m.stroke.is_none());
        assert_eq!(m.state, painted);
        // Settings train on; the step count stays.
        update(&mut m, Msg::Phi(Phi::BI));
        assert_eq!(m.training.as_ref().unwrap().step_count(), 6);
        assert_eq!(m.training.as_ref().unwrap().trainer.settings().phi, Phi::BI);
        // A label edit ends the session: its data changed.
        let ch = update(
            &mut m,
            Msg::Status {
                b: 1,
                c: 1,
                status: LabelStatus::Missing,
            },
        );
        assert!(m.training.is_none() && ch.training);
        update(&mut m, Msg::TrainStep);
        let ch = update(&mut m, Msg::TrainReset);
        assert!(m.training.is_none() && ch.preds.len() == 4);
        assert!(!m.link().contains("&train="));
    }

    #[test]
    fn training_a_lesson_keeps_the_presentation_and_the_embed() {
        for (present, embed) in [(true, false), (false, true)] {
            let mut m = model();
            update(&mut m, Msg::OpenLesson(1));
            update(&mut m, Msg::Present(present));
            m.state.view.embed = embed;
            update(&mut m, Msg::TrainLesson);
            assert!(m.training.is_some());
            assert_eq!((m.state.view.present, m.state.view.embed), (present, embed));
            assert!(m.lesson.is_some(), "the lesson stays open");
        }
    }

    #[test]
    fn the_embeds_full_page_link_keeps_the_training() {
        let mut m = model();
        update(&mut m, Msg::OpenLesson(1));
        m.state.view.embed = true;
        update(&mut m, Msg::TrainLesson);
        update(&mut m, Msg::TrainTick(7));
        let link = m.full_page_link();
        assert!(link.ends_with("&train=7"), "{link}");
        let mut full = model();
        update(&mut full, Msg::LinkLoaded(link));
        reach_link_step(&mut full);
        assert!(!full.state.view.embed, "the full page is not embedded");
        let (a, b) = (
            m.training.as_ref().unwrap(),
            full.training.as_ref().unwrap(),
        );
        assert_eq!(b.step_count(), 7);
        assert_eq!(b.trainer.loss(), a.trainer.loss());
    }

    #[test]
    fn a_train_link_opens_the_run_at_that_step() {
        let mut m = model();
        update(&mut m, Msg::OpenLesson(1));
        update(&mut m, Msg::TrainLesson);
        update(&mut m, Msg::TrainTick(12));
        let t = m.training.as_ref().unwrap();
        assert!(t.playing && t.until == Some(300));
        let (loss, link) = (t.trainer.loss(), m.link());
        assert!(link.ends_with("&train=12"), "{link}");
        let mut other = model();
        update(&mut other, Msg::LinkLoaded(link.clone()));
        // Opening the link trains nothing: the run gets there in ticks between frames.
        let t2 = other.training.as_ref().unwrap();
        assert_eq!((t2.step_count(), t2.target), (0, Some(12)));
        assert_eq!(other.link(), link, "the link keeps the step it asks for");
        let ticks = reach_link_step(&mut other);
        assert_eq!(ticks, 12);
        let t2 = other.training.as_ref().unwrap();
        assert_eq!(t2.step_count(), 12);
        assert!(!t2.playing && t2.target.is_none(), "it stops there, paused");
        assert_eq!(t2.trainer.loss(), loss, "deterministic");
        assert_eq!(other.link(), link);
    }

    /// Drives a link's run to its step one tick at a time, as the page's frames do;
    /// returns the ticks taken.
    fn reach_link_step(m: &mut Model) -> usize {
        let mut ticks = 0;
        while m.training.as_ref().is_some_and(|t| t.target.is_some()) {
            update(m, Msg::TrainTick(1));
            ticks += 1;
            assert!(ticks < 100_000, "the run never ends");
        }
        ticks
    }

    /// Fuzz finding (issue 15): `&train=20000` trained synchronously while the page opened
    /// (310 s on the largest page, nothing shown meanwhile). Opening trains nothing; ticks
    /// move the run; Pause ends it where it is, and the link then says that step.
    #[test]
    fn a_train_link_opens_at_step_0_and_trains_in_ticks() {
        let mut m = model();
        update(
            &mut m,
            Msg::Activation(crate::engine::activation::Activation::Sigmoid),
        );
        let hash = format!("{}&train=20000", m.link());
        let mut other = model();
        let ch = open_link(&mut other, &hash);
        assert_eq!(
            ch.link,
            Link::Opened,
            "the address bar keeps the link as opened"
        );
        let t = other.training.as_ref().unwrap();
        assert_eq!(
            (t.step_count(), t.target, t.playing),
            (0, Some(20000), true)
        );
        assert!(other.notice.is_none());
        assert_eq!(other.link(), hash);
        for _ in 0..3 {
            update(&mut other, Msg::TrainTick(1));
        }
        assert_eq!(other.training.as_ref().unwrap().step_count(), 3);
        assert_eq!(
            other.link(),
            hash,
            "still the link's step while getting there"
        );
        let ch = update(&mut other, Msg::TrainPause);
        assert_eq!(ch.link, Link::Replace);
        let t = other.training.as_ref().unwrap();
        assert!(!t.playing && t.target.is_none());
        assert!(other.link().ends_with("&train=3"), "{}", other.link());
        assert!(update(&mut other, Msg::TrainTick(1)).is_empty(), "paused");
    }

    /// Fuzz finding (issue 15): a trained link whose training cannot start opened at step
    /// 0 with no word (start-up and hashchange overwrote the notice that said why).
    #[test]
    fn a_train_link_that_cannot_train_says_why_and_keeps_saying_it() {
        let mut m = model();
        update(
            &mut m,
            Msg::TrainModel(crate::engine::train::ModelKind::Conv3x3),
        );
        let hash = format!("{}&train=50", m.link());
        let mut other = model();
        other.notice = Some(Notice {
            text: "an old message".into(),
            error: false,
            entry: None,
        });
        open_link(&mut other, &hash);
        let n = other.notice.clone().expect("a notice");
        assert!(
            n.error
                && n.text.starts_with(
                    "The link asks for 50 training steps, but training cannot start. The conv3x3 model outputs logits"
                ),
            "{}",
            n.text
        );
        assert!(other.training.is_none());
        // It stays through what follows (a frame's tick, a hover), until closed.
        update(&mut other, Msg::TrainTick(1));
        update(&mut other, Msg::Hover(None));
        assert_eq!(other.notice.as_ref(), Some(&n));
        update(&mut other, Msg::DismissNotice);
        assert!(other.notice.is_none());
        // Pasted into an open page (hashchange), the same.
        update(&mut other, Msg::LinkLoaded(format!("{}&train=1", m.link())));
        let text = other.notice.as_ref().unwrap().text.clone();
        assert!(
            text.starts_with("The link asks for 1 training step, but"),
            "{text}"
        );
        // A run that stops at step 0 (0/0 with the pixels model) says so.
        let mut z = model();
        update(
            &mut z,
            Msg::OpenLesson(
                SCENARIOS
                    .iter()
                    .position(|s| s.name == "zero-over-zero")
                    .unwrap(),
            ),
        );
        update(
            &mut z,
            Msg::TrainModel(crate::engine::train::ModelKind::Pixels),
        );
        let hash = format!("{}&train=5", z.link());
        let mut other = model();
        open_link(&mut other, &hash);
        let text = other.notice.as_ref().unwrap().text.clone();
        assert!(
            text.starts_with("The link asks for 5 training steps, but training stopped at step 0:")
                && text.contains("0/0"),
            "{text}"
        );
        assert!(!other.training.as_ref().unwrap().playing);
    }

    /// Fuzz finding (issue 15): Back to the first, hash-less history entry rewrote it with
    /// the default page's full hash.
    #[test]
    fn back_to_the_hash_less_entry_keeps_it_hash_less() {
        let mut m = model();
        open_link(&mut m, "");
        update(&mut m, Msg::OpenLesson(1));
        let ch = update(&mut m, Msg::LinkLoaded(String::new()));
        assert!(ch.page && m.lesson.is_none());
        assert_eq!(m.state, AppState::default_scene());
        assert_eq!(ch.link, Link::Opened, "the address bar is not rewritten");
        // The second event of the same Back (hashchange and popstate) changes nothing.
        assert!(update(&mut m, Msg::LinkLoaded(String::new())).is_empty());
        // Nor does a link to what is shown; an edit makes "" a new page again.
        update(&mut m, Msg::Phi(Phi::BI));
        assert!(update(&mut m, Msg::LinkLoaded(String::new())).page);
    }

    /// Fuzz finding (issue 15): a refused learning rate's notice stayed after a valid one.
    #[test]
    fn a_refused_entry_s_notice_ends_with_a_valid_entry() {
        let mut m = model();
        update(&mut m, Msg::TrainLrEntered("fast".into()));
        assert!(m.notice.as_ref().unwrap().text.contains("is not a number"));
        // Another control's change leaves it.
        update(&mut m, Msg::Phi(Phi::BI));
        assert!(m.notice.is_some());
        let ch = update(&mut m, Msg::TrainLrEntered("0.05".into()));
        assert!(ch.notice && m.notice.is_none());
        assert_eq!(m.state.train.optimizer.lr(), 0.05);
        // The same value again still ends it.
        update(&mut m, Msg::TrainLrEntered("-1".into()));
        assert!(m.notice.is_some());
        update(&mut m, Msg::TrainLrEntered("0.05".into()));
        assert!(m.notice.is_none());
        // A valid entry elsewhere does not end another notice.
        update(&mut m, Msg::TrainLrEntered("x".into()));
        update(&mut m, Msg::CompareOpen);
        update(&mut m, Msg::CompareEps("1e-3".into()));
        assert!(m.notice.is_some(), "the learning rate's notice stays");
        update(&mut m, Msg::CompareEps("nope".into()));
        update(&mut m, Msg::CompareEps("1e-4".into()));
        assert!(m.notice.is_none());
    }

    #[test]
    fn painting_the_image_is_an_undo_step_of_its_own() {
        let mut m = model();
        let before = m.state.image.clone();
        m.tool.pred_value = 0.5;
        let mut ch = update(
            &mut m,
            Msg::StrokeStart {
                layer: Layer::Image,
                b: 1,
                c: 0,
                at: (2.0, 2.0),
                erase: false,
            },
        );
        ch.merge(update(&mut m, Msg::StrokeEnd));
        assert_eq!(ch.images, vec![1]);
        assert!(
            ch.labels.is_empty() && ch.preds.is_empty(),
            "the loss's data is untouched"
        );
        assert_ne!(m.state.image, before);
        assert!((m.state.image[[1, 2, 2]] - 0.5).abs() < 1e-12);
        let ch = update(&mut m, Msg::Undo);
        assert_eq!(ch.images, vec![1]);
        assert_eq!(m.state.image, before);
        update(&mut m, Msg::Redo);
        assert!((m.state.image[[1, 2, 2]] - 0.5).abs() < 1e-12);
    }
}
