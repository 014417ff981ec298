//! The screen around the data: presentation mode (body class, full screen, its buttons),
//! the embed's own bar (undo, redo, reset, the lesson text back, the full page), the
//! first-visit introduction, the note of folded columns and the links to the paper and
//! the source. Draws from the model; its buttons send messages.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlAnchorElement, HtmlButtonElement, HtmlElement};

use crate::page::layout::{columns, folded_note};
use crate::page::msg::{LessonMsg, Msg, PageMsg, PaintMsg, ScreenMsg};
use crate::page::update::Link;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::effects;
use super::Frame;

/// The paper.
pub const PAPER_URL: &str = "https://arxiv.org/abs/2207.09521";

/// The repository's address, from Cargo.toml's `repository` (empty: no source link).
fn source_url() -> &'static str {
    env!("CARGO_PKG_REPOSITORY")
}

pub struct Screen {
    body: HtmlElement,
    intro: HtmlElement,
    embed_lesson: HtmlButtonElement,
    embed_undo: HtmlButtonElement,
    embed_redo: HtmlButtonElement,
    embed_full: HtmlAnchorElement,
    folded: HtmlElement,
    folded_text: HtmlElement,
    folded_toggle: HtmlButtonElement,
    present_top: HtmlButtonElement,
    /// "▶ Train it": in the lesson box's buttons, and in an embed in the embed's bar (at
    /// the top of the frame; below 800 px the lesson box is under the picture). One
    /// element either way: its test id and handler stay.
    train: HtmlElement,
    /// Where it goes back to: the lesson box's button after it.
    train_home_next: HtmlElement,
    /// The full page's link shown on the embed's "open" link.
    full_link: String,
}

impl Screen {
    /// Wires the skeleton's screen elements and adds the presentation button and the
    /// links under the control panel's title.
    pub fn build(dispatch: &Dispatch) -> JsResult<Screen> {
        let doc = dom::document()?;
        let body = doc.body().ok_or_else(|| JsValue::from_str("no body"))?;
        // Under the title of the control panel: presentation, the paper, the source.
        let controls: HtmlElement = dom::need("controls")?;
        let top = dom::el("div", "top-links")?;
        let present_top: HtmlButtonElement =
            dom::text_el("button", "btn present-btn", "▣ Present")?
                .dyn_into()
                .map_err(|_| JsValue::from_str("button"))?;
        present_top.set_type("button");
        present_top.set_id("present-toggle");
        dom::set_attr(&present_top, "data-testid", "present-toggle");
        present_top.set_title("Presentation mode: full screen, large type, only the lesson's cells, the loss and the legend; ← → walk the lessons (key P)");
        dom::append(&top, &present_top)?;
        let paper = dom::text_el("a", "top-link", "Paper ↗")?;
        dom::set_attr(&paper, "href", PAPER_URL);
        dom::set_attr(&paper, "target", "_blank");
        dom::set_attr(&paper, "rel", "noopener");
        dom::set_attr(&paper, "data-testid", "paper-link");
        paper.set_title("Tilborghs et al., The Dice loss in the context of missing or empty labels: introducing Φ and ε (MICCAI 2022), arXiv 2207.09521");
        dom::append(&top, &paper)?;
        if !source_url().is_empty() {
            let src = dom::text_el("a", "top-link", "Source ↗")?;
            dom::set_attr(&src, "href", source_url());
            dom::set_attr(&src, "target", "_blank");
            dom::set_attr(&src, "rel", "noopener");
            dom::set_attr(&src, "data-testid", "source-link");
            dom::append(&top, &src)?;
            let intro_src: HtmlAnchorElement = dom::need("intro-source")?;
            intro_src.set_href(source_url());
            intro_src.set_hidden(false);
        }
        match controls.query_selector(".app-title")? {
            Some(title) => {
                title.after_with_node_1(&top)?;
            }
            None => controls.prepend_with_node_1(&top)?,
        }
        let lesson_present: HtmlElement = dom::need("lesson-present")?;
        for b in [present_top.unchecked_ref::<HtmlElement>(), &lesson_present] {
            dispatch.on(b, "click", |_| {
                effects::enter_fullscreen();
                Some(Msg::Screen(ScreenMsg::Present(true)))
            });
        }
        let exit: HtmlElement = dom::need("present-exit")?;
        dispatch.on(&exit, "click", |_| {
            effects::leave_fullscreen();
            Some(Msg::Screen(ScreenMsg::Present(false)))
        });
        // The browser's own Esc leaves full screen without a key event for the page.
        dispatch.on(&doc, "fullscreenchange", |_| {
            effects::left_fullscreen().then_some(Msg::Screen(ScreenMsg::Present(false)))
        });
        let intro_tour: HtmlElement = dom::need("intro-tour")?;
        dispatch.on_click(&intro_tour, Msg::Lesson(LessonMsg::StartTour));
        let skip_tour: HtmlElement = dom::need("skip-tour")?;
        dispatch.on_click(&skip_tour, Msg::Lesson(LessonMsg::StartTour));
        let skip_grid: HtmlElement = dom::need("skip-grid")?;
        dispatch.on(&skip_grid, "click", |_| {
            effects::focus_grid();
            None
        });
        let intro_close: HtmlElement = dom::need("intro-close")?;
        dispatch.on(&intro_close, "click", |_| {
            effects::dismiss_intro_for_good();
            Some(Msg::Screen(ScreenMsg::DismissIntro))
        });
        let embed_undo: HtmlButtonElement = dom::need("embed-undo")?;
        let embed_redo: HtmlButtonElement = dom::need("embed-redo")?;
        let embed_lesson: HtmlButtonElement = dom::need("embed-lesson")?;
        dispatch.on_click(&embed_undo, Msg::Paint(PaintMsg::Undo));
        dispatch.on_click(&embed_redo, Msg::Paint(PaintMsg::Redo));
        let embed_reset: HtmlElement = dom::need("embed-reset")?;
        dispatch.on_click(&embed_reset, Msg::Page(PageMsg::StartOver));
        dispatch.on_click(&embed_lesson, Msg::Lesson(LessonMsg::Collapse(false)));
        let folded_toggle: HtmlButtonElement = dom::need("folded-toggle")?;
        {
            let t = folded_toggle.clone();
            dispatch.on(&folded_toggle, "click", move |_| {
                Some(Msg::Screen(ScreenMsg::ShowExcluded(
                    dom::get_data(&t, "show").as_deref() == Some("1"),
                )))
            });
        }
        // (The introduction's words live in `present`: the layout plan counts them.)
        dom::need::<HtmlElement>("intro-text")?.set_inner_html(crate::present::hints::INTRO);
        Ok(Screen {
            body,
            intro: dom::need("intro")?,
            embed_lesson,
            embed_undo,
            embed_redo,
            embed_full: dom::need("embed-full")?,
            folded: dom::need("folded-note")?,
            folded_text: dom::need("folded-text")?,
            folded_toggle,
            present_top,
            train: dom::need("lesson-train-btn")?,
            train_home_next: dom::need("lesson-restore")?,
            full_link: String::new(),
        })
    }

    /// Puts "▶ Train it" in the embed's bar in an embed, else in the lesson box (moved
    /// only when it is in the other place).
    fn place_train(&self, embed: bool) {
        let (parent, before): (Option<web_sys::Node>, Option<&web_sys::Node>) = if embed {
            (
                self.embed_full.parent_node(),
                Some(self.embed_full.as_ref()),
            )
        } else {
            (
                self.train_home_next.parent_node(),
                Some(self.train_home_next.as_ref()),
            )
        };
        let Some(parent) = parent else { return };
        if self.train.parent_node().as_ref() != Some(&parent) {
            // (A failed move leaves the button where it was: still working.)
            let _ = parent.insert_before(&self.train, before);
        }
    }

    /// Returns whether the space above or beside the grid may have changed.
    pub fn sync(&mut self, f: &Frame) -> bool {
        let (m, ch) = (f.model, f.change);
        let mode = m.state.mode;
        let mut moved = false;
        if ch.page || ch.display || ch.screen || ch.lesson {
            dom::toggle_class(&self.body, "embed", mode.embed);
            dom::toggle_class(&self.body, "present", mode.present);
            dom::toggle_class(&self.body, "has-lesson", m.lesson.open.is_some());
            dom::toggle_class(
                &self.body,
                "lesson-folded",
                m.lesson.open.is_some() && m.lesson.collapsed,
            );
            dom::set_hidden(&self.intro, !m.intro_shown());
            dom::set_hidden(
                &self.embed_lesson,
                !(mode.embed && m.lesson.open.is_some() && m.lesson.collapsed),
            );
            dom::set_attr(
                &self.present_top,
                "aria-pressed",
                if mode.present { "true" } else { "false" },
            );
            self.place_train(mode.embed);
            moved = true;
        }
        if ch.page || ch.history {
            self.embed_undo.set_disabled(!m.paint.history.can_undo());
            self.embed_redo.set_disabled(!m.paint.history.can_redo());
        }
        // The embed's link to the full page: the same page without the embedding.
        if mode.embed
            && m.paint.stroke.is_none()
            && (ch.page || ch.link != Link::Keep || self.full_link.is_empty())
        {
            let link = m.full_page_link();
            if link != self.full_link {
                let base = dom::window()
                    .ok()
                    .and_then(|w| w.location().href().ok())
                    .map(|h| h.split('#').next().unwrap_or_default().to_string())
                    .unwrap_or_default();
                self.embed_full.set_href(&format!("{base}{link}"));
                self.full_link = link;
            }
        }
        if ch.page || ch.screen || f.fresh.evaluated {
            let cols = columns(m, f.derived.main.eval.as_ref().ok());
            let note = folded_note(&cols.folded, m.state.exclusive);
            let (text, button, show) = match note {
                Some(t) => (Some(t), "Show column", "1"),
                None if !cols.out.is_empty() && m.screen.show_excluded && !mode.present => (
                    folded_note(&cols.out, m.state.exclusive),
                    "Fold column",
                    "0",
                ),
                None => (None, "", "0"),
            };
            let was = self.folded.hidden();
            match text {
                Some(t) => {
                    dom::set_text(&self.folded_text, &t);
                    dom::set_text(&self.folded_toggle, button);
                    dom::set_data(&self.folded_toggle, "show", show);
                    dom::set_hidden(&self.folded, false);
                }
                None => dom::set_hidden(&self.folded, true),
            }
            moved |= was != self.folded.hidden();
        }
        moved
    }
}
