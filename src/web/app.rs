//! The app root: the only module that holds the app. It owns the model, the derived data,
//! the views and the scheduler, and runs the one loop of the page:
//!
//! event → view sends a [`Msg`] → queue → `update(model, msg)` → [`Change`] (merged until
//! the next frame; the address bar follows at once or after a debounce) → animation frame:
//! `derived.refresh(model, change)` → every view's `sync` draws from the model and the
//! derived data → the plots when due.
//!
//! It is also the only place that asks for animation frames and sets timers.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::page::cli_input;
use crate::page::codec;
use crate::page::derived::Derived;
use crate::page::model::Model;
use crate::page::msg::{Msg, ScreenMsg, TrainMsg};
use crate::page::state::AppState;
use crate::page::update::{open_link, update, Change, Link};

use super::dispatch::Dispatch;
use super::dom;
use super::shell::{show_fatal, Shell};
use super::{events, Frame, Views};

/// The address bar is rewritten at most this often (ms) while things change, e.g. while
/// ε is dragged (browsers throttle history writes); pending writes are flushed when the
/// page is hidden or closed and before a new history entry.
const LINK_DELAY_MS: f64 = 200.0;
/// The plots are redrawn at most this often (ms) while things change; during a brush
/// stroke they wait for the stroke to end.
const PLOT_INTERVAL_MS: f64 = 150.0;
/// Frames kept on `window.__diceFrames`.
const FRAME_LOG: u32 = 600;
/// Training steps taken in one frame at most: a slow frame does not pile up work.
const MAX_STEPS_PER_FRAME: usize = 8;
/// A link's run (`&train=N`) trains in a task of its own between frames, this long (ms) at
/// least (one step at least), or as long as the last frame took to draw, so training gets
/// half of a slow page's time. Input is handled between that task and the frame.
const LINK_SLICE_MS: f64 = 30.0;

struct App {
    model: Model,
    derived: Derived,
    views: Views,
    shell: Shell,
    /// What changed since the last frame.
    pending: Change,
    sched: Scheduler,
}

/// Frames, timers and the address bar.
#[derive(Default)]
struct Scheduler {
    frame_requested: bool,
    /// A change the address bar does not show yet.
    link_due: bool,
    link_timer: Option<i32>,
    last_link_write: f64,
    /// The plots may be out of date.
    plots_due: bool,
    /// Some plots are drawn and the rest follow in the next frames (one per frame).
    plots_partial: bool,
    plot_timer: Option<i32>,
    last_plot: f64,
    /// Training: when the last steps were taken, and the fraction of a step owed.
    last_tick: f64,
    owed: f64,
    /// How long the last frame took to recompute and draw (ms).
    last_draw: f64,
    /// The task that trains a link's next slice: set at the end of a frame, so the first
    /// frame shows the page before any step.
    train_timer: Option<i32>,
}

type Callback = Closure<dyn FnMut()>;
type Work = Box<dyn FnOnce(&mut App)>;
type FrameCallback = Closure<dyn FnMut(f64)>;

thread_local! {
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
    static QUEUE: Rc<RefCell<VecDeque<Msg>>> = Rc::new(RefCell::new(VecDeque::new()));
    /// Work handed to [`run`] while it was already running, done when the running call
    /// is done.
    static DEFERRED: RefCell<VecDeque<Work>> = const { RefCell::new(VecDeque::new()) };
    static FRAME_CB: RefCell<Option<FrameCallback>> = const { RefCell::new(None) };
    static LINK_CB: RefCell<Option<Callback>> = const { RefCell::new(None) };
    static PLOT_CB: RefCell<Option<Callback>> = const { RefCell::new(None) };
    static TRAIN_CB: RefCell<Option<Callback>> = const { RefCell::new(None) };
}

/// Runs `f` on the app, then applies every queued message (also those `f` queued) and
/// asks for a frame if anything changed. Nothing is dropped: called while the app is
/// already running (an event fired by the running call's own DOM work), `f` waits and the
/// running call does it when it is done, after the messages queued before it.
fn run(f: impl FnOnce(&mut App) + 'static) {
    APP.with(|cell| {
        let Ok(mut guard) = cell.try_borrow_mut() else {
            DEFERRED.with(|d| d.borrow_mut().push_back(Box::new(f)));
            return;
        };
        let Some(app) = guard.as_mut() else {
            dom::warn("an event came before the page was built");
            return;
        };
        f(app);
        loop {
            while let Some(msg) = QUEUE.with(|q| q.borrow_mut().pop_front()) {
                let ch = update(&mut app.model, msg);
                app.after_update(ch);
            }
            match DEFERRED.with(|d| d.borrow_mut().pop_front()) {
                Some(work) => work(app),
                None => break,
            }
        }
        if !app.pending.is_empty() || app.sched.plots_due {
            app.request_frame();
        }
    });
}

/// Reads the app (for the test hooks); `None` while it is busy.
fn read<R>(f: impl FnOnce(&App) -> R) -> Option<R> {
    APP.with(|cell| cell.try_borrow().ok()?.as_ref().map(f))
}

fn dispatch() -> Dispatch {
    let queue = QUEUE.with(Rc::clone);
    Dispatch::new(queue, Rc::new(|| run(|_| {})))
}

fn set_timer(
    cb: &'static std::thread::LocalKey<RefCell<Option<Callback>>>,
    ms: f64,
) -> Option<i32> {
    let w = dom::window().ok()?;
    cb.with(|cb| {
        let guard = cb.try_borrow().ok()?;
        let f = guard.as_ref()?;
        w.set_timeout_with_callback_and_timeout_and_arguments_0(
            f.as_ref().unchecked_ref(),
            ms.ceil().max(0.0) as i32,
        )
        .ok()
    })
}

fn clear_timer(t: Option<i32>) {
    if let (Some(t), Ok(w)) = (t, dom::window()) {
        w.clear_timeout_with_handle(t);
    }
}

impl App {
    /// What follows a message right away: the change waits for the frame, the address bar
    /// follows now or soon.
    fn after_update(&mut self, ch: Change) {
        match &ch.link {
            Link::Keep => {}
            Link::Replace => {
                self.sched.link_due = true;
                if self.model.paint.stroke.is_none() {
                    self.flush_link();
                } else {
                    self.write_link_soon();
                }
            }
            Link::Soon => {
                self.sched.link_due = true;
                self.write_link_soon();
            }
            Link::Opened => {
                self.sched.link_due = false;
                clear_timer(self.sched.link_timer.take());
            }
            Link::Push { before } => {
                // The edit before this one must not be lost for Back.
                if self.sched.link_due {
                    write_url(before, Entry::Replace);
                }
                self.sched.link_due = false;
                clear_timer(self.sched.link_timer.take());
                write_url(&self.model.link(), Entry::Push);
                self.sched.last_link_write = dom::now();
            }
        }
        self.pending.merge(ch);
    }

    /// Writes the link now if the last write is long enough ago and no stroke is under way,
    /// else sets a timer for it.
    fn write_link_soon(&mut self) {
        let wait = LINK_DELAY_MS - (dom::now() - self.sched.last_link_write);
        if wait <= 0.0 && self.model.paint.stroke.is_none() {
            self.flush_link();
        } else if self.sched.link_timer.is_none() {
            self.sched.link_timer = set_timer(&LINK_CB, wait.max(LINK_DELAY_MS / 4.0));
        }
    }

    /// Writes a pending change to the address bar (mid-stroke too, when the page is being
    /// hidden: a half stroke is better than none).
    fn flush_link(&mut self) {
        clear_timer(self.sched.link_timer.take());
        if !self.sched.link_due {
            return;
        }
        self.sched.link_due = false;
        self.sched.last_link_write = dom::now();
        write_url(&self.model.link(), Entry::Replace);
    }

    fn request_frame(&mut self) {
        if self.sched.frame_requested {
            return;
        }
        let Ok(w) = dom::window() else { return };
        let asked = FRAME_CB.with(|cb| {
            cb.try_borrow().ok().and_then(|g| {
                g.as_ref()
                    .and_then(|f| w.request_animation_frame(f.as_ref().unchecked_ref()).ok())
            })
        });
        self.sched.frame_requested = asked.is_some();
    }

    /// One animation frame: derived data from the change, then every view.
    fn frame(&mut self) {
        self.sched.frame_requested = false;
        let t0 = dom::now();
        self.train_beat(t0);
        let change = std::mem::take(&mut self.pending);
        let fresh = self.derived.refresh(&self.model, &change);
        let t1 = dom::now();
        let frame = Frame {
            model: &self.model,
            derived: &self.derived,
            change: &change,
            fresh: &fresh,
        };
        self.shell.sync(&frame);
        let drew = self.views.sync(&frame);
        if fresh.evaluated || change.focus || change.layout {
            self.sched.plots_due = true;
        }
        // The plots take ~10 ms: after a recompute they wait for the next frame, so the
        // grid and the loss answer the input first.
        let plotted = if fresh.evaluated {
            false
        } else {
            self.plots_if_due()
        };
        let t2 = dom::now();
        if fresh.evaluated || drew || plotted {
            self.log_frame(t1 - t0, t2 - t1);
        }
        self.shell.mark_ready();
        self.sched.last_draw = dom::now() - t1;
        if self.model.paint.stroke.is_none()
            && self.sched.link_due
            && self.sched.link_timer.is_none()
        {
            self.write_link_soon();
        }
        if self.reaching_link_step() {
            // The next slice is a task of its own: input waiting since this frame began
            // is handled before it.
            if self.sched.train_timer.is_none() {
                self.sched.train_timer = set_timer(&TRAIN_CB, 0.0);
            }
        } else if self.playing() {
            self.request_frame();
        }
    }

    /// One slice of a link's run (the frame it changes is asked for by `run`).
    fn link_slice(&mut self) {
        self.sched.train_timer = None;
        if !self.reaching_link_step() {
            return;
        }
        let start = dom::now();
        let slice = LINK_SLICE_MS.max(self.sched.last_draw);
        loop {
            let ch = update(&mut self.model, Msg::Train(TrainMsg::Tick(1)));
            self.after_update(ch);
            if !self.reaching_link_step() || dom::now() - start >= slice {
                break;
            }
        }
    }

    fn playing(&self) -> bool {
        self.model.train.session.as_ref().is_some_and(|t| t.playing)
    }

    fn reaching_link_step(&self) -> bool {
        self.model
            .train
            .session
            .as_ref()
            .is_some_and(|t| t.playing && t.target.is_some())
    }

    /// While training plays: the steps due at its speed since the last frame (a link's
    /// run trains in slices between frames instead, [`App::link_slice`]).
    fn train_beat(&mut self, now: f64) {
        if !self.playing() || self.reaching_link_step() {
            // Not playing: the next run starts afresh.
            self.sched.last_tick = f64::NAN;
            self.sched.owed = 0.0;
            return;
        }
        let steps = if self.sched.last_tick.is_nan() {
            // The first frame of a run takes a step at once.
            1
        } else {
            let m = &self.model;
            let pace = m.train.session.as_ref().map_or(m.state.train.speed, |t| {
                t.pace(m.state.train.speed, m.state.mode.present)
            });
            let speed = f64::from(pace);
            let due = self.sched.owed + (now - self.sched.last_tick).max(0.0) * speed / 1000.0;
            let steps = (due.floor() as usize).min(MAX_STEPS_PER_FRAME);
            // A backlog beyond one step is forgotten rather than caught up.
            self.sched.owed = (due - steps as f64).min(1.0);
            steps
        };
        self.sched.last_tick = now;
        if steps > 0 {
            let ch = update(&mut self.model, Msg::Train(TrainMsg::Tick(steps)));
            self.after_update(ch);
        }
    }

    /// Redraws the plots if their inputs changed: never during a brush stroke (they wait
    /// for its end) nor in an embed, and at most every `PLOT_INTERVAL_MS`.
    fn plots_if_due(&mut self) -> bool {
        if !self.sched.plots_due || self.model.paint.stroke.is_some() || self.model.state.mode.embed
        {
            return false;
        }
        let wait = PLOT_INTERVAL_MS - (dom::now() - self.sched.last_plot);
        if wait > 0.0 && !self.sched.plots_partial {
            if self.sched.plot_timer.is_none() {
                self.sched.plot_timer = set_timer(&PLOT_CB, wait);
            }
            return false;
        }
        let (drew, more) = self.views.plots(&self.model, &self.derived);
        // One plot per frame, so no task draws all three: the rest follow at once.
        self.sched.plots_due = more;
        self.sched.plots_partial = more;
        if drew && !more {
            self.sched.last_plot = dom::now();
        }
        drew
    }

    fn log_frame(&self, compute: f64, draw: f64) {
        let Ok(w) = dom::window() else { return };
        let key = JsValue::from_str("__diceFrames");
        let list = js_sys::Reflect::get(&w, &key)
            .ok()
            .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
            .unwrap_or_else(|| {
                let a = js_sys::Array::new();
                let _ = js_sys::Reflect::set(&w, &key, &a);
                a
            });
        let entry = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&entry, &"compute".into(), &compute.into());
        let _ = js_sys::Reflect::set(&entry, &"draw".into(), &draw.into());
        list.push(&entry);
        if list.length() > FRAME_LOG {
            list.shift();
        }
        self.shell.perf(compute, draw);
    }
}

/// How the address bar takes a link.
#[derive(Clone, Copy)]
enum Entry {
    /// Rewrite the current history entry.
    Replace,
    /// A new history entry, so Back returns to the current one.
    Push,
}

/// The one writer of the address bar (nothing when it already shows `link`).
fn write_url(link: &str, entry: Entry) {
    let Ok(w) = dom::window() else { return };
    if w.location().hash().unwrap_or_default() == link {
        return;
    }
    let Ok(h) = w.history() else { return };
    let written = match entry {
        Entry::Replace => h.replace_state_with_url(&JsValue::NULL, "", Some(link)),
        Entry::Push => h.push_state_with_url(&JsValue::NULL, "", Some(link)),
    };
    if written.is_err() {
        dom::warn("could not write the link to the address bar");
    }
}

/// `window.diceDebug = { cliInput(), gradAt(b, c, i, j), hash(), trainInput(steps), sent(),
/// experiment() }` for
/// end-to-end tests:
/// read-only views of the page. `hash()` is the page in link format 1 (JSON inside
/// deflate, which a script can read and edit); the address bar uses format 2.
fn install_debug() -> dom::JsResult<()> {
    let w = dom::window()?;
    let obj = js_sys::Object::new();
    let cli = Closure::<dyn Fn() -> JsValue>::new(|| {
        read(|a| {
            let trainer = a.model.train.session.as_ref().map(|t| &t.trainer);
            JsValue::from_str(&cli_input::shown_input(&a.model.state, trainer).to_string())
        })
        .unwrap_or(JsValue::NULL)
    });
    js_sys::Reflect::set(&obj, &"cliInput".into(), cli.as_ref())?;
    cli.forget();
    let grad = Closure::<dyn Fn(JsValue, JsValue, JsValue, JsValue) -> JsValue>::new(
        |b: JsValue, c: JsValue, i: JsValue, j: JsValue| {
            let idx = |v: &JsValue| {
                v.as_f64()
                    .filter(|x| x.is_finite() && *x >= 0.0 && x.fract() == 0.0)
                    .map(|x| x as usize)
            };
            let (Some(b), Some(c), Some(i), Some(j)) = (idx(&b), idx(&c), idx(&i), idx(&j)) else {
                return JsValue::NULL;
            };
            read(|a| a.derived.grad_at(&a.model, b, c, i, j))
                .flatten()
                .map_or(JsValue::NULL, JsValue::from_f64)
        },
    );
    js_sys::Reflect::set(&obj, &"gradAt".into(), grad.as_ref())?;
    grad.forget();
    let hash = Closure::<dyn Fn() -> JsValue>::new(|| {
        read(|a| JsValue::from_str(&format!("#{}", codec::legacy::encode(&a.model.state))))
            .unwrap_or(JsValue::NULL)
    });
    js_sys::Reflect::set(&obj, &"hash".into(), hash.as_ref())?;
    hash.forget();
    // The `dice train` input of the page's training settings, for `steps` steps (default:
    // the steps the page has taken).
    let train = Closure::<dyn Fn(JsValue) -> JsValue>::new(|steps: JsValue| {
        read(|a| {
            let done = a.model.train.session.as_ref().map_or(0, |t| t.step_count());
            let steps = steps
                .as_f64()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map_or(done, |v| v as usize);
            cli_input::train_input(&a.model.state, steps)
                .map_or(JsValue::NULL, |v| JsValue::from_str(&v.to_string()))
        })
        .unwrap_or(JsValue::NULL)
    });
    js_sys::Reflect::set(&obj, &"trainInput".into(), train.as_ref())?;
    train.forget();
    let sent =
        Closure::<dyn Fn() -> JsValue>::new(|| JsValue::from_f64(super::dispatch::sent() as f64));
    js_sys::Reflect::set(&obj, &"sent".into(), sent.as_ref())?;
    sent.forget();
    let experiment = Closure::<dyn Fn() -> JsValue>::new(|| {
        read(|a| super::experiment::debug(&a.model)).unwrap_or(JsValue::NULL)
    });
    js_sys::Reflect::set(&obj, &"experiment".into(), experiment.as_ref())?;
    experiment.forget();
    js_sys::Reflect::set(&w, &"diceDebug".into(), &obj)?;
    js_sys::Reflect::set(&w, &"__diceFrames".into(), &js_sys::Array::new())?;
    Ok(())
}

fn install_callbacks() {
    FRAME_CB.with(|cb| {
        *cb.borrow_mut() = Some(Closure::<dyn FnMut(f64)>::new(|_t: f64| run(App::frame)));
    });
    LINK_CB.with(|cb| {
        *cb.borrow_mut() = Some(Closure::<dyn FnMut()>::new(|| {
            run(|a| {
                a.sched.link_timer = None;
                a.write_link_soon();
            })
        }));
    });
    TRAIN_CB.with(|cb| {
        *cb.borrow_mut() = Some(Closure::<dyn FnMut()>::new(|| run(App::link_slice)));
    });
    PLOT_CB.with(|cb| {
        *cb.borrow_mut() = Some(Closure::<dyn FnMut()>::new(|| {
            run(|a| {
                a.sched.plot_timer = None;
                a.request_frame();
            })
        }));
    });
}

/// Where a link not yet in the address bar waits across a reload.
const RESCUE_KEY: &str = "dice-playground-unwritten-link";

fn session() -> Option<web_sys::Storage> {
    dom::window().ok()?.session_storage().ok()?
}

impl App {
    /// The page is going away with a change the address bar does not show yet (an edit in
    /// the last moments): a reload loads the address bar's URL as it was when the reload
    /// began, so the link is also left in session storage for [`rescued_hash`].
    fn rescue_link(&mut self) {
        if self.sched.link_due {
            let at = dom::window()
                .ok()
                .and_then(|w| w.location().hash().ok())
                .unwrap_or_default();
            if let Some(s) = session() {
                let _ = s.set_item(RESCUE_KEY, &format!("{at}\n{}", self.model.link()));
            }
        }
        self.flush_link();
    }
}

/// The link a page left in session storage as it went away, if it went away showing the
/// hash this page was opened with (a reload, not a new link).
fn rescued_hash(hash: &str) -> Option<String> {
    let s = session()?;
    let saved = s.get_item(RESCUE_KEY).ok()??;
    let _ = s.remove_item(RESCUE_KEY);
    let (at, link) = saved.split_once('\n')?;
    (at == hash).then(|| link.to_string())
}

/// The page is being hidden or closed: whatever the address bar does not show yet is
/// written now, so a reload or a copied link has it.
fn wire_flush() {
    let Ok(w) = dom::window() else { return };
    dom::on(&w, "pagehide", |_| run(App::rescue_link));
    dom::on(&w, "beforeunload", |_| run(App::rescue_link));
    if let Ok(doc) = dom::document() {
        let d = doc.clone();
        dom::on(&doc, "visibilitychange", move |_| {
            if d.hidden() {
                run(App::flush_link);
            }
        });
    }
}

fn start_app() -> dom::JsResult<()> {
    let w = dom::window()?;
    let search = w.location().search().unwrap_or_default();
    let perf = search
        .trim_start_matches('?')
        .split('&')
        .any(|p| p == "perf" || p.starts_with("perf="));
    let mut hash = w.location().hash().unwrap_or_default();
    if let Some(link) = rescued_hash(&hash) {
        write_url(&link, Entry::Replace);
        hash = link;
    }
    let dispatch = dispatch();
    let shell = Shell::build(&dispatch, perf)?;
    let views = Views::build(&dispatch)?;
    let mut model = Model::new(AppState::default_scene());
    model.screen.intro = !super::effects::intro_dismissed();
    // The address bar already says what is shown: it is rewritten only after a change.
    let mut pending = open_link(&mut model, &hash);
    if super::effects::touch_screen() {
        pending.merge(update(&mut model, Msg::Screen(ScreenMsg::Touch)));
    }
    let app = App {
        derived: Derived::default(),
        model,
        views,
        shell,
        pending,
        sched: Scheduler::default(),
    };
    APP.with(|cell| *cell.borrow_mut() = Some(app));
    install_callbacks();
    events::wire(&dispatch);
    wire_flush();
    install_debug()?;
    run(App::request_frame);
    Ok(())
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_fatal(&info.to_string());
    }));
}

#[wasm_bindgen(start)]
pub fn start() {
    install_panic_hook();
    if let Err(e) = start_app() {
        let msg = e.as_string().unwrap_or_else(|| format!("{e:?}"));
        show_fatal(&format!("the page could not be built ({msg})"));
    }
}
