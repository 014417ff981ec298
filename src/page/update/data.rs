//! "Your data": the person's files, read by the worker, become the scene (one undo step);
//! a new pick of images, slice or class count shows another part of them. What could not
//! be read or shown is the panel's message, and the page stays as it was.

use std::sync::Arc;

use crate::page::change::Change;
use crate::page::model::Model;
use crate::page::msg::DataMsg;
use crate::page::yourdata::{fit, Pick};

use super::lesson::close_lesson;
use super::paint::edit;

pub fn update(m: &mut Model, msg: DataMsg) -> Change {
    match msg {
        DataMsg::Read(read, classes) => match *read {
            Ok(loaded) => {
                m.data.loaded = Some(Arc::new(loaded));
                m.data.pick = Pick {
                    classes,
                    ..Pick::default()
                };
                show(m)
            }
            Err(why) => {
                m.data.notes = vec![why];
                m.data.error = true;
                Change::none().yourdata()
            }
        },
        DataMsg::Swap => {
            if let Some(l) = &m.data.loaded {
                let mut l = (**l).clone();
                std::mem::swap(&mut l.y, &mut l.pred);
                std::mem::swap(&mut l.y_file, &mut l.pred_file);
                m.data.loaded = Some(Arc::new(l));
            }
            show(m)
        }
        DataMsg::Pick(pick) => {
            m.data.pick = pick;
            if m.data.loaded.is_none() {
                return Change::none().yourdata();
            }
            show(m)
        }
    }
}

/// Shows the picked part of the loaded data: the scene becomes it, with the page's
/// settings; or the panel says why it cannot.
fn show(m: &mut Model) -> Change {
    let Some(loaded) = m.data.loaded.clone() else {
        return Change::none();
    };
    match fit(&loaded, m.data.pick, &m.state) {
        Ok(f) => {
            m.data.notes = f.notes;
            m.data.error = false;
            m.data.images = f.images;
            m.data.slices = f.slices;
            let state = f.state;
            let mut ch = edit(m, move |s| {
                *s = state;
                Ok((Change::whole_page(), None))
            });
            ch.merge(close_lesson(m));
            ch.yourdata()
        }
        Err(why) => {
            m.data.notes = vec![why];
            m.data.error = true;
            Change::none().yourdata()
        }
    }
}
