//! The views' only way to change anything: they send messages. A [`Dispatch`] queues a
//! message and wakes the app root, which applies queued messages one by one with
//! `update` — also those sent while it is busy (during a frame, or from an event that a
//! view's own DOM work fired), which wait in the queue instead of being dropped.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use web_sys::{Event, EventTarget};

use crate::page::msg::Msg;

use super::dom;

thread_local! {
    /// Messages sent so far (`diceDebug.sent()`: a test counts what one event sends).
    static SENT: Cell<u64> = const { Cell::new(0) };
}

/// How many messages the views have sent since the page started.
pub fn sent() -> u64 {
    SENT.with(Cell::get)
}

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
        SENT.with(|s| s.set(s.get() + 1));
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
        let dispatch = self.clone();
        dom::on(target, event, move |ev| {
            if let Some(msg) = f(&ev) {
                dispatch.send(msg);
            }
        });
    }

    /// A click on `target` sends `msg`.
    pub fn on_click(&self, target: &EventTarget, msg: Msg) {
        self.on(target, "click", move |_| Some(msg.clone()));
    }
}
