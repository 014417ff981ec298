//! "Your data": the worker's fitted arrays are placed into the scene the page shows now
//! (`page::yourdata::place` on the model's state, not on its link, which is written on a
//! delay): one edit (one undo step while the shape and class mode stay; a new history
//! entry, so Back returns to the scene before). Only the answer to the latest request
//! counts. What could not be read or shown is the panel's message, and the scene stays as
//! it was.

use crate::page::change::{Change, Link};
use crate::page::model::Model;
use crate::page::msg::DataMsg;
use crate::page::yourdata::{not_shown, place, Fitted};

use super::lesson::close_lesson;
use super::paint::edit;

pub fn update(m: &mut Model, msg: DataMsg) -> Change {
    match msg {
        DataMsg::Asked { id, opening } => {
            m.data.asked = id;
            m.data.opening = opening;
            Change::none()
        }
        // An answer to an earlier request: a later one is on its way.
        DataMsg::Shown { id, .. } if id != m.data.asked => Change::none(),
        DataMsg::Shown { fitted, .. } => match *fitted {
            Ok(f) => match place(&m.state, &f) {
                Ok((state, notes)) => open(m, f, state, notes),
                Err(why) => refuse(m, &why),
            },
            Err(why) => refuse(m, &why),
        },
    }
}

/// The placed data becomes the scene, as one edit and a new history entry.
fn open(
    m: &mut Model,
    f: Fitted,
    state: crate::page::state::AppState,
    notes: Vec<String>,
) -> Change {
    let before = m.link();
    let mut ch = edit(m, move |s| {
        *s = state;
        Ok((Change::whole_page(), None))
    });
    // The same data opened again changes nothing: no new entry for it.
    let changed = ch.page;
    m.data.status = f.status;
    m.data.shown = true;
    m.data.notes = f.notes;
    m.data.notes.extend(notes);
    m.data.error = false;
    m.data.images = f.images;
    m.data.slices = f.slices;
    m.data.files = Some(f.files);
    ch.merge(close_lesson(m));
    if changed {
        ch.link = Link::Push { before };
    }
    ch.yourdata()
}

/// Nothing new is shown: the panel says why and that the scene is unchanged.
fn refuse(m: &mut Model, why: &str) -> Change {
    m.data.status = not_shown(why, m.data.opening, m.data.files.as_deref());
    m.data.notes = Vec::new();
    m.data.error = true;
    Change::none().yourdata()
}
