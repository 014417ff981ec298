//! Presentation without a browser: colours, number formatting, the live formula, the Φ
//! diagram, the plot curves and the views described in words.

pub mod colormap;
pub mod curves;
pub mod describe;
pub mod diagram;
pub mod format;
pub mod formula;
pub mod palette;
