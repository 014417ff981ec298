//! "Your data": the part of the person's files the worker fitted becomes the scene (one
//! edit; the worker sends it as a link of the page's own codec, with the page's settings).
//! What could not be read or shown is the panel's message, and the page stays as it was.

use crate::page::change::Change;
use crate::page::model::Model;
use crate::page::msg::DataMsg;
use crate::page::route;

use super::lesson::close_lesson;
use super::paint::edit;

pub fn update(m: &mut Model, msg: DataMsg) -> Change {
    let DataMsg::Shown(shown) = msg;
    let opened = (*shown).and_then(|f| match route::resolve(&f.hash) {
        (r, None) => Ok((r.state, f)),
        (_, Some(why)) => Err(why),
    });
    match opened {
        Ok((state, f)) => {
            m.data.status = f.status;
            m.data.shown = true;
            m.data.notes = f.notes;
            m.data.error = false;
            m.data.images = f.images;
            m.data.slices = f.slices;
            let mut ch = edit(m, move |s| {
                *s = state;
                Ok((Change::whole_page(), None))
            });
            ch.merge(close_lesson(m));
            ch.yourdata()
        }
        Err(why) => {
            m.data.status = why;
            m.data.notes = Vec::new();
            m.data.error = true;
            Change::none().yourdata()
        }
    }
}
