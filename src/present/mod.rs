//! Presentation without a browser: colours, number formatting, the live formula, the Φ
//! diagram and the plot curves.

pub mod colormap;
pub mod curves;
pub mod diagram;
pub mod format;
pub mod formula;
pub mod palette;
