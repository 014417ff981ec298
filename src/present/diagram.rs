//! The Φ picture (the idea of the paper's Figure 1): a B×C block diagram with
//! each reduction set in its own colour, numbered from 1 as in the sets table. Pure SVG
//! text; the web layer inserts it and handles clicks on elements carrying `data-set`
//! (0-based) and `data-b`/`data-c` (the cell).

use crate::engine::phi::Phi;

/// The colour of set k as CSS (see [`crate::present::palette::SETS`]).
pub fn set_colour(k: usize) -> String {
    crate::present::palette::set(k).hex()
}

/// SVG of the cells of a `b`×`c` batch grouped by `phi`; `selected` set drawn bold.
pub fn phi_svg(
    phi: Phi,
    b: usize,
    c: usize,
    include_background: bool,
    selected: Option<usize>,
) -> String {
    let cell = 26.0;
    let gap = 4.0;
    let left = 34.0;
    let top = 22.0;
    let width = left + c as f64 * (cell + gap) + 4.0;
    let height = top + b as f64 * (cell + gap) + 4.0;
    let classes: Vec<usize> = (usize::from(!include_background)..c).collect();
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"phi-picture\" viewBox=\"0 0 {width} {height}\" width=\"{}\" height=\"{}\" role=\"group\" aria-label=\"{} sets: {} of them; each set is a button\">",
        width * 1.6,
        height * 1.6,
        phi.wise_name(),
        phi.set_count(b, classes.len())
    );
    for ci in 0..c {
        let x = left + ci as f64 * (cell + gap) + cell / 2.0;
        out.push_str(&format!(
            "<text x=\"{x}\" y=\"14\" text-anchor=\"middle\" font-size=\"11\">c{ci}</text>"
        ));
    }
    for bi in 0..b {
        let y = top + bi as f64 * (cell + gap);
        out.push_str(&format!(
            "<text x=\"2\" y=\"{}\" font-size=\"11\">b{bi}</text>",
            y + cell / 2.0 + 4.0
        ));
        for ci in 0..c {
            let x = left + ci as f64 * (cell + gap);
            match classes.iter().position(|&k| k == ci) {
                None => out.push_str(&format!(
                    "<g><title>class {ci} is excluded (background)</title><rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"#eee\" stroke=\"#bbb\"/><line x1=\"{x}\" y1=\"{y}\" x2=\"{}\" y2=\"{}\" stroke=\"#bbb\"/></g>",
                    x + cell,
                    y + cell
                )),
                Some(k) => {
                    let set = phi.set_of(bi, k, classes.len());
                    let stroke = if selected == Some(set) { "stroke=\"#000\" stroke-width=\"3\"" } else { "stroke=\"#fff\" stroke-width=\"1\"" };
                    out.push_str(&format!(
                        "<rect data-set=\"{set}\" data-b=\"{bi}\" data-c=\"{ci}\" x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" rx=\"3\" fill=\"{}\" {stroke} tabindex=\"0\" role=\"button\" aria-label=\"image {bi}, class {ci}: set φ{}\"><title>image b={bi}, class c={ci}: set φ{}</title></rect><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" pointer-events=\"none\">φ{}</text>",
                        set_colour(set),
                        set + 1,
                        set + 1,
                        x + cell / 2.0,
                        y + cell / 2.0 + 4.0,
                        set + 1
                    ));
                }
            }
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets_in(svg: &str) -> Vec<usize> {
        svg.split("data-set=\"")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
            .collect()
    }

    #[test]
    fn each_cell_is_coloured_by_its_set() {
        assert_eq!(
            sets_in(&phi_svg(Phi::I, 2, 2, true, None)),
            vec![0, 1, 2, 3]
        );
        assert_eq!(
            sets_in(&phi_svg(Phi::CI, 2, 2, true, None)),
            vec![0, 0, 1, 1]
        );
        assert_eq!(
            sets_in(&phi_svg(Phi::BI, 2, 2, true, None)),
            vec![0, 1, 0, 1]
        );
        assert_eq!(
            sets_in(&phi_svg(Phi::BCI, 2, 2, true, None)),
            vec![0, 0, 0, 0]
        );
    }

    #[test]
    fn excluded_background_has_no_set() {
        let svg = phi_svg(Phi::BI, 3, 2, false, Some(0));
        assert_eq!(sets_in(&svg), vec![0, 0, 0]);
        assert_eq!(svg.matches("excluded").count(), 3);
        assert!(svg.contains("stroke-width=\"3\""));
        // Each set rectangle says which cell it is, for clicks.
        assert!(svg.contains("data-set=\"0\" data-b=\"2\" data-c=\"1\""));
    }
}
