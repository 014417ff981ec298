//! The grid as a figure for slides: an SVG with the title, the loss, the column headers,
//! every shown cell's three views (the pixels as merged rectangles), its label status,
//! verdict badge and reason, the hidden truth of a missing label outlined on all three
//! views, the gradient's sign as + / − glyphs (readable in greyscale) and the colour
//! legend. Pure: the browser hands in the pixels it shows and saves the text (or draws it
//! at 2× for a PNG).

use crate::present::colormap::Rgba;

/// One cell of the figure.
pub struct FigureCell {
    pub b: usize,
    pub c: usize,
    /// "annotated", "missing label", "empty (absent)".
    pub status: String,
    /// n×n pixels of each view, row-major, as on screen.
    pub views: [Vec<Rgba>; 3],
    /// Per pixel: the sign of the gradient shown (−1, 0, +1); empty when it has none.
    pub sign: Vec<i8>,
    /// A missing label's hidden truth, per pixel (empty when not missing).
    pub hidden: Vec<bool>,
    /// The badge's text and whether it is right; `None` for a cell not in the loss.
    pub badge: Option<(String, bool)>,
    pub reason: String,
    pub caption: String,
}

/// The legend under the grid.
pub struct FigureLegend {
    /// The diverging ramp from −1 to +1, left to right.
    pub ramp: Vec<Rgba>,
    /// (position in [−1, 1], label).
    pub ticks: Vec<(f64, String)>,
    pub neg: String,
    pub pos: String,
    pub note: String,
}

pub struct Figure {
    pub title: String,
    pub loss: String,
    pub n: usize,
    /// The shown class columns: (class, name).
    pub columns: Vec<(usize, String)>,
    /// The image rows.
    pub rows: Vec<usize>,
    /// The three views' headers.
    pub heads: [String; 3],
    pub cells: Vec<FigureCell>,
    /// A line under the grid (the folded columns), if any.
    pub note: Option<String>,
    pub legend: FigureLegend,
}

/// Size of one view in the figure (SVG px).
const VIEW: f64 = 150.0;
const GAP: f64 = 5.0;
const PAD: f64 = 8.0;
const ROW_HEAD: f64 = 30.0;
const HEAD_H: f64 = 30.0;
const REASON_H: f64 = 20.0;
const CAPTION_H: f64 = 20.0;
const FONT: &str = "system-ui, 'DejaVu Sans', Arial, sans-serif";

/// XML text escapes (the figures' SVG and the page's HTML text and attributes).
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn hex(c: Rgba) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// The pixels of one view as rectangles: runs of equal colour merged along each row, so a
/// flat region costs a few elements per row.
fn pixels(out: &mut String, px: &[Rgba], n: usize, x: f64, y: f64) {
    let s = VIEW / n as f64;
    out.push_str(&format!(
        "<g transform=\"translate({x:.2} {y:.2}) scale({s:.5})\" shape-rendering=\"crispEdges\">"
    ));
    for i in 0..n {
        let row = &px[i * n..(i + 1) * n];
        let mut j = 0;
        while j < n {
            let c = row[j];
            let mut k = j + 1;
            while k < n && row[k] == c {
                k += 1;
            }
            out.push_str(&format!(
                "<rect x=\"{j}\" y=\"{i}\" width=\"{}\" height=\"1\" fill=\"{}\"/>",
                k - j,
                hex(c)
            ));
            j = k;
        }
    }
    out.push_str("</g>");
}

/// Runs of pixels with sign `want`, filled with that sign's glyph pattern.
fn glyphs(out: &mut String, sign: &[i8], want: i8, n: usize, x: f64, y: f64) {
    let s = VIEW / n as f64;
    let id = if want > 0 { "plus" } else { "minus" };
    let mut d = String::new();
    for i in 0..n {
        let mut j = 0;
        while j < n {
            if sign[i * n + j] != want {
                j += 1;
                continue;
            }
            let mut k = j + 1;
            while k < n && sign[i * n + k] == want {
                k += 1;
            }
            d.push_str(&format!(
                "M{:.2} {:.2}h{:.2}v{:.2}h-{:.2}z",
                x + j as f64 * s,
                y + i as f64 * s,
                (k - j) as f64 * s,
                s,
                (k - j) as f64 * s
            ));
            j = k;
        }
    }
    if !d.is_empty() {
        out.push_str(&format!("<path d=\"{d}\" fill=\"url(#{id})\"/>"));
    }
}

/// The boundary of a hidden structure: the edges between its pixels and the others.
fn outline(out: &mut String, hidden: &[bool], n: usize, x: f64, y: f64) {
    let s = VIEW / n as f64;
    let on = |i: isize, j: isize| {
        i >= 0
            && j >= 0
            && (i as usize) < n
            && (j as usize) < n
            && hidden[i as usize * n + j as usize]
    };
    let mut d = String::new();
    for i in 0..n as isize {
        for j in 0..n as isize {
            if !on(i, j) {
                continue;
            }
            let (px, py) = (x + j as f64 * s, y + i as f64 * s);
            if !on(i - 1, j) {
                d.push_str(&format!("M{px:.2} {py:.2}h{s:.2}"));
            }
            if !on(i + 1, j) {
                d.push_str(&format!("M{px:.2} {:.2}h{s:.2}", py + s));
            }
            if !on(i, j - 1) {
                d.push_str(&format!("M{px:.2} {py:.2}v{s:.2}"));
            }
            if !on(i, j + 1) {
                d.push_str(&format!("M{:.2} {py:.2}v{s:.2}", px + s));
            }
        }
    }
    if !d.is_empty() {
        out.push_str(&format!(
            "<path d=\"{d}\" fill=\"none\" stroke=\"#fff\" stroke-width=\"4\" stroke-linecap=\"square\"/><path d=\"{d}\" fill=\"none\" stroke=\"#583caa\" stroke-width=\"2\" stroke-dasharray=\"5 3\" stroke-linecap=\"square\"/>"
        ));
    }
}

fn text(out: &mut String, x: f64, y: f64, size: f64, extra: &str, s: &str) {
    out.push_str(&format!(
        "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size}\" {extra}>{}</text>",
        esc(s)
    ));
}

/// A rough width of `s` at `size` px (for badges and the figure's width).
fn width_of(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.58
}

/// The figure as SVG text.
pub fn grid_svg(f: &Figure) -> String {
    let cell_w = 3.0 * VIEW + 2.0 * GAP + 2.0 * PAD;
    let cell_h = HEAD_H + VIEW + REASON_H + CAPTION_H + 2.0 * PAD;
    let top = 78.0;
    let col_head = 46.0;
    let grid_w = ROW_HEAD + f.columns.len() as f64 * (cell_w + GAP);
    let width = (grid_w + 20.0)
        .max(width_of(&f.title, 22.0) + 40.0)
        .max(width_of(&f.loss, 17.0) + 40.0)
        .max(640.0)
        .ceil();
    let note_lines = wrap(&f.legend.note, ((width - 48.0) / (12.5 * 0.55)) as usize);
    let grid_bottom = top + col_head + f.rows.len() as f64 * (cell_h + GAP);
    let note_h = if f.note.is_some() { 26.0 } else { 0.0 };
    let legend_y = grid_bottom + note_h + 10.0;
    let height = (legend_y + 108.0 + 16.0 * note_lines.len() as f64).ceil();
    let mut o = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"{FONT}\" fill=\"#111318\">"
    );
    // The sign glyphs: a dark stroke on a light halo, legible on either end of the ramp.
    o.push_str("<defs><pattern id=\"plus\" width=\"12\" height=\"12\" patternUnits=\"userSpaceOnUse\"><path d=\"M3 6h6M6 3v6\" stroke=\"#fff\" stroke-opacity=\"0.7\" stroke-width=\"2.6\"/><path d=\"M3 6h6M6 3v6\" stroke=\"#000\" stroke-opacity=\"0.6\" stroke-width=\"1\"/></pattern><pattern id=\"minus\" width=\"12\" height=\"12\" patternUnits=\"userSpaceOnUse\"><path d=\"M3 6h6\" stroke=\"#fff\" stroke-opacity=\"0.7\" stroke-width=\"2.6\"/><path d=\"M3 6h6\" stroke=\"#000\" stroke-opacity=\"0.6\" stroke-width=\"1\"/></pattern></defs>");
    o.push_str(&format!(
        "<rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>"
    ));
    text(&mut o, 12.0, 30.0, 22.0, "font-weight=\"700\"", &f.title);
    text(&mut o, 12.0, 58.0, 17.0, "", &f.loss);
    // Column headers.
    for (k, (_, name)) in f.columns.iter().enumerate() {
        let x0 = ROW_HEAD + k as f64 * (cell_w + GAP) + PAD;
        text(
            &mut o,
            x0 + 1.5 * VIEW + GAP,
            top + 18.0,
            17.0,
            "font-weight=\"700\" text-anchor=\"middle\"",
            name,
        );
        for (v, head) in f.heads.iter().enumerate() {
            text(
                &mut o,
                x0 + v as f64 * (VIEW + GAP) + VIEW / 2.0,
                top + 40.0,
                14.0,
                "text-anchor=\"middle\" fill=\"#3d4250\"",
                head,
            );
        }
    }
    let n = f.n.max(1);
    for (r, &b) in f.rows.iter().enumerate() {
        let y0 = top + col_head + r as f64 * (cell_h + GAP);
        text(
            &mut o,
            18.0,
            y0 + HEAD_H + VIEW / 2.0,
            15.0,
            &format!(
                "font-weight=\"700\" text-anchor=\"middle\" transform=\"rotate(-90 18 {:.1})\"",
                y0 + HEAD_H + VIEW / 2.0
            ),
            &format!("image {b}"),
        );
        for (k, &(c, _)) in f.columns.iter().enumerate() {
            let Some(cell) = f.cells.iter().find(|x| x.b == b && x.c == c) else {
                continue;
            };
            let x0 = ROW_HEAD + k as f64 * (cell_w + GAP);
            o.push_str(&format!(
                "<rect x=\"{x0:.1}\" y=\"{y0:.1}\" width=\"{cell_w:.1}\" height=\"{cell_h:.1}\" rx=\"8\" fill=\"#f6f7f9\" stroke=\"#d5d8de\"/>"
            ));
            text(
                &mut o,
                x0 + PAD,
                y0 + PAD + 16.0,
                14.0,
                "fill=\"#3d4250\"",
                &cell.status,
            );
            if let Some((badge, right)) = &cell.badge {
                let w = width_of(badge, 15.0) * 1.1 + 22.0;
                let bx = x0 + cell_w - PAD - w;
                let (bg, fg, line) = if *right {
                    ("#d9f2e3", "#0b5a2a", "#2f9e5a")
                } else {
                    ("#fde2e4", "#8a0016", "#d0394e")
                };
                o.push_str(&format!(
                    "<rect x=\"{bx:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"24\" rx=\"12\" fill=\"{bg}\" stroke=\"{line}\" stroke-width=\"1.5\"/>",
                    y0 + PAD
                ));
                text(
                    &mut o,
                    bx + w / 2.0,
                    y0 + PAD + 17.0,
                    15.0,
                    &format!("font-weight=\"700\" text-anchor=\"middle\" fill=\"{fg}\""),
                    badge,
                );
            }
            let vy = y0 + PAD + HEAD_H;
            for v in 0..3 {
                let vx = x0 + PAD + v as f64 * (VIEW + GAP);
                if cell.views[v].len() == n * n {
                    pixels(&mut o, &cell.views[v], n, vx, vy);
                }
                if v == 2 && cell.sign.len() == n * n {
                    glyphs(&mut o, &cell.sign, 1, n, vx, vy);
                    glyphs(&mut o, &cell.sign, -1, n, vx, vy);
                }
                if v > 0 && cell.hidden.len() == n * n {
                    outline(&mut o, &cell.hidden, n, vx, vy);
                }
                o.push_str(&format!(
                    "<rect x=\"{vx:.1}\" y=\"{vy:.1}\" width=\"{VIEW}\" height=\"{VIEW}\" fill=\"none\" stroke=\"#9aa0ad\"/>"
                ));
            }
            text(
                &mut o,
                x0 + PAD,
                vy + VIEW + 16.0,
                13.5,
                "fill=\"#2a2e38\"",
                &cell.reason,
            );
            text(
                &mut o,
                x0 + cell_w / 2.0,
                vy + VIEW + REASON_H + 15.0,
                13.0,
                "text-anchor=\"middle\" fill=\"#4a4f5c\"",
                &cell.caption,
            );
        }
    }
    if let Some(note) = &f.note {
        text(
            &mut o,
            12.0,
            grid_bottom + 18.0,
            14.0,
            "fill=\"#3d4250\"",
            note,
        );
    }
    // The legend: the ramp, ticks, the words and the glyph key.
    // Room at both ends for the half of an end tick's label.
    let lx = 44.0;
    let lw = (width - 88.0).min(760.0);
    let ly = legend_y;
    let steps = f.legend.ramp.len().max(1);
    let sw = lw / steps as f64;
    o.push_str("<g shape-rendering=\"crispEdges\">");
    for (k, c) in f.legend.ramp.iter().enumerate() {
        o.push_str(&format!(
            "<rect x=\"{:.2}\" y=\"{ly:.1}\" width=\"{:.2}\" height=\"20\" fill=\"{}\"/>",
            lx + k as f64 * sw,
            sw + 0.5,
            hex(*c)
        ));
    }
    o.push_str("</g>");
    o.push_str(&format!(
        "<rect x=\"{lx}\" y=\"{ly:.1}\" width=\"{:.1}\" height=\"20\" fill=\"none\" stroke=\"#777\"/>",
        lw
    ));
    // Glyphs on the two halves, as on the views.
    o.push_str(&format!(
        "<rect x=\"{lx}\" y=\"{ly:.1}\" width=\"{:.1}\" height=\"20\" fill=\"url(#minus)\"/><rect x=\"{:.1}\" y=\"{ly:.1}\" width=\"{:.1}\" height=\"20\" fill=\"url(#plus)\"/>",
        lw / 2.0 - 4.0,
        lx + lw / 2.0 + 4.0,
        lw / 2.0 - 4.0
    ));
    for (t, label) in &f.legend.ticks {
        let x = lx + (t + 1.0) / 2.0 * lw;
        o.push_str(&format!(
            "<path d=\"M{x:.1} {:.1}v5\" stroke=\"#333\"/>",
            ly + 20.0
        ));
        text(&mut o, x, ly + 40.0, 13.0, "text-anchor=\"middle\"", label);
    }
    text(
        &mut o,
        lx,
        ly + 62.0,
        15.0,
        "font-weight=\"700\" fill=\"#2166ac\"",
        &format!("− {}", f.legend.neg),
    );
    text(
        &mut o,
        lx,
        ly + 84.0,
        15.0,
        "font-weight=\"700\" fill=\"#a34f05\"",
        &format!("+ {}", f.legend.pos),
    );
    for (k, line) in note_lines.iter().enumerate() {
        text(
            &mut o,
            lx,
            ly + 106.0 + 16.0 * k as f64,
            12.5,
            "fill=\"#4a4f5c\"",
            line,
        );
    }
    o.push_str("</svg>");
    o
}

/// Splits `s` into lines of at most about `chars` characters, at spaces.
fn wrap(s: &str, chars: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > chars.max(20) {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A figure's size in SVG px (width, height), read back from its text.
pub fn size_of(svg: &str) -> Option<(f64, f64)> {
    let attr = |name: &str| -> Option<f64> {
        let at = svg.find(&format!(" {name}=\""))? + name.len() + 3;
        let rest = &svg[at..];
        rest[..rest.find('"')?].parse().ok()
    };
    Some((attr("width")?, attr("height")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure() -> Figure {
        let n = 4;
        let white = [255, 255, 255, 255];
        let navy = [24, 28, 64, 255];
        let mut label = vec![white; n * n];
        label[5] = navy;
        label[6] = navy;
        let mut sign = vec![1i8; n * n];
        sign[5] = -1;
        let mut hidden = vec![false; n * n];
        hidden[5] = true;
        Figure {
            title: "Empty label, batch-wise Φ & <more>".into(),
            loss: "Dice loss DL_BI = 0.25".into(),
            n,
            columns: vec![(1, "class 1".into())],
            rows: vec![0, 1],
            heads: [
                "label y".into(),
                "prediction ỹ".into(),
                "gradient ∂L/∂ỹ".into(),
            ],
            cells: vec![
                FigureCell {
                    b: 0,
                    c: 1,
                    status: "annotated".into(),
                    views: [label.clone(), label.clone(), vec![white; n * n]],
                    sign: sign.clone(),
                    hidden: vec![],
                    badge: Some(("✓ pushed up".into(), true)),
                    reason: "right: the labelled structure should be pushed up".into(),
                    caption: "φ1 · sDSC 0.8".into(),
                },
                FigureCell {
                    b: 1,
                    c: 1,
                    status: "missing label".into(),
                    views: [label.clone(), label, vec![white; n * n]],
                    sign,
                    hidden,
                    badge: Some(("✗ pushed down".into(), false)),
                    reason: "wrong: a missing label should get no push".into(),
                    caption: "φ1".into(),
                },
            ],
            note: Some("Class 0 (background) is not in the loss".into()),
            legend: FigureLegend {
                ramp: vec![[33, 102, 172, 255], [245, 245, 245, 255], [179, 88, 6, 255]],
                ticks: vec![
                    (-1.0, "−0.01".into()),
                    (0.0, "0".into()),
                    (1.0, "0.01".into()),
                ],
                neg: "blue: descent raises ỹ".into(),
                pos: "orange: descent lowers it".into(),
                note: "symmetric-log".into(),
            },
        }
    }

    #[test]
    fn the_figure_has_every_part_and_escapes_text() {
        let svg = grid_svg(&figure());
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("Empty label, batch-wise Φ &amp; &lt;more&gt;"));
        for part in [
            "✓ pushed up",
            "✗ pushed down",
            "wrong: a missing label should get no push",
            "prediction ỹ",
            "image 1",
            "Class 0 (background) is not in the loss",
            "url(#plus)",
            "url(#minus)",
            "stroke-dasharray",
            "− blue: descent raises ỹ",
        ] {
            assert!(svg.contains(part), "missing {part}");
        }
        // Runs of one colour are merged: the white row of 4 pixels is one rectangle.
        assert!(svg.contains("<rect x=\"0\" y=\"0\" width=\"4\" height=\"1\" fill=\"#ffffff\"/>"));
        assert!(svg.contains("<rect x=\"1\" y=\"1\" width=\"2\" height=\"1\" fill=\"#181c40\"/>"));
        let (w, h) = size_of(&svg).unwrap();
        assert!(w >= 640.0 && h > 2.0 * VIEW, "{w}×{h}");
    }

    #[test]
    fn long_lines_wrap_at_spaces() {
        assert_eq!(wrap("a bb ccc dddd", 20), vec!["a bb ccc dddd"]);
        let lines = wrap(&"word ".repeat(30), 24);
        assert!(lines.len() > 3 && lines.iter().all(|l| l.len() <= 24));
        assert!(wrap("", 30).is_empty());
    }

    #[test]
    fn an_outline_follows_the_hidden_structure() {
        let mut out = String::new();
        // One pixel: four edges.
        outline(&mut out, &[true, false, false, false], 2, 0.0, 0.0);
        assert_eq!(out.matches('M').count(), 4 * 2, "two strokes of four edges");
        let mut none = String::new();
        outline(&mut none, &[false; 4], 2, 0.0, 0.0);
        assert!(none.is_empty());
    }
}
