//! The lessons: a panel with one button per scenario of `crate::page::lessons` and a guided
//! tour, and the lesson box above the grid that says what to look at. The scenes, their
//! texts and the expected verdicts all live in `crate::page::lessons`.

use web_sys::{HtmlButtonElement, HtmlElement};

use crate::page::lessons::experiments::{lesson_plan, plan_text};
use crate::page::lessons::SCENARIOS;
use crate::page::msg::{LessonMsg, Msg, TrainMsg};
use crate::present::hints::first_sentence;
use crate::present::readout::step_counter;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::Frame;

pub struct Lessons {
    buttons: Vec<HtmlButtonElement>,
    tour_start: HtmlButtonElement,
    box_: HtmlElement,
    step: HtmlElement,
    title: HtmlElement,
    text: HtmlElement,
    lead: HtmlElement,
    rest: HtmlElement,
    more: HtmlButtonElement,
    changed: HtmlElement,
    prev: HtmlButtonElement,
    next: HtmlButtonElement,
    exit: HtmlButtonElement,
    restore: HtmlButtonElement,
    close: HtmlButtonElement,
    train: HtmlButtonElement,
    train_text: HtmlElement,
    train_lead: HtmlElement,
    train_rest: HtmlElement,
    takeaway: HtmlElement,
    /// The first page's question, when no lesson is open.
    question: HtmlElement,
    /// Presentation's Play/Pause button and step counter.
    play: HtmlButtonElement,
    step_count: HtmlElement,
}

/// A button of the lessons panel: `btn` and `class`.
fn lesson_button(
    parent: &HtmlElement,
    class: &str,
    text: &str,
    tip: &str,
) -> JsResult<HtmlButtonElement> {
    let b = dom::button(parent, "", text, tip)?;
    let _ = b.class_list().add_1(class);
    Ok(b)
}

impl Lessons {
    /// Fills `#lessons-panel` (in the control panel) and wires it and the lesson box of
    /// the skeleton, above the grid.
    pub fn build(dispatch: &Dispatch) -> JsResult<Lessons> {
        let panel: HtmlElement = dom::need("lessons-panel")?;
        panel.set_inner_html("");
        let h = dom::text_el("h2", "", "Lessons from the paper")?;
        h.set_title("One click sets up a scene of the paper: missing versus empty labels under different Φ and ε");
        dom::append(&panel, &h)?;
        let grid = dom::el("div", "lesson-buttons")?;
        dom::append(&panel, &grid)?;
        let mut buttons = Vec::new();
        for (k, sc) in SCENARIOS.iter().enumerate() {
            let b = lesson_button(&grid, "lesson-btn", sc.short, sc.title)?;
            dom::set_attr(&b, "data-testid", &format!("lesson-{}", sc.name));
            dom::set_data(&b, "lesson", sc.name);
            dispatch.on(&b, "click", move |_| {
                bring_lesson_into_view();
                Some(Msg::Lesson(LessonMsg::Open(k)))
            });
            buttons.push(b);
        }
        let tour_start = lesson_button(
            &panel,
            "tour-start",
            &format!("▶ Guided tour ({} steps)", SCENARIOS.len()),
            &format!(
                "Step through the {} scenes in order; ← and → keys step, Esc ends the tour",
                SCENARIOS.len()
            ),
        )?;
        dom::set_attr(&tour_start, "data-testid", "tour-start");
        dispatch.on_click(&tour_start, Msg::Lesson(LessonMsg::StartTour));

        let l = Lessons {
            buttons,
            tour_start,
            box_: dom::need("lesson")?,
            step: dom::need("lesson-step")?,
            title: dom::need("lesson-title")?,
            text: dom::need("lesson-text")?,
            lead: dom::need("lesson-lead")?,
            rest: dom::need("lesson-rest")?,
            more: dom::need("lesson-more")?,
            changed: dom::need("lesson-changed")?,
            prev: dom::need("tour-prev")?,
            next: dom::need("tour-next")?,
            exit: dom::need("tour-exit")?,
            restore: dom::need("lesson-restore")?,
            close: dom::need("lesson-close")?,
            train: dom::need("lesson-train-btn")?,
            train_text: dom::need("lesson-train-text")?,
            train_lead: dom::need("train-lead")?,
            train_rest: dom::need("train-rest")?,
            takeaway: dom::need("lesson-takeaway")?,
            question: dom::need("question")?,
            play: dom::need("present-play")?,
            step_count: dom::need("present-step")?,
        };
        dispatch.on_click(&l.play, Msg::Train(TrainMsg::Toggle));
        dispatch.on_click(&l.train, Msg::Train(TrainMsg::Lesson));
        {
            let more = l.more.clone();
            dispatch.on(&l.more, "click", move |_| {
                let open = more.get_attribute("aria-expanded").as_deref() == Some("true");
                Some(Msg::Lesson(LessonMsg::More(!open)))
            });
        }
        dispatch.on_click(&l.prev, Msg::Lesson(LessonMsg::TourStep(-1)));
        dispatch.on_click(&l.next, Msg::Lesson(LessonMsg::TourStep(1)));
        dispatch.on_click(&l.exit, Msg::Lesson(LessonMsg::ExitTour));
        dispatch.on_click(&l.restore, Msg::Lesson(LessonMsg::Restore));
        {
            // In an embed there is no Lessons panel to come back from: × folds the text
            // (the embed bar unfolds it) instead of closing the lesson.
            let close = l.close.clone();
            dispatch.on(&l.close, "click", move |_| {
                Some(if dom::get_data(&close, "fold").as_deref() == Some("1") {
                    Msg::Lesson(LessonMsg::Collapse(true))
                } else {
                    Msg::Lesson(LessonMsg::Close)
                })
            });
        }
        Ok(l)
    }

    /// The question line above the grid ([`crate::page::judge::question_line`]), hidden
    /// while a lesson is open. Whether it appeared or went (the grid moves).
    fn sync_question(&self, f: &Frame, no_lesson: bool) -> bool {
        let text = f.derived.question.as_deref().filter(|_| no_lesson);
        let was_hidden = self.question.hidden();
        match text {
            Some(t) => {
                if self.question.text_content().as_deref() != Some(t) {
                    dom::set_text(&self.question, t);
                }
                dom::set_hidden(&self.question, false);
            }
            None => dom::set_hidden(&self.question, true),
        }
        // With the question, the loss and legend go beside the grid (style/main.css's
        // `has-question`; the plan's `area` counts the same), so the class follows the
        // line whenever it appears or goes (a painted or re-labelled cell can do that).
        if let Some(body) = dom::document().ok().and_then(|d| d.body()) {
            dom::toggle_class(&body, "has-question", text.is_some());
        }
        was_hidden != self.question.hidden()
    }

    /// Shows the lesson (or hides the box). Returns whether the box's size may have
    /// changed (the grid moves).
    pub fn sync(&self, f: &Frame) -> bool {
        let ch = f.change;
        if !(ch.page || ch.lesson || ch.data() || ch.screen || ch.training) {
            return false;
        }
        self.sync_run(f);
        let lesson = f.model.lesson.open.as_ref().map(|l| l.scenario());
        let tour = f.model.lesson.tour;
        // A lesson's training experiment is its own scene, not a change to it.
        let pristine = f.model.pristine() || f.model.train.session.is_some();
        let was_hidden = self.box_.hidden();
        let train_was_hidden = self.train_text.hidden();
        let old_text = self.text.text_content();
        for (b, sc) in self.buttons.iter().zip(SCENARIOS.iter()) {
            let on = lesson.is_some_and(|l| std::ptr::eq(l, sc));
            dom::set_attr(b, "aria-pressed", if on { "true" } else { "false" });
            dom::toggle_class(b, "on", on);
        }
        dom::toggle_class(&self.tour_start, "on", tour.is_some());
        // The takeaway sits above the grid (presentation shows it), not in the box.
        dom::set_hidden(&self.takeaway, lesson.is_none());
        let question_moved = self.sync_question(f, lesson.is_none());
        let Some(sc) = lesson else {
            dom::set_hidden(&self.box_, true);
            return !was_hidden || question_moved;
        };
        dom::set_hidden(&self.box_, false);
        dom::set_data(&self.box_, "lesson", sc.name);
        // The experiment's sentences appear with its run, so the lesson text alone keeps
        // the grid in view.
        let plan = lesson_plan(sc.name);
        dom::set_hidden(&self.train, plan.is_none());
        let training = f.model.train.session.is_some();
        match plan.filter(|_| training) {
            Some(p) => {
                // Folded on a narrow screen like the lesson text ("more" shows both).
                let text = plan_text(&p);
                let (lead, rest) = first_sentence(&text);
                dom::set_text(&self.train_lead, lead);
                dom::set_text(&self.train_rest, rest);
                dom::set_hidden(&self.train_text, false);
            }
            None => dom::set_hidden(&self.train_text, true),
        }
        dom::set_text(&self.title, sc.title);
        // A narrow screen shows the first sentence and "more" (the style sheet decides
        // where the rest folds; the model whether it is open).
        let (lead, rest) = first_sentence(sc.text);
        dom::set_text(&self.lead, lead);
        dom::set_text(&self.rest, rest);
        let more = f.model.lesson.more;
        dom::toggle_class(&self.box_, "brief", !more);
        dom::set_hidden(&self.more, rest.is_empty() || f.model.lesson.collapsed);
        dom::set_text(&self.more, if more { "less" } else { "more" });
        dom::set_attr(
            &self.more,
            "aria-expanded",
            if more { "true" } else { "false" },
        );
        dom::set_text(&self.takeaway, sc.takeaway);
        dom::set_hidden(&self.changed, pristine);
        dom::set_hidden(&self.restore, pristine);
        let touring = tour.is_some();
        for b in [&self.prev, &self.next, &self.exit] {
            dom::set_hidden(b, !touring);
        }
        dom::set_hidden(&self.close, touring);
        let embed = f.model.state.mode.embed;
        dom::set_data(&self.close, "fold", if embed { "1" } else { "0" });
        // In an embed the button says "Hide text" (its name); elsewhere "×" needs one.
        if embed {
            self.close
                .set_title("Fold the lesson text (the bar above brings it back)");
            let _ = self.close.remove_attribute("aria-label");
            dom::set_text(&self.close, "Hide text");
        } else {
            self.close
                .set_title("Hide this text (the Lessons panel brings it back)");
            dom::set_attr(&self.close, "aria-label", "Hide the lesson text");
            dom::set_text(&self.close, "×");
        }
        dom::set_hidden(&self.text, f.model.lesson.collapsed);
        dom::set_hidden(&self.step, !touring);
        if let Some(k) = tour {
            dom::set_text(
                &self.step,
                &format!("Step {} of {}", k + 1, SCENARIOS.len()),
            );
            self.prev.set_disabled(k == 0);
            let last = k + 1 >= SCENARIOS.len();
            dom::set_text(&self.next, if last { "Finish ✓" } else { "Next ▶" });
        }
        was_hidden
            || old_text.as_deref() != Some(sc.text)
            || train_was_hidden != self.train_text.hidden()
    }

    /// Presentation's Play/Pause button (its words say what a click does) and the step
    /// counter of the run (A's and B's: they step together).
    fn sync_run(&self, f: &Frame) {
        let t = f.model.train.session.as_ref();
        let (text, label) = match t {
            Some(t) if t.playing => ("❚❚ Pause", "Pause training"),
            Some(_) => ("▶ Play", "Play: train on from this step"),
            None => ("▶ Play", "Play: train the lesson's network"),
        };
        dom::set_text(&self.play, text);
        dom::set_attr(&self.play, "aria-label", label);
        let step = t.map_or(0, |t| t.step_count());
        let until = t.and_then(|t| t.until.filter(|_| t.playing));
        dom::set_text(&self.step_count, &step_counter(step, until));
    }
}

/// A lesson button far down the page (a phone's one column) scrolls the lesson's section,
/// its text and the grid under it, into view; where the section starts in the upper half
/// of the window nothing moves.
fn bring_lesson_into_view() {
    let (Some(work), Ok(w)) = (dom::by_id::<HtmlElement>("work"), dom::window()) else {
        return;
    };
    let h = w
        .inner_height()
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(800.0);
    let top = work.get_bounding_client_rect().top();
    if top < 0.0 || top > h / 2.0 {
        work.scroll_into_view_with_bool(true);
    }
}
