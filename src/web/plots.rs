//! The three plots of the explanation panel, drawn with plotters on canvases. The numbers come from
//! `curves` (unit-tested natively); this module only draws them. Titles and legends are
//! HTML next to the canvases (see `explain`), so the canvas holds only axes and curves
//! and its text stays at 16–18 px.

use plotters::backend::SVGBackend;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use super::plot_backend::PlotBackend;

use crate::engine::phi::Phi;
use crate::present::curves::{empty_set_push, eps_grid, v_pred_grid, Series};
use crate::present::format::{number as format_number, power_of_ten};
use crate::present::palette::{self, Rgb, EPS_CURVES};

type Area<'a> = DrawingArea<PlotBackend<'a>, Shift>;

/// Where a plot is drawn: the page's canvas, or SVG text of a given size (for export).
pub enum Target<'a> {
    Canvas(&'a HtmlCanvasElement),
    Svg(&'a mut String, (u32, u32)),
}

/// The frame every main chart shares: margins and room for the axis labels.
fn chart_frame<'b, 'a>(area: &'b Area<'a>) -> ChartBuilder<'b, 'b, PlotBackend<'a>> {
    let mut b = ChartBuilder::on(area);
    b.margin_top(12)
        .margin_bottom(8)
        .margin_right(16)
        .x_label_area_size(56)
        .y_label_area_size(72);
    b
}

/// A family, not its name: parsing the name would bring Unicode lowercasing (a 12 KB table).
const FONT: FontFamily<'static> = FontFamily::SansSerif;
const TICK_PX: u32 = 16;
const DESC_PX: u32 = 18;

/// A palette colour for plotters.
fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

fn phi_colour(phi: Phi) -> RGBColor {
    rgb(palette::phi(phi))
}

/// Line width per Φ: nested (I widest), so curves that coincide (e.g. I and CI with one
/// class in the loss) still show as stripes of both colours.
fn phi_width(phi: Phi) -> u32 {
    match phi {
        Phi::I => 9,
        Phi::CI => 6,
        Phi::BI => 4,
        Phi::BCI => 2,
    }
}

/// The current Φ is drawn solid, the others faded.
fn phi_style(phi: Phi, current: Phi) -> ShapeStyle {
    let c = phi_colour(phi);
    let colour = if phi == current {
        c.to_rgba()
    } else {
        c.mix(0.45)
    };
    colour.stroke_width(phi_width(phi))
}

fn area(target: Target<'_>) -> Result<Area<'_>, String> {
    let backend = match target {
        Target::Canvas(canvas) => PlotBackend::Canvas(
            CanvasBackend::with_canvas_object(canvas.clone())
                .ok_or("no 2-D context for the plot canvas")?,
        ),
        Target::Svg(buf, size) => PlotBackend::Svg(SVGBackend::with_string(buf, size)),
    };
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    Ok(root)
}

/// Clears a plot to white (nothing to show).
pub fn blank(canvas: &HtmlCanvasElement) -> Result<(), String> {
    area(Target::Canvas(canvas))?
        .present()
        .map_err(|e| e.to_string())
}

/// A log-axis tick: powers of ten as 10ⁿ, every `every`-th decade only (long axes crowd).
fn log_tick(v: f64, every: i32) -> String {
    if !(v > 0.0 && v.is_finite()) {
        return String::new();
    }
    let k = v.log10().round() as i32;
    if (v / 10f64.powi(k) - 1.0).abs() > 1e-6 {
        return String::new();
    }
    if k.rem_euclid(every) == 0 {
        power_of_ten(k)
    } else {
        String::new()
    }
}

/// Decades per labelled tick for a log range.
fn decade_step(lo: f64, hi: f64) -> i32 {
    let decades = (hi / lo).log10();
    if decades > 16.0 {
        4
    } else if decades > 7.0 {
        2
    } else {
        1
    }
}

/// Splits off a narrow panel on the left for the ε = 0 values.
fn with_zero_panel<'a>(root: &Area<'a>) -> (Area<'a>, Area<'a>) {
    let (w, _) = root.dim_in_pixel();
    root.split_horizontally((f64::from(w) * 0.13) as i32)
}

/// The ε = 0 panel: one dot per Φ at its value, or a cross at the bottom where the
/// value is 0 (on a log axis) or undefined.
fn zero_panel(
    panel: &Area<'_>,
    series: &[Series],
    y_range: (f64, f64),
    log: bool,
    current: Phi,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    // Same top/bottom margins as the main chart, so the y values line up.
    let mut chart = ChartBuilder::on(panel)
        .margin_top(12)
        .margin_bottom(8)
        .margin_left(4)
        .x_label_area_size(56)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(0)
        .x_desc("ε = 0")
        .axis_desc_style((FONT, DESC_PX))
        .draw()
        .map_err(err)?;
    // Positions in [0, 1] of the panel's height, on the main chart's scale.
    let pos = |v: f64| {
        if log {
            (v.ln() - y_range.0.ln()) / (y_range.1.ln() - y_range.0.ln())
        } else {
            (v - y_range.0) / (y_range.1 - y_range.0)
        }
    };
    for (k, s) in series.iter().enumerate() {
        let x = 0.2 + 0.2 * k as f64;
        let colour = phi_colour(s.phi);
        match s.at_zero.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
            Some(v) => {
                let size = if s.phi == current { 8 } else { 6 };
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (x, pos(v).clamp(0.0, 1.0)),
                        size,
                        colour.filled(),
                    )))
                    .map_err(err)?;
            }
            None => {
                chart
                    .draw_series(std::iter::once(Text::new(
                        "×",
                        (x - 0.06, 0.06),
                        (FONT, 22).into_font().color(&colour),
                    )))
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// The vertical line of the current ε.
fn eps_line(eps: f64) -> impl Fn(f64, f64) -> PathElement<(f64, f64)> {
    move |lo, hi| PathElement::new(vec![(eps, lo), (eps, hi)], BLACK.stroke_width(2))
}

/// Plot (a): the loss against ε (log axis) for all four Φ; current ε marked.
pub fn loss_vs_eps(
    target: Target<'_>,
    series: &[Series],
    eps: f64,
    current: Phi,
) -> Result<(), String> {
    let root = area(target)?;
    let (left, right) = with_zero_panel(&root);
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().chain(s.at_zero.iter()))
        .filter(|v| v.is_finite())
        .fold(1.0f64, |m, &v| m.max(v));
    let y_range = (0.0, top * 1.05);
    zero_panel(&left, series, y_range, false, current)?;
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let grid = eps_grid();
    let (x0, x1) = (grid[0], grid[grid.len() - 1]);
    let mut chart = chart_frame(&right)
        .build_cartesian_2d((x0..x1).log_scale(), y_range.0..y_range.1)
        .map_err(err)?;
    let step = decade_step(x0, x1);
    chart
        .configure_mesh()
        .x_desc("ε = ε_nr = ε_dr (pixels)")
        .y_desc("Dice loss")
        .axis_desc_style((FONT, DESC_PX))
        .label_style((FONT, TICK_PX))
        .x_label_formatter(&|v| log_tick(*v, step))
        .y_label_formatter(&|v| format_number(*v, 2))
        .light_line_style(RGBColor(236, 236, 236))
        .draw()
        .map_err(err)?;
    for s in series {
        chart
            .draw_series(LineSeries::new(
                grid.iter()
                    .zip(&s.values)
                    .filter_map(|(&x, v)| v.filter(|v| v.is_finite()).map(|v| (x, v))),
                phi_style(s.phi, current),
            ))
            .map_err(err)?;
    }
    if eps >= x0 && eps <= x1 {
        chart
            .draw_series(std::iter::once(eps_line(eps)(y_range.0, y_range.1)))
            .map_err(err)?;
    }
    root.present().map_err(err)
}

/// The decade range that holds all positive values of the series.
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| *v > 0.0 && v.is_finite())
        .fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi <= 0.0 {
        return (1e-12, 1.0);
    }
    let lo = lo.max(hi * 1e-18);
    let (lo, hi) = (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil()),
    );
    if hi / lo < 10.0 {
        (lo / 10.0, hi * 10.0)
    } else {
        (lo, hi)
    }
}

/// Plot (b): the selected cell's background push (mean ∂DL/∂ỹ over its y = 0 pixels)
/// against ε for each Φ.
pub fn push_vs_eps(
    target: Target<'_>,
    series: &[Series],
    eps: f64,
    current: Phi,
) -> Result<(), String> {
    let root = area(target)?;
    let (left, right) = with_zero_panel(&root);
    let y_range = log_range(
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten().chain(s.at_zero.iter()).copied()),
    );
    zero_panel(&left, series, y_range, true, current)?;
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let grid = eps_grid();
    let (x0, x1) = (grid[0], grid[grid.len() - 1]);
    let mut chart = chart_frame(&right)
        .build_cartesian_2d((x0..x1).log_scale(), (y_range.0..y_range.1).log_scale())
        .map_err(err)?;
    let (xs, ys) = (decade_step(x0, x1), decade_step(y_range.0, y_range.1));
    chart
        .configure_mesh()
        .x_desc("ε (pixels)")
        .y_desc("∂DL/∂ỹ on y = 0")
        .axis_desc_style((FONT, DESC_PX))
        .label_style((FONT, TICK_PX))
        .x_label_formatter(&|v| log_tick(*v, xs))
        .y_label_formatter(&|v| log_tick(*v, ys))
        .light_line_style(RGBColor(236, 236, 236))
        .draw()
        .map_err(err)?;
    for s in series {
        chart
            .draw_series(LineSeries::new(
                grid.iter().zip(&s.values).filter_map(|(&x, v)| {
                    v.filter(|v| *v > 0.0 && v.is_finite())
                        .map(|v| (x, v.max(y_range.0)))
                }),
                phi_style(s.phi, current),
            ))
            .map_err(err)?;
    }
    if eps >= x0 && eps <= x1 {
        chart
            .draw_series(std::iter::once(eps_line(eps)(y_range.0, y_range.1)))
            .map_err(err)?;
    }
    root.present().map_err(err)
}

/// The ε values of plot (c): fixed ones plus the current ε, each with its colour and
/// whether it is the current one (drawn black and thick).
pub fn empty_push_curves(eps: f64) -> Vec<(f64, Rgb, bool)> {
    let same = |a: f64, b: f64| a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs());
    let mut list: Vec<f64> = vec![1e-7, 1.0, 10.0, 100.0, 1000.0];
    if eps > 0.0 && !list.iter().any(|&e| same(e, eps)) {
        list.push(eps);
        list.sort_by(f64::total_cmp);
    }
    let mut k = 0;
    list.into_iter()
        .map(|e| {
            if eps > 0.0 && same(e, eps) {
                (e, Rgb(0, 0, 0), true)
            } else {
                let colour = EPS_CURVES[k % EPS_CURVES.len()];
                k += 1;
                (e, colour, false)
            }
        })
        .collect()
}

/// Plot (c): the push ε/(|Φ|·(Ṽ+ε)²) on an empty set against its predicted volume Ṽ, for
/// a few ε; the selected set marked when it is empty.
pub fn empty_push(
    target: Target<'_>,
    n_sets: usize,
    eps: f64,
    current: Option<f64>,
) -> Result<(), String> {
    let root = area(target)?;
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let grid = v_pred_grid();
    let (x0, x1) = (grid[0], grid[grid.len() - 1]);
    let curves = empty_push_curves(eps);
    let y_range = log_range(curves.iter().flat_map(|&(e, _, _)| {
        grid.iter()
            .filter_map(move |&v| empty_set_push(v, e, n_sets))
    }));
    let mut chart = chart_frame(&root)
        .build_cartesian_2d((x0..x1).log_scale(), (y_range.0..y_range.1).log_scale())
        .map_err(err)?;
    let ys = decade_step(y_range.0, y_range.1);
    chart
        .configure_mesh()
        .x_desc("predicted volume Ṽ of the set (pixels)")
        .y_desc("push ε/(|Φ|·(Ṽ+ε)²)")
        .axis_desc_style((FONT, DESC_PX))
        .label_style((FONT, TICK_PX))
        .x_label_formatter(&|v| log_tick(*v, 1))
        .y_label_formatter(&|v| log_tick(*v, ys))
        .light_line_style(RGBColor(236, 236, 236))
        .draw()
        .map_err(err)?;
    for &(e, colour, is_current) in &curves {
        chart
            .draw_series(LineSeries::new(
                grid.iter().filter_map(|&v| {
                    empty_set_push(v, e, n_sets)
                        .filter(|p| *p > 0.0)
                        .map(|p| (v, p.max(y_range.0)))
                }),
                rgb(colour).stroke_width(if is_current { 5 } else { 3 }),
            ))
            .map_err(err)?;
    }
    if let Some(v) = current.filter(|v| *v > 0.0) {
        if let Some(p) = empty_set_push(v, eps, n_sets).filter(|p| *p > 0.0) {
            let pt = (v.clamp(x0, x1), p.clamp(y_range.0, y_range.1));
            chart
                .draw_series(std::iter::once(Circle::new(pt, 9, BLACK.filled())))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Circle::new(pt, 13, BLACK.stroke_width(2))))
                .map_err(err)?;
        }
    }
    root.present().map_err(err)
}

/// One curve of plot (d): its points (step, value) and its colour.
pub struct TrainCurve {
    pub points: Vec<(f64, f64)>,
    pub colour: Rgb,
    /// The loss: drawn black and thick.
    pub loss: bool,
}

/// Plot (d): the loss and each cell's mean ỹ on its object against the training step.
pub fn train_curves(target: Target<'_>, curves: &[TrainCurve], last: f64) -> Result<(), String> {
    let root = area(target)?;
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let x1 = last.max(1.0);
    let mut chart = chart_frame(&root)
        .build_cartesian_2d(0.0..x1, 0.0..1.02)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("training step")
        .y_desc("loss, mean ỹ")
        .axis_desc_style((FONT, DESC_PX))
        .label_style((FONT, TICK_PX))
        .x_label_formatter(&|v| format_number(*v, 3))
        .y_label_formatter(&|v| format_number(*v, 2))
        .light_line_style(RGBColor(236, 236, 236))
        .draw()
        .map_err(err)?;
    for c in curves {
        let style = if c.loss {
            BLACK.stroke_width(4)
        } else {
            rgb(c.colour).stroke_width(3)
        };
        chart
            .draw_series(LineSeries::new(
                c.points.iter().copied().filter(|(_, v)| v.is_finite()),
                style,
            ))
            .map_err(err)?;
    }
    root.present().map_err(err)
}
