//! Export for slides and sharing: the grid (with its headers, badges, reasons and the
//! legend) and each plot as SVG or as PNG at twice the screen's size, the page's link and
//! an embed code (an `<iframe>` sized to the page). The buttons send
//! `Msg::Screen(ScreenMsg::Export(…))`; the work is done here once per request
//! (`Model::screen.request`), from the model, the derived data and the pixels the views
//! show.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, HtmlElement, HtmlImageElement, HtmlInputElement,
};

use crate::page::derived::Derived;
use crate::page::layout::{columns, embed_size, folded_note};
use crate::page::model::Model;
use crate::page::msg::{ExportKind, Msg, ScreenMsg};
use crate::page::route;
use crate::present::colormap;
use crate::present::figure::{self, esc, Figure, FigureCell, FigureLegend};
use crate::present::palette;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::explain::plot_svg;
use super::Frame;

/// Exported PNGs are drawn at this many pixels per CSS pixel.
const PNG_SCALE: f64 = 2.0;

pub struct Export {
    status: HtmlElement,
    copied: HtmlInputElement,
    /// The last request done.
    done: u32,
}

fn button(
    parent: &HtmlElement,
    id: &str,
    text: &str,
    tip: &str,
    msg: Msg,
    d: &Dispatch,
) -> JsResult<()> {
    let b = dom::text_el("button", "btn", text)?;
    dom::set_attr(&b, "type", "button");
    dom::set_attr(&b, "data-testid", id);
    b.set_id(id);
    b.set_title(tip);
    d.on_click(&b, msg);
    dom::append(parent, &b)
}

impl Export {
    /// Adds the Share & export panel at the end of the control panel and wires the plots'
    /// PNG/SVG buttons.
    pub fn build(d: &Dispatch) -> JsResult<Export> {
        let panel = dom::el("section", "panel share")?;
        panel.set_id("share-panel");
        let h = dom::text_el("h2", "", "Share & export")?;
        dom::append(&panel, &h)?;
        let r = dom::el("div", "row buttons")?;
        dom::append(&panel, &r)?;
        button(&r, "export-grid-png", "Grid as PNG (2×)", "The grid with its headers, badges, reasons and the colour legend, as a PNG image at twice the screen's resolution, for slides", Msg::Screen(ScreenMsg::Export(ExportKind::GridPng)), d)?;
        button(&r, "export-grid-svg", "Grid as SVG", "The grid with its headers, badges, reasons and the colour legend, as a vector image (SVG)", Msg::Screen(ScreenMsg::Export(ExportKind::GridSvg)), d)?;
        let r = dom::el("div", "row buttons")?;
        dom::append(&panel, &r)?;
        button(
            &r,
            "copy-link",
            "Copy link",
            "Copy a link that opens this page exactly as it is",
            Msg::Screen(ScreenMsg::Export(ExportKind::CopyLink)),
            d,
        )?;
        button(&r, "copy-embed", "Copy embed code", "Copy an <iframe> that shows this page as an embed (lesson text, loss and grid), sized to fit it", Msg::Screen(ScreenMsg::Export(ExportKind::CopyEmbed)), d)?;
        let copied: HtmlInputElement = dom::el("input", "num copied")?
            .dyn_into()
            .map_err(|_| JsValue::from_str("input"))?;
        copied.set_type("text");
        copied.set_read_only(true);
        copied.set_id("copied-text");
        dom::set_attr(&copied, "data-testid", "copied-text");
        dom::set_attr(
            &copied,
            "aria-label",
            "The text last copied (select it to copy it by hand)",
        );
        copied.set_hidden(true);
        dom::append(&panel, &copied)?;
        let status = dom::el("div", "note export-status")?;
        dom::set_attr(&status, "role", "status");
        dom::set_attr(&status, "data-testid", "export-status");
        dom::append(&panel, &status)?;
        let controls: HtmlElement =
            dom::by_id("controls").ok_or_else(|| JsValue::from_str("no #controls"))?;
        dom::append(&controls, &panel)?;
        let explain: HtmlElement =
            dom::by_id("explain").ok_or_else(|| JsValue::from_str("no #explain"))?;
        d.on(&explain, "click", |ev| {
            let t: web_sys::Element = ev.target()?.dyn_into().ok()?;
            let b = t.closest("[data-export]").ok()??;
            let k: u8 = b.get_attribute("data-plot")?.parse().ok()?;
            Some(Msg::Screen(ScreenMsg::Export(
                match b.get_attribute("data-export")?.as_str() {
                    "svg" => ExportKind::PlotSvg(k),
                    _ => ExportKind::PlotPng(k),
                },
            )))
        });
        Ok(Export {
            status,
            copied,
            done: 0,
        })
    }

    pub fn sync(&mut self, f: &Frame) {
        let Some(req) = f.model.screen.request else {
            return;
        };
        if !f.change.export || req.seq == self.done {
            return;
        }
        self.done = req.seq;
        if let Err(e) = self.run(req.kind, f.model, f.derived) {
            let msg = e.as_string().unwrap_or_else(|| format!("{e:?}"));
            dom::set_text(&self.status, &format!("Could not export: {msg}"));
        }
    }

    fn run(&self, kind: ExportKind, m: &Model, d: &Derived) -> JsResult<()> {
        let name = file_stem(m);
        match kind {
            ExportKind::GridSvg => {
                let svg = figure::grid_svg(&grid_figure(m, d)?);
                download(&svg_url(&svg), &format!("{name}-grid.svg"))?;
                dom::set_text(&self.status, "Saved the grid as SVG.");
            }
            ExportKind::GridPng => {
                let svg = figure::grid_svg(&grid_figure(m, d)?);
                png_from_svg(svg, format!("{name}-grid.png"), self.status.clone())?;
            }
            ExportKind::PlotSvg(k) | ExportKind::PlotPng(k) => {
                let svg = plot_figure(k, m, d)?;
                let file = format!("{name}-plot-{}", ['a', 'b', 'c'][usize::from(k.min(2))]);
                if matches!(kind, ExportKind::PlotSvg(_)) {
                    download(&svg_url(&svg), &format!("{file}.svg"))?;
                    dom::set_text(&self.status, "Saved the plot as SVG.");
                } else {
                    png_from_svg(svg, format!("{file}.png"), self.status.clone())?;
                }
            }
            ExportKind::CopyLink => {
                let url = format!("{}{}", page_base(), m.link());
                self.copy(url, "the link");
            }
            ExportKind::CopyEmbed => self.copy(embed_code(m), "the embed code"),
        }
        Ok(())
    }

    /// Puts `text` on the clipboard and in the read-only field (to copy by hand if the
    /// browser refuses), and says which happened.
    fn copy(&self, text: String, what: &'static str) {
        self.copied.set_value(&text);
        dom::set_hidden(&self.copied, false);
        let status = self.status.clone();
        let Some(clip) = dom::window().ok().map(|w| w.navigator().clipboard()) else {
            dom::set_text(&status, &format!("Select {what} below and copy it."));
            return;
        };
        let ok_status = status.clone();
        let ok = Closure::once(move |_: JsValue| {
            dom::set_text(&ok_status, &format!("Copied {what}."));
        });
        let err = Closure::once(move |_: JsValue| {
            dom::set_text(
                &status,
                &format!("The browser did not allow copying: select {what} below and copy it."),
            );
        });
        let _ = clip.write_text(&text).then2(&ok, &err);
        ok.forget();
        err.forget();
    }
}

/// The page's address without its hash.
fn page_base() -> String {
    dom::window()
        .ok()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('#').next().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// An `<iframe>` that shows this page as an embed, sized for its images.
fn embed_code(m: &Model) -> String {
    let mut s = m.state.clone();
    s.mode.embed = true;
    s.mode.present = false;
    let lesson = m
        .lesson
        .open
        .as_ref()
        .map(|l| (l.scenario().name, &l.scene));
    let link = route::link_with_scene(&s, lesson);
    let (w, h) = embed_size(s.batch());
    let title = m
        .lesson
        .open
        .as_ref()
        .map_or("Dice Loss Playground".to_string(), |l| {
            format!("Dice Loss Playground: {}", l.scenario().title)
        });
    format!(
        "<iframe src=\"{}{}\" width=\"{w}\" height=\"{h}\" title=\"{}\" style=\"border:0\" loading=\"lazy\"></iframe>",
        esc(&page_base()),
        esc(&link),
        esc(&title)
    )
}

/// A file name from the lesson (or "dice-playground").
fn file_stem(m: &Model) -> String {
    m.lesson
        .open
        .as_ref()
        .map_or("dice-playground".to_string(), |l| {
            format!("dice-{}", l.scenario().name)
        })
}

fn svg_url(svg: &str) -> String {
    format!(
        "data:image/svg+xml;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(svg))
    )
}

/// Saves `href` as a file called `name`.
fn download(href: &str, name: &str) -> JsResult<()> {
    let doc = dom::document()?;
    let a = doc.create_element("a")?;
    a.set_attribute("href", href)?;
    a.set_attribute("download", name)?;
    let body = doc.body().ok_or_else(|| JsValue::from_str("no body"))?;
    body.append_child(&a)?;
    if let Some(a) = a.dyn_ref::<HtmlElement>() {
        a.click();
    }
    a.remove();
    Ok(())
}

/// Draws an SVG at `PNG_SCALE`× onto a canvas once it has loaded as an image, and saves
/// the PNG.
fn png_from_svg(svg: String, name: String, status: HtmlElement) -> JsResult<()> {
    let (w, h) =
        figure::size_of(&svg).ok_or_else(|| JsValue::from_str("the figure has no size"))?;
    let img = HtmlImageElement::new()?;
    let done = img.clone();
    let onload = Closure::once(move |_: JsValue| {
        let draw = || -> JsResult<()> {
            let canvas: HtmlCanvasElement = dom::document()?
                .create_element("canvas")?
                .dyn_into()
                .map_err(|_| JsValue::from_str("canvas"))?;
            canvas.set_width((w * PNG_SCALE).ceil() as u32);
            canvas.set_height((h * PNG_SCALE).ceil() as u32);
            let ctx: CanvasRenderingContext2d = canvas
                .get_context("2d")?
                .ok_or_else(|| JsValue::from_str("no 2d context"))?
                .dyn_into()
                .map_err(|_| JsValue::from_str("2d context"))?;
            ctx.set_image_smoothing_enabled(false);
            ctx.draw_image_with_html_image_element_and_dw_and_dh(
                &done,
                0.0,
                0.0,
                w * PNG_SCALE,
                h * PNG_SCALE,
            )?;
            download(&canvas.to_data_url_with_type("image/png")?, &name)
        };
        match draw() {
            Ok(()) => dom::set_text(
                &status,
                &format!(
                    "Saved {name} ({}×{} pixels).",
                    (w * PNG_SCALE) as u32,
                    (h * PNG_SCALE) as u32
                ),
            ),
            Err(e) => dom::set_text(&status, &format!("Could not draw the PNG: {e:?}")),
        }
    });
    img.set_onload(Some(onload.as_ref().unchecked_ref()));
    onload.forget();
    img.set_src(&svg_url(&svg));
    Ok(())
}

/// The RGBA pixels a view's canvas shows.
fn canvas_pixels(testid: &str, n: usize) -> Vec<colormap::Rgba> {
    let read = || -> Option<Vec<colormap::Rgba>> {
        let doc = dom::document().ok()?;
        let c: HtmlCanvasElement = doc
            .query_selector(&format!("[data-testid=\"{testid}\"]"))
            .ok()??
            .dyn_into()
            .ok()?;
        let ctx: CanvasRenderingContext2d = c.get_context("2d").ok()??.dyn_into().ok()?;
        let data = ctx
            .get_image_data(0.0, 0.0, n as f64, n as f64)
            .ok()?
            .data();
        Some(
            data.chunks_exact(4)
                .map(|p| [p[0], p[1], p[2], p[3]])
                .collect(),
        )
    };
    read().unwrap_or_default()
}

/// Text of the first element matching `selector` (empty if none).
fn text_of(selector: &str) -> String {
    dom::document()
        .ok()
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|e| e.text_content())
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The grid as the page shows it, as a figure.
fn grid_figure(m: &Model, d: &Derived) -> JsResult<Figure> {
    let s = &m.state;
    let n = s.size();
    let eval = d.eval.as_ref().ok();
    let cols = columns(m, eval);
    let shown = d.shown_grad(m);
    let logits = shown.as_ref().is_some_and(|g| g.logits);
    let mut cells = Vec::new();
    for b in 0..s.batch() {
        for c in (0..s.classes()).filter(|&c| cols.shown[c]) {
            let status = s.status[(b, c)];
            let verdict = d.verdicts.get((b, c)).copied().flatten();
            let in_loss = eval.is_some_and(|e| e.cell_set.get((b, c)).copied().flatten().is_some());
            let sign = match &shown {
                Some(g) if in_loss && !g.undefined.get((b, c)).copied().unwrap_or(true) => {
                    colormap::signs(g.values.slice(ndarray::s![b, c, .., ..]))
                }
                _ => Vec::new(),
            };
            let hidden = if status == crate::engine::status::LabelStatus::Missing {
                s.labels
                    .slice(ndarray::s![b, c, .., ..])
                    .iter()
                    .map(|&v| v >= 0.5)
                    .collect()
            } else {
                Vec::new()
            };
            cells.push(FigureCell {
                b,
                c,
                status: status.words().to_string(),
                views: [
                    canvas_pixels(&format!("label-{b}-{c}"), n),
                    canvas_pixels(&format!("pred-{b}-{c}"), n),
                    canvas_pixels(&format!("grad-{b}-{c}"), n),
                ],
                sign,
                hidden,
                badge: verdict.map(|v| (v.badge(), v.correct)),
                reason: verdict.map_or(
                    "not in the loss: no gradient, no verdict".to_string(),
                    |v| v.reason(status),
                ),
                caption: text_of(&format!("[data-cell=\"{b}-{c}\"] .caption")),
            });
        }
    }
    let columns_named = (0..s.classes())
        .filter(|&c| cols.shown[c])
        .map(|c| {
            (
                c,
                if c == 0 && s.exclusive {
                    "class 0 (background)".to_string()
                } else {
                    format!("class {c}")
                },
            )
        })
        .collect();
    let title = m
        .lesson
        .open
        .as_ref()
        .map_or("Dice Loss Playground".to_string(), |l| {
            l.scenario().title.to_string()
        });
    let st = &s.settings;
    let loss = format!(
        "{} DL_{} ({}) = {} · {}",
        if st.jaccard {
            "Jaccard loss"
        } else {
            "Dice loss"
        },
        st.phi.code(),
        st.phi.wise_name(),
        text_of("#loss-value"),
        text_of("#loss-sub")
    );
    let d_name = if logits { "∂L/∂z" } else { "∂L/∂ỹ" };
    Ok(Figure {
        title,
        loss,
        n,
        columns: columns_named,
        rows: (0..s.batch()).collect(),
        heads: [
            "label y".to_string(),
            "prediction ỹ".to_string(),
            format!("gradient {d_name}"),
        ],
        cells,
        note: folded_note(&cols.folded, s.exclusive),
        legend: FigureLegend {
            ramp: (0..128)
                .map(|k| colormap::diverging(-1.0 + 2.0 * (f64::from(k) + 0.5) / 128.0))
                .collect(),
            ticks: d.shared.ticks(),
            // The words without the glyph (the figure draws its own).
            neg: text_of(".legend-neg")
                .trim_start_matches('−')
                .trim()
                .to_string(),
            pos: text_of(".legend-pos")
                .trim_start_matches('+')
                .trim()
                .to_string(),
            note: text_of(".legend-note"),
        },
    })
}

/// Plot `k` with its title and legend around the curves, as SVG.
fn plot_figure(k: u8, m: &Model, d: &Derived) -> JsResult<String> {
    let k = k.min(2);
    let ids = [
        ("plot-loss-eps", "legend-loss"),
        ("plot-push-eps", "legend-push"),
        ("plot-empty-push", "legend-empty"),
    ][usize::from(k)];
    let canvas: HtmlCanvasElement =
        dom::by_id(ids.0).ok_or_else(|| JsValue::from_str("no plot canvas"))?;
    let (w, h) = (canvas.width().max(420), canvas.height().max(280));
    let inner = plot_svg(k, m, d, (w, h)).map_err(|e| JsValue::from_str(&e))?;
    let title = dom::by_id::<HtmlElement>(ids.0)
        .and_then(|c| c.closest("figure").ok().flatten())
        .and_then(|f| f.query_selector("figcaption h2").ok().flatten())
        .and_then(|t| t.text_content())
        .unwrap_or_default();
    // The legend entries: (colour, words).
    let mut keys: Vec<(String, String)> = Vec::new();
    if k < 2 {
        for p in crate::engine::phi::Phi::ALL {
            keys.push((
                palette::phi(p).hex(),
                format!("Φ = {} ({})", p.code(), p.wise_name()),
            ));
        }
        keys.push(("#000000".into(), "current ε".into()));
    } else {
        for (e, colour, current) in super::plots::empty_push_curves(m.state.settings.eps_nr) {
            keys.push((
                colour.hex(),
                format!(
                    "ε = {}{}",
                    crate::present::format::number(e, 3),
                    if current { " (current)" } else { "" }
                ),
            ));
        }
    }
    let top = 40.0;
    let legend_h = 30.0 * keys.len().div_ceil(2) as f64 + 10.0;
    let (fw, fh) = (f64::from(w) + 20.0, top + f64::from(h) + legend_h);
    let mut o = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{fw}\" height=\"{fh}\" viewBox=\"0 0 {fw} {fh}\" font-family=\"system-ui, 'DejaVu Sans', Arial, sans-serif\"><rect width=\"{fw}\" height=\"{fh}\" fill=\"#fff\"/><text x=\"10\" y=\"26\" font-size=\"19\" font-weight=\"700\">{}</text>",
        esc(&title)
    );
    // The plot's own SVG, placed under the title.
    let inner = inner.replacen("<svg ", &format!("<svg x=\"10\" y=\"{top}\" "), 1);
    o.push_str(&inner);
    for (i, (colour, words)) in keys.iter().enumerate() {
        let x = 14.0 + (i % 2) as f64 * (f64::from(w) / 2.0);
        let y = top + f64::from(h) + 22.0 + (i / 2) as f64 * 30.0;
        o.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"26\" height=\"6\" rx=\"2\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{y:.1}\" font-size=\"15\">{}</text>",
            y - 8.0,
            x + 34.0,
            esc(words)
        ));
    }
    o.push_str("</svg>");
    Ok(o)
}
