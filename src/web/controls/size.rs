//! The Size panel: B, C, H = W and the reset button.

use web_sys::{Element, HtmlSelectElement};

use crate::page::model::Model;
use crate::page::msg::{Msg, PageMsg};
use crate::page::state::{MAX_BATCH, MAX_CLASSES};
use crate::web::dispatch::Dispatch;
use crate::web::dom::{self, JsResult};

use super::widgets::{button, label_for, labelled, row, section, select, set_select};

/// Image sizes offered (H = W).
pub const SIZES: [usize; 8] = [8, 16, 24, 32, 48, 64, 96, 128];

pub struct SizePanel {
    size_b: HtmlSelectElement,
    size_c: HtmlSelectElement,
    size_n: HtmlSelectElement,
}

fn numbers(range: impl Iterator<Item = usize>) -> Vec<(String, String)> {
    range.map(|k| (k.to_string(), k.to_string())).collect()
}

/// Adds "n×n" to the size select, in order, unless it is there already (a link may hold
/// any H = W in 8–128).
fn add_size_option(select: &HtmlSelectElement, n: usize) {
    let value = n.to_string();
    let options = select.children();
    let mut before = None;
    for k in 0..options.length() {
        let Some(o) = options.item(k) else { continue };
        let v = o.get_attribute("value").unwrap_or_default();
        if v == value {
            return;
        }
        if before.is_none() && v.parse::<usize>().is_ok_and(|m| m > n) {
            before = Some(o);
        }
    }
    let Ok(o) = dom::text_el("option", "", &format!("{n}×{n}")) else {
        return;
    };
    dom::set_attr(&o, "value", &value);
    o.set_title("The size of the opened link");
    if select
        .insert_before(&o, before.as_ref().map(|b| b.as_ref()))
        .is_err()
    {
        dom::warn("could not offer the link's image size");
    }
}

impl SizePanel {
    pub fn build(root: &Element, d: &Dispatch) -> JsResult<SizePanel> {
        let sz = section(root, "Size", "Batch size B, classes C and image size H = W")?;
        let r = row(&sz, "sizes")?;
        let size_b_label = labelled(&r, "B", "Batch size: images in the batch")?;
        let (size_b, _) = select(
            &r,
            "size-b",
            "Batch size B (1–8): one row of the grid per image",
            &numbers(1..=MAX_BATCH),
        )?;
        let size_c_label = labelled(&r, "C", "Number of classes")?;
        let (size_c, _) = select(
            &r,
            "size-c",
            "Classes C (1–4): one column of the grid per class; with exclusive classes class 0 is the background",
            &numbers(1..=MAX_CLASSES),
        )?;
        let size_n_label = labelled(&r, "H=W", "Image size in pixels")?;
        let (size_n, _) = select(
            &r,
            "size-n",
            "Image size H = W in pixels (8–128)",
            &SIZES
                .iter()
                .map(|k| (k.to_string(), format!("{k}×{k}")))
                .collect::<Vec<_>>(),
        )?;
        label_for(&size_b_label, &size_b, "");
        label_for(&size_c_label, &size_c, "");
        label_for(&size_n_label, &size_n, "");
        for s in [&size_b, &size_c, &size_n] {
            let (sb, sc, sn) = (size_b.clone(), size_c.clone(), size_n.clone());
            d.on(s, "change", move |_| {
                Some(Msg::Page(PageMsg::Size {
                    b: sb.value().parse().ok()?,
                    c: sc.value().parse().ok()?,
                    n: sn.value().parse().ok()?,
                }))
            });
        }
        let r = row(&sz, "buttons")?;
        let reset = button(
            &r,
            "reset",
            "Reset example",
            "Back to the default example: 2 images × 2 classes at 32×32, MONAI's default settings",
        )?;
        d.on_click(&reset, Msg::Page(PageMsg::Reset));
        Ok(SizePanel {
            size_b,
            size_c,
            size_n,
        })
    }

    pub fn sync(&self, m: &Model) {
        let state = &m.state;
        if !SIZES.contains(&state.size()) {
            add_size_option(&self.size_n, state.size());
        }
        set_select(&self.size_b, &state.batch().to_string());
        set_select(&self.size_c, &state.classes().to_string());
        set_select(&self.size_n, &state.size().to_string());
    }
}
