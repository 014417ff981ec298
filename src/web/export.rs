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
use crate::page::figure::grid_figure;
use crate::page::layout::embed_snippet;
use crate::page::model::Model;
use crate::page::msg::{ExportKind, Msg, ScreenMsg};
use crate::page::route;
use crate::present::figure::{self, esc};
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

/// An export button (its id is its test id too) that sends `msg`.
fn export_button(
    parent: &HtmlElement,
    id: &str,
    text: &str,
    tip: &str,
    msg: Msg,
    dispatch: &Dispatch,
) -> JsResult<()> {
    let b = dom::button(parent, id, text, tip)?;
    dom::set_attr(&b, "data-testid", id);
    dispatch.on_click(&b, msg);
    Ok(())
}

impl Export {
    /// Adds the Share & export panel at the end of the control panel and wires the plots'
    /// PNG/SVG buttons.
    pub fn build(dispatch: &Dispatch) -> JsResult<Export> {
        let panel = dom::el("section", "panel share")?;
        panel.set_id("share-panel");
        let h = dom::text_el("h2", "", "Share & export")?;
        dom::append(&panel, &h)?;
        let r = dom::el("div", "row buttons")?;
        dom::append(&panel, &r)?;
        export_button(&r, "export-grid-png", "Grid as PNG (2×)", "The grid with its headers, badges, reasons and the colour legend, as a PNG image at twice the screen's resolution, for slides", Msg::Screen(ScreenMsg::Export(ExportKind::GridPng)), dispatch)?;
        export_button(&r, "export-grid-svg", "Grid as SVG", "The grid with its headers, badges, reasons and the colour legend, as a vector image (SVG)", Msg::Screen(ScreenMsg::Export(ExportKind::GridSvg)), dispatch)?;
        let r = dom::el("div", "row buttons")?;
        dom::append(&panel, &r)?;
        export_button(
            &r,
            "copy-link",
            "Copy link",
            "Copy a link that opens this page exactly as it is",
            Msg::Screen(ScreenMsg::Export(ExportKind::CopyLink)),
            dispatch,
        )?;
        export_button(&r, "copy-embed", "Copy embed code", "Copy an <iframe> that shows this page as an embed (the grid, the lesson text and the loss), as wide as the blog's column up to 800 px", Msg::Screen(ScreenMsg::Export(ExportKind::CopyEmbed)), dispatch)?;
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
        dispatch.on(&explain, "click", |ev| {
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

    fn run(&self, kind: ExportKind, m: &Model, derived: &Derived) -> JsResult<()> {
        let name = file_stem(m);
        match kind {
            ExportKind::GridSvg => {
                let svg = figure::grid_svg(&grid_figure(m, derived));
                download(&svg_url(&svg), &format!("{name}-grid.svg"))?;
                dom::set_text(&self.status, "Saved the grid as SVG.");
            }
            ExportKind::GridPng => {
                let svg = figure::grid_svg(&grid_figure(m, derived));
                png_from_svg(svg, format!("{name}-grid.png"), self.status.clone())?;
            }
            ExportKind::PlotSvg(k) | ExportKind::PlotPng(k) => {
                let svg = plot_figure(k, m, derived)?;
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
            ExportKind::ExperimentCsv => {
                let csv = m.experiment.csv();
                let href = format!(
                    "data:text/csv;charset=utf-8,{}",
                    String::from(js_sys::encode_uri_component(&csv))
                );
                download(&href, "dice-experiment.csv")?;
                dom::set_text(&self.status, "Saved the experiment's table as CSV.");
            }
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

/// An `<iframe>` that shows this page as an embed, as wide as the blog's column.
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
    let title = m
        .lesson
        .open
        .as_ref()
        .map_or("Dice Loss Playground".to_string(), |l| {
            format!("Dice Loss Playground: {}", l.scenario().title)
        });
    embed_snippet(&format!("{}{link}", page_base()), &title, s.batch())
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

/// Plot `k` with its title and legend around the curves, as SVG.
fn plot_figure(k: u8, m: &Model, derived: &Derived) -> JsResult<String> {
    let k = k.min(2);
    let ids = [
        ("plot-loss-eps", "legend-loss"),
        ("plot-push-eps", "legend-push"),
        ("plot-empty-push", "legend-empty"),
    ][usize::from(k)];
    let canvas: HtmlCanvasElement =
        dom::by_id(ids.0).ok_or_else(|| JsValue::from_str("no plot canvas"))?;
    let (w, h) = (canvas.width().max(420), canvas.height().max(280));
    let inner = plot_svg(k, m, derived, (w, h)).map_err(|e| JsValue::from_str(&e))?;
    let title = crate::present::readout::plot_title(k, derived.focus_cell(m));
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
