//! "Your data": the part of the person's files the worker fitted becomes the scene (one
//! undo step), with the page's settings. What could not be read or shown is the panel's
//! message, and the page stays as it was.

use crate::page::change::Change;
use crate::page::model::Model;
use crate::page::msg::DataMsg;
use crate::page::yourdata::place;

use super::lesson::close_lesson;
use super::paint::edit;

pub fn update(m: &mut Model, msg: DataMsg) -> Change {
    let DataMsg::Shown(shown) = msg;
    let placed = (*shown).and_then(|f| Ok((place(&m.state, &f)?, f)));
    match placed {
        Ok(((state, note), f)) => {
            m.data.status = f.status;
            m.data.shown = true;
            m.data.notes = f.notes;
            m.data.notes.extend(note);
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
