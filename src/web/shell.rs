//! The page skeleton (`index.html` only holds the stylesheet and the wasm link), the
//! fatal-error banner, the notice and the "ready" flag tests wait for. The screen's modes
//! (presentation, embed) are [`super::screen`]'s.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

use crate::page::msg::{Msg, PageMsg};

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::Frame;

/// The page's HTML; views find their elements in it by id.
const SKELETON: &str = r#"<nav class="skip-links" aria-label="Skip links"><button type="button" id="skip-grid" class="btn skip-link" data-testid="skip-grid">Skip to the grid</button><button type="button" id="skip-tour" class="btn skip-link" data-testid="skip-tour">▶ Start the guided tour</button></nav>
<aside id="controls" aria-label="Controls"></aside>
<main id="main">
  <h1 class="present-h1">Dice Loss Playground</h1>
  <div id="notice" class="notice" role="status" hidden><span id="notice-text"></span><button type="button" id="notice-close" class="btn" title="Hide this message" aria-label="Hide this message">×</button></div>
  <section id="intro" class="intro" aria-labelledby="intro-title" hidden>
    <h2 id="intro-title" class="intro-title">New here?</h2>
    <p id="intro-text" class="intro-text"></p>
    <div class="intro-actions"><button type="button" id="intro-tour" class="btn primary">▶ Start the guided tour</button><button type="button" id="intro-close" class="btn">Got it, don't show again</button><a id="intro-paper" class="intro-link" href="https://arxiv.org/abs/2207.09521" target="_blank" rel="noopener">The paper: arXiv 2207.09521</a><a id="intro-source" class="intro-link" target="_blank" rel="noopener" hidden>Source code</a></div>
  </section>
  <div id="work" class="work">
    <div id="side" class="side">
      <div id="present-exit-bar" class="present-exit-bar"><button type="button" id="present-exit" class="btn" data-testid="present-exit" title="Leave presentation mode (Esc or P)">✕ Exit</button> <span class="present-keys">← → lessons · Esc leaves</span> <span class="present-run"><button type="button" id="present-play" class="btn primary" data-testid="present-play" aria-label="Play: train the lesson's network">▶ Play</button><span id="present-step" class="present-step" data-testid="present-step">step 0</span></span></div>
      <div id="embed-bar" class="embed-bar">
        <h1 class="embed-title">Dice Loss Playground</h1>
        <div class="embed-actions">
          <button type="button" id="embed-undo" class="btn" data-testid="embed-undo" title="Undo (Ctrl+Z)" aria-label="Undo">↶ Undo</button>
          <button type="button" id="embed-redo" class="btn" title="Redo (Ctrl+Shift+Z)" aria-label="Redo">↷ Redo</button>
          <button type="button" id="embed-reset" class="btn" data-testid="embed-reset" title="Start this scene again">↺ Reset</button>
          <button type="button" id="embed-lesson" class="btn" data-testid="embed-lesson" hidden>Show the lesson text</button>
          <a id="embed-full" class="btn link-btn" data-testid="embed-full" target="_blank" rel="noopener">Open the full playground ↗</a>
        </div>
      </div>
      <section id="lesson" class="lesson" data-testid="lesson" aria-labelledby="lesson-title" tabindex="0" hidden>
        <div class="lesson-head">
          <span id="lesson-step" class="lesson-step" data-testid="tour-step" hidden></span>
          <h2 id="lesson-title" class="lesson-title"></h2>
          <div class="lesson-nav">
            <button type="button" id="tour-prev" class="btn" data-testid="tour-prev" title="Previous step (←)" hidden>◀ Previous</button>
            <button type="button" id="tour-next" class="btn primary" data-testid="tour-next" title="Next step (→)" hidden>Next ▶</button>
            <button type="button" id="tour-exit" class="btn" data-testid="tour-exit" title="End the tour, keep this scene (Esc)" hidden>Exit tour</button>
            <button type="button" id="lesson-train-btn" class="btn primary" data-testid="lesson-train" title="Train a small network on this lesson's experiment: two or three sentences below say what will happen; plot (d) shows it" hidden>▶ Train it</button>
            <button type="button" id="lesson-restore" class="btn" title="Load this lesson's scene again" hidden>↺ Restore scene</button>
            <button type="button" id="lesson-present" class="btn present-btn" data-testid="lesson-present" title="Presentation mode: full screen, large type, only this lesson's cells (P)">▣ Present</button>
            <button type="button" id="lesson-close" class="btn" title="Hide this text" aria-label="Hide the lesson text">×</button>
          </div>
        </div>
        <p id="lesson-text" class="lesson-text" data-testid="lesson-text"><span id="lesson-lead"></span><span id="lesson-rest" class="lesson-rest"></span></p>
        <button type="button" id="lesson-more" class="btn small lesson-more" data-testid="lesson-more" aria-controls="lesson-text" aria-expanded="false">more</button>
        <p id="lesson-changed" class="lesson-changed" hidden>You have changed the scene since; the text describes the lesson's own scene.</p>
        <p id="lesson-train-text" class="lesson-train-text" data-testid="lesson-train-text" hidden><span id="train-lead"></span><span id="train-rest" class="lesson-rest"></span></p>
      </section>
      <header class="topbar">
        <div class="loss-box" title="The loss DL = 1 − mean over the sets φ of sDSC_φ">
          <div id="loss-name" class="loss-name">Dice loss</div>
          <div id="loss-value" class="loss-value" data-value="undefined">…</div>
          <div id="loss-why" class="loss-why"></div>
          <div id="loss-sub" class="loss-sub"></div>
          <div id="loss-code" class="loss-code" title="The MONAI call that computes the same loss"></div>
        </div>
        <div class="side-box">
          <div id="legend" class="legend"></div>
          <div id="hover-info" class="hover-info"></div>
          <p id="hover-say" class="sr-only" aria-live="polite" data-testid="hover-say"></p>
        </div>
      </header>
    </div>
    <div id="grid-wrap" class="grid-wrap">
      <p id="question" class="question" data-testid="question" hidden></p>
      <p id="lesson-takeaway" class="lesson-takeaway" data-testid="lesson-takeaway" hidden></p>
      <section id="compare-bar" class="compare-bar" data-testid="compare" aria-label="Compare mode" hidden>
        <div class="compare-row">
          <span class="compare-side">A</span><span id="compare-a" class="compare-summary"></span>
          <span class="compare-loss-label">loss</span><span id="compare-a-loss" class="compare-loss" data-testid="compare-a-loss"></span>
          <button type="button" id="compare-close" class="btn" title="Leave compare mode" aria-label="Leave compare mode">×</button>
        </div>
        <div class="compare-row">
          <span class="compare-side b">B</span>
          <span id="compare-b" class="compare-summary compare-b-summary"></span>
          <span id="compare-phi" class="compare-phi" role="group" aria-label="B: reduction sets Φ"></span>
          <label class="check">ε <input type="text" id="compare-eps" class="num" inputmode="decimal" autocomplete="off" spellcheck="false" aria-label="B: ε" title="B: ε in numerator and denominator, then Enter"></label>
          <select id="compare-variant" aria-label="B: loss variant" title="B: the plain, leaf or marginal Dice"></select>
          <label class="check"><input type="checkbox" id="compare-bg"> background in</label>
          <select id="compare-preset" aria-label="B: a library's setting" title="B: set it to what a library computes"></select>
          <span class="compare-loss-label">loss</span><span id="compare-loss" class="compare-loss" data-testid="compare-loss"></span>
        </div>
      </section>
      <div id="grid-tools" class="grid-tools">
        <button type="button" id="paint-mode" class="btn paint-mode" data-testid="paint-mode" aria-pressed="false">✎ Paint</button>
        <button type="button" id="grid-undo" class="btn undo" data-testid="grid-undo" title="Undo (Ctrl+Z)">↶ Undo</button>
        <button type="button" id="grid-redo" class="btn undo" data-testid="grid-redo" title="Redo (Ctrl+Shift+Z)">↷ Redo</button>
        <p id="paint-hint" class="paint-hint" data-testid="paint-hint"><span class="paint-what"><span aria-hidden="true">✎</span> Paint <b>label y</b> and <b>prediction ỹ</b>: </span><span id="paint-how"></span></p>
      </div>
      <p id="folded-note" class="folded-note" data-testid="folded-note" hidden><span id="folded-text"></span> <button type="button" id="folded-toggle" class="btn small" data-testid="folded-toggle">Show it</button></p>
      <p id="rows-note" class="rows-note" data-testid="rows-note" hidden></p>
      <div id="grid" class="grid" role="group" aria-label="The batch: one row per image, for each class its label y, prediction ỹ and gradient"></div>
      <div id="grid-key" class="grid-key"></div>
    </div>
  </div>
  <section id="train-box" class="train-box" data-testid="train-box" hidden>
    <figure class="plot plot-train">
      <figcaption><h2>(d) Training: the loss and each cell's mean ỹ on its structure, against the step</h2></figcaption>
      <canvas id="plot-train" data-testid="plot-train" width="600" height="300" role="img" aria-label="The loss and each cell's mean prediction on its structure against the training step"></canvas>
      <div id="legend-train" class="plot-legend"></div>
    </figure>
  </section>
  <section id="sets-section" class="sets">
    <h2 id="sets-title">Reduction sets</h2>
    <div class="table-wrap"><table id="sets">
      <thead><tr>
        <th title="The reduction set">φ</th>
        <th title="The (image b, class c) cells summed in this set">cells</th>
        <th title="True volume V = Σ y (Σ y² when squared)">V</th>
        <th title="Predicted volume Ṽ = Σ ỹ (Σ ỹ² when squared)">Ṽ</th>
        <th title="Overlap X = Σ y·ỹ">X</th>
        <th title="Smoothed Dice sDSC = (2X + ε_nr)/(V + Ṽ + ε_dr)">sDSC</th>
        <th title="This set's term of the loss, 1 − sDSC">1 − sDSC</th>
        <th title="∂L/∂ỹ of every pixel with y = 1 in this set">∂L/∂ỹ on y = 1</th>
        <th title="∂L/∂ỹ of every pixel with y = 0 in this set">∂L/∂ỹ on y = 0</th>
        <th title="Why a value is missing, empty sets, floors">note</th>
      </tr></thead>
      <tbody id="sets-body"></tbody>
    </table></div>
  </section>
  <section id="yourdata" class="yourdata" data-testid="yourdata-panel" aria-labelledby="yourdata-title">
    <h2 id="yourdata-title">Your data</h2>
    <p class="explain-note" data-testid="yourdata-private">Your labels and predictions: two files (<code>.npy</code>, <code>.npz</code>, <code>.nii</code>, <code>.nii.gz</code>) or one <code>.npz</code> with <code>y</code> and <code>pred</code>. Predictions: probabilities in [0, 1], [B, C, H, W] or [B, C, D, H, W]; labels: 0/1 of that shape, or an integer class map with its class count. <strong>The files are read here, in your browser, by the <code>dice</code> command line's readers, and never sent anywhere</strong> (the page's security policy lets it connect to no other site).</p>
    <div id="yourdata-drop" class="yourdata-drop" data-testid="yourdata-drop">
      <label for="yourdata-files">Open files:</label>
      <input type="file" id="yourdata-files" class="yourdata-input" data-testid="yourdata-files" multiple accept=".npy,.npz,.nii,.gz">
      <span>or drop them here</span>
    </div>
    <div class="yourdata-picks">
      <label>class count of an integer label map <input type="number" id="yourdata-classes" data-testid="yourdata-classes" min="0" step="1" placeholder="none"></label>
      <label>first image shown <input type="number" id="yourdata-first" data-testid="yourdata-first" min="0" step="1" value="0"></label>
      <label id="yourdata-slice-label" hidden>slice <input type="number" id="yourdata-slice" data-testid="yourdata-slice" min="0" step="1" placeholder="middle"></label>
      <button type="button" id="yourdata-swap" class="btn small" data-testid="yourdata-swap" hidden>Swap labels and predictions</button>
    </div>
    <p id="yourdata-status" class="yourdata-status" data-testid="yourdata-status" role="status" aria-live="polite"></p>
    <ul id="yourdata-notes" class="yourdata-notes" data-testid="yourdata-notes"></ul>
    <p id="yourdata-link" class="explain-note" data-testid="yourdata-link" hidden>The page's link now holds the part of your data shown (after the #, which browsers send to no server): sharing the link shares that part.</p>
  </section>
  <section id="matrix" class="matrix" data-testid="matrix" aria-labelledby="matrix-title">
    <h2 id="matrix-title">What does my framework do with missing and empty labels?</h2>
    <p class="explain-note">The verdict on image 1's structure in the lessons' two-image scene (image 0 labelled), when its label is missing (the structure is there, unlabelled) and when it is empty (truly absent), under each library's own Dice. Wanted: almost no push for a missing label, pushed down for an empty one. The nnU-Net rows are its soft-Dice term only, with <code>batch_dice</code> as its planner sets it (True for 2d, and for 3d_fullres when a 3d_lowres cascade exists; False otherwise); its default loss adds cross-entropy (<code>DC_and_CE_loss</code>), as MONAI's <code>DiceCELoss</code> does, and the cross-entropy pushes any unlabelled structure towards background whatever Φ is. Click a verdict to open that page.</p>
    <div class="table-wrap"><table id="matrix-table">
      <thead><tr><th scope="col">setting</th><th scope="col">missing label</th><th scope="col">empty label</th></tr></thead>
      <tbody id="matrix-body"></tbody>
    </table></div>
    <div id="paste" class="paste" data-testid="paste-panel">
      <label for="paste-loss" class="paste-label">Paste your loss: a Dice loss call from MONAI, smp, Keras, kornia or nnU-Net, as in your training script</label>
      <textarea id="paste-loss" data-testid="paste-loss" rows="3" spellcheck="false" autocomplete="off" placeholder="monai.losses.DiceLoss(include_background=False, softmax=True, batch=True)"></textarea>
      <div class="paste-actions"><button type="button" id="paste-loss-apply" class="btn" data-testid="paste-loss-apply" title="Set the page to this loss">Apply to the page</button></div>
      <p id="paste-loss-status" class="paste-status" data-testid="paste-loss-status" role="status" aria-live="polite"></p>
      <div class="table-wrap"><table id="paste-verdicts" class="paste-verdicts" data-testid="paste-verdicts" hidden>
        <thead><tr><th scope="col">setting</th><th scope="col">missing label</th><th scope="col">empty label</th></tr></thead>
        <tbody id="paste-verdicts-body"></tbody>
      </table></div>
    </div>
  </section>
  <section id="explain" class="explain" aria-label="Why: the sets, the formula and ε">
    <div class="explain-top">
      <figure class="phi-figure">
        <figcaption><h2>The reduction sets Φ</h2></figcaption>
        <div id="phi-picture" class="phi-box" data-testid="phi-picture"></div>
        <p id="phi-caption" class="explain-note"></p>
      </figure>
      <figure class="formula-figure">
        <figcaption><h2>The formula, live</h2><div id="formula-title" class="explain-note"></div></figcaption>
        <div id="formula" class="formula" data-testid="formula" tabindex="0" role="region" aria-label="The formula with the numbers of the shown set"></div>
      </figure>
    </div>
    <div class="plots">
      <figure class="plot">
        <figcaption><h2>(a) The loss against ε, for every Φ</h2></figcaption>
        <canvas id="plot-loss-eps" data-testid="plot-loss-eps" width="600" height="396" role="img" aria-label="The loss against ε for all four Φ"></canvas>
        <div id="legend-loss" class="plot-legend"></div>
        <div class="plot-tools"><button type="button" class="btn small" data-export="png" data-plot="0" data-testid="export-plot-0-png" aria-label="Export plot (a) as PNG">PNG</button><button type="button" class="btn small" data-export="svg" data-plot="0" data-testid="export-plot-0-svg" aria-label="Export plot (a) as SVG">SVG</button></div>
        <p id="note-loss-eps" class="explain-note" data-testid="note-loss-eps" hidden></p>
        <p class="explain-note">Solid: the current Φ (the others faded; coinciding curves show as stripes); dots on the left: ε = 0; black line: the current ε. With ε → 0 an empty set scores about 0 (a term of 1), with a large ε about 1: the loss value moves while the gradient may not.</p>
      </figure>
      <figure class="plot">
        <figcaption><h2 id="plot-push-title">(b) The push on a false positive</h2></figcaption>
        <canvas id="plot-push-eps" data-testid="plot-push-eps" width="600" height="396" role="img" aria-label="The background push of the selected cell against ε for all four Φ"></canvas>
        <div id="legend-push" class="plot-legend"></div>
        <div class="plot-tools"><button type="button" class="btn small" data-export="png" data-plot="1" data-testid="export-plot-1-png" aria-label="Export plot (b) as PNG">PNG</button><button type="button" class="btn small" data-export="svg" data-plot="1" data-testid="export-plot-1-svg" aria-label="Export plot (b) as SVG">SVG</button></div>
        <p id="note-push-eps" class="explain-note" data-testid="note-push-eps" hidden></p>
        <p class="explain-note">The mean ∂DL/∂ỹ on the cell's y = 0 pixels: how hard gradient descent lowers a false positive there. If the cell's own set is empty, image-wise Φ gives almost nothing at small ε; sets that span the batch keep pushing.</p>
      </figure>
      <figure class="plot">
        <figcaption><h2>(c) The push on an empty set against its prediction Ṽ</h2></figcaption>
        <canvas id="plot-empty-push" data-testid="plot-empty-push" width="600" height="396" role="img" aria-label="The push on an empty set against its predicted volume for several ε"></canvas>
        <div id="legend-empty" class="plot-legend"></div>
        <div class="plot-tools"><button type="button" class="btn small" data-export="png" data-plot="2" data-testid="export-plot-2-png" aria-label="Export plot (c) as PNG">PNG</button><button type="button" class="btn small" data-export="svg" data-plot="2" data-testid="export-plot-2-svg" aria-label="Export plot (c) as SVG">SVG</button></div>
        <p id="note-empty-push" class="explain-note" data-testid="note-empty-push" hidden></p>
        <p class="explain-note">A set without foreground gets ε/(|Φ|·(Ṽ+ε)²) at every pixel: largest where ε = Ṽ, and vanishing as ε → 0 for any prediction Ṽ. The dot marks the selected set if it is empty.</p>
      </figure>
    </div>
  </section>
</main>"#;

/// Shows a fatal error as a red banner instead of a dead page.
pub fn show_fatal(msg: &str) {
    let Ok(doc) = dom::document() else { return };
    let banner = match doc.get_element_by_id("fatal") {
        Some(b) => b,
        None => {
            let Ok(b) = doc.create_element("div") else {
                return;
            };
            b.set_id("fatal");
            let _ = b.set_attribute("role", "alert");
            if let Some(body) = doc.body() {
                let _ = body.prepend_with_node_1(&b);
            }
            b
        }
    };
    banner.set_text_content(Some(&format!(
        "Something went wrong and the playground stopped: {msg} — reload the page to start again."
    )));
    if let Some(b) = banner.dyn_ref::<HtmlElement>() {
        b.set_hidden(false);
    }
    if let Some(body) = doc.body() {
        let _ = body.dataset().set("error", "true");
    }
}

pub struct Shell {
    body: HtmlElement,
    notice: HtmlElement,
    notice_text: HtmlElement,
    perf: Option<HtmlElement>,
    ready: bool,
}

impl Shell {
    /// Builds the skeleton into the body; `perf` adds the frame-time line.
    pub fn build(dispatch: &Dispatch, perf: bool) -> JsResult<Shell> {
        let doc = dom::document()?;
        let body = doc.body().ok_or_else(|| JsValue::from_str("no body"))?;
        let shell = dom::el("div", "app")?;
        shell.set_id("app");
        shell.set_inner_html(SKELETON);
        dom::append(&body, &shell)?;
        let perf = if perf {
            let p = dom::text_el("div", "perf", "…")?;
            p.set_id("perf");
            p.set_title("Compute and draw time of the last frame (performance.now)");
            dom::append(&body, &p)?;
            Some(p)
        } else {
            None
        };
        let close: HtmlElement = dom::need("notice-close")?;
        dispatch.on_click(&close, Msg::Page(PageMsg::DismissNotice));
        Ok(Shell {
            body,
            notice: dom::need("notice")?,
            notice_text: dom::need("notice-text")?,
            perf,
            ready: false,
        })
    }

    pub fn sync(&mut self, f: &Frame) {
        let (m, ch) = (f.model, f.change);
        if ch.page || ch.notice {
            match &m.feedback.notice {
                Some(n) => {
                    dom::set_text(&self.notice_text, &n.text);
                    dom::toggle_class(&self.notice, "error", n.error);
                    dom::set_hidden(&self.notice, false);
                }
                None => dom::set_hidden(&self.notice, true),
            }
        }
    }

    /// After the first frame is drawn: tests and the harness wait for this.
    pub fn mark_ready(&mut self) {
        if !self.ready {
            self.ready = true;
            dom::set_data(&self.body, "ready", "true");
        }
    }

    /// The frame-time line of `?perf`.
    pub fn perf(&self, compute: f64, draw: f64) {
        if let Some(p) = &self.perf {
            dom::set_text(p, &format!("compute {compute:.1} ms · draw {draw:.1} ms"));
        }
    }
}
