//! The brush and helper settings (part of the page model, not of the link).

use crate::page::change::Change;
use crate::page::model::Model;
use crate::page::msg::ToolMsg;
use crate::page::tool::Tool;

pub fn update(m: &mut Model, msg: ToolMsg) -> Change {
    match msg {
        ToolMsg::LabelErase(on) => tool(m, |t| t.label_erase = on),
        ToolMsg::PredValue(v) => tool(m, |t| {
            t.pred_value = if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                1.0
            }
        }),
        ToolMsg::Radius(v) => tool(m, |t| {
            t.radius = if v.is_finite() {
                v.clamp(0.0, 64.0)
            } else {
                2.0
            }
        }),
        ToolMsg::SquareBrush(on) => tool(m, |t| t.square = on),
        ToolMsg::SoftEdge(on) => tool(m, |t| t.soft = on),
        ToolMsg::HelpersOnAll(on) => tool(m, |t| t.helper_all = on),
        ToolMsg::PaintMode(on) => tool(m, |t| t.paint_mode = on),
    }
}

fn tool(m: &mut Model, f: impl FnOnce(&mut Tool)) -> Change {
    let before = m.paint.tool.clone();
    f(&mut m.paint.tool);
    Change {
        tool: m.paint.tool != before,
        ..Change::none()
    }
}
