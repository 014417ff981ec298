//! The views' only way to change anything: they send messages. A [`Dispatch`] queues a
//! message and wakes the app root, which applies queued messages one by one with
//! `update` — also those sent while it is busy (during a frame, or from an event that a
//! view's own DOM work fired), which wait in the queue instead of being dropped.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use web_sys::{Event, EventTarget};

use crate::page::msg::Msg;

use super::dom;

#[derive(Clone)]
pub struct Dispatch {
    queue: Rc<RefCell<VecDeque<Msg>>>,
    wake: Rc<dyn Fn()>,
}

impl Dispatch {
    /// A dispatch into `queue` that calls `wake` after each message.
    pub fn new(queue: Rc<RefCell<VecDeque<Msg>>>, wake: Rc<dyn Fn()>) -> Dispatch {
        Dispatch { queue, wake }
    }

    pub fn send(&self, msg: Msg) {
        self.queue.borrow_mut().push_back(msg);
        (self.wake)();
    }

    /// Listens to `event` on `target`: `f` reads the event (and the DOM) and says which
    /// message it means, if any.
    pub fn on(
        &self,
        target: &EventTarget,
        event: &str,
        f: impl Fn(&Event) -> Option<Msg> + 'static,
    ) {
        let d = self.clone();
        dom::on(target, event, move |ev| {
            if let Some(msg) = f(&ev) {
                d.send(msg);
            }
        });
    }

    /// A click on `target` sends `msg`.
    pub fn on_click(&self, target: &EventTarget, msg: Msg) {
        self.on(target, "click", move |_| Some(msg.clone()));
    }
}
