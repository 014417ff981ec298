//! Presentation without a browser: colours, number formatting, the live formula, the Φ
//! diagram, the plot curves, a pasted library loss call read as settings (`paste`, on
//! `pycall`), the views described in words, the grid's heads and tooltips
//! (`grid_words`), labels and classes in words, the grid as a figure and the hints that
//! follow the reader's input.

pub mod colormap;
pub mod curves;
pub mod describe;
pub mod diagram;
pub mod experiment;
pub mod figure;
pub mod format;
pub mod formula;
pub mod grid_words;
pub mod hints;
pub mod labels;
pub mod palette;
pub mod paste;
pub mod pycall;
pub mod question;
pub mod readout;
pub mod verdict;
