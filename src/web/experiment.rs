//! The Experiment panel (below the verdict matrix): template, runs, batch sizes and scale,
//! Run and Cancel, a progress bar per run, the results table. The runs train in a web
//! worker started on first use (`experiment_worker_start.js`, `src/bin/experiment_worker.rs`),
//! so the page keeps drawing while they do; its reports become messages. Cancel terminates
//! the worker; the next Run starts a fresh one.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{EventTarget, HtmlElement};

use crate::engine::experiment::Template;
use crate::page::experiment::{Phase, Scale};
use crate::page::model::Model;
use crate::page::msg::{ExperimentMsg, ExportKind, Msg, ScreenMsg};
use crate::present::experiment::PANEL;
use crate::present::figure::esc;

use super::dispatch::Dispatch;
use super::dom::{self, JsResult};
use super::Frame;

/// The worker's script (copied by trunk, index.html): it loads the experiment module.
const WORKER_URL: &str = "./experiment_worker_start.js";

thread_local! {
    /// Frames the page drew while an experiment ran (`diceDebug.experiment().frames`).
    static FRAMES: Cell<u32> = const { Cell::new(0) };
}

pub struct ExperimentView {
    root: HtmlElement,
    inputs: HtmlElement,
    /// Run, ε sweep and Cancel.
    buttons: [HtmlElement; 4],
    status: HtmlElement,
    progress: HtmlElement,
    body: HtmlElement,
    dispatch: Dispatch,
    worker: Option<JsValue>,
    /// The job the worker runs (its reports are tagged with it).
    posted: Rc<Cell<u32>>,
    /// The job and rows the progress list and table were built for.
    drawn: (u32, usize),
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Calls `target.name(arg)` (the worker is reached through plain property calls, as the
/// paste worker is: typed bindings would cost the page's first load).
fn call(target: &JsValue, name: &str, arg: &JsValue) -> bool {
    get(target, name)
        .dyn_ref::<Function>()
        .is_some_and(|f| f.call1(target, arg).is_ok())
}

/// A worker report as a message for job `job`.
fn report(job: u32, data: &JsValue) -> Option<ExperimentMsg> {
    let a = Array::from(data);
    let tag = a.get(0).as_string()?;
    let num = |k: u32| a.get(k).as_f64().unwrap_or(f64::NAN);
    let idx = |k: u32| num(k).max(0.0) as usize;
    Some(match tag.as_str() {
        "progress" => ExperimentMsg::Progress {
            job,
            run: idx(1),
            done: idx(2),
            total: idx(3),
        },
        "run" => ExperimentMsg::RunDone {
            job,
            run: idx(1),
            measures: [num(2), num(3), num(4), num(5)],
        },
        "done" => ExperimentMsg::Done {
            job,
            result: a.get(1).as_string()?,
            steps_per_second: num(2),
        },
        _ => ExperimentMsg::Failed {
            job,
            why: a.get(1).as_string().unwrap_or_default(),
        },
    })
}

/// A new worker whose reports (tagged with the job in `posted`) become messages.
fn start(dispatch: &Dispatch, posted: &Rc<Cell<u32>>) -> Result<JsValue, JsValue> {
    let class: Function = get(&js_sys::global(), "Worker").dyn_into()?;
    let worker = Reflect::construct(&class, &Array::of1(&JsValue::from_str(WORKER_URL)))?;
    let target: &EventTarget = worker.unchecked_ref();
    let (d, job) = (dispatch.clone(), posted.clone());
    dom::on(target, "message", move |ev| {
        if let Some(msg) = report(job.get(), &get(&ev, "data")) {
            d.send(Msg::Experiment(msg));
        }
    });
    let (d, job) = (dispatch.clone(), posted.clone());
    dom::on(target, "error", move |ev| {
        // A script that did not load (the module's own failure is an 'error' report).
        let why = format!(
            "the worker could not start: {}",
            get(&ev, "message")
                .as_string()
                .unwrap_or_else(|| "its script did not load".into())
        );
        d.send(Msg::Experiment(ExperimentMsg::Failed {
            job: job.get(),
            why,
        }));
    });
    Ok(worker)
}

/// A changed input of the panel as a message: a tick, or a select's value.
fn input_msg(ev: &web_sys::Event) -> Option<Msg> {
    let e: HtmlElement = ev.target()?.dyn_into().ok()?;
    let data = e.dataset();
    let value = || get(&e, "value").as_string().unwrap_or_default();
    let on = || get(&e, "checked").as_bool().unwrap_or(false);
    let at = |k: &str| data.get(k).and_then(|v| v.parse().ok());
    Some(Msg::Experiment(match data.get("pick").as_deref() {
        Some("template") => ExperimentMsg::Template(Template::parse(&value())?),
        Some("scale") => ExperimentMsg::Scale(Scale::parse(&value())?),
        _ => match at("run") {
            Some(i) => ExperimentMsg::Run(i, on()),
            None => ExperimentMsg::Batch(at("batch")?, on()),
        },
    }))
}

/// A click on Run or Cancel as a message.
fn click_msg(ev: &web_sys::Event) -> Option<Msg> {
    let e: HtmlElement = ev.target()?.dyn_into().ok()?;
    Some(Msg::Experiment(match e.dataset().get("act")?.as_str() {
        "csv" => return Some(Msg::Screen(ScreenMsg::Export(ExportKind::ExperimentCsv))),
        "run" => ExperimentMsg::Start,
        "sweep" => ExperimentMsg::Sweep,
        _ => ExperimentMsg::Cancel,
    }))
}

impl ExperimentView {
    /// Adds the panel after the verdict matrix and wires it.
    pub fn build(dispatch: &Dispatch) -> JsResult<ExperimentView> {
        let matrix: HtmlElement = dom::need("matrix")?;
        matrix.insert_adjacent_html("afterend", PANEL)?;
        let root: HtmlElement = dom::need("experiment")?;
        dispatch.on(&root, "change", input_msg);
        dispatch.on(&root, "click", click_msg);
        let button = |act: &str| -> JsResult<HtmlElement> {
            let e = root.query_selector(&format!("[data-act={act}]"))?;
            Ok(e.ok_or("no button")?.dyn_into()?)
        };
        let buttons = [
            button("run")?,
            button("sweep")?,
            button("cancel")?,
            button("csv")?,
        ];
        Ok(ExperimentView {
            inputs: dom::need("exp-inputs")?,
            buttons,
            root,
            status: dom::need("exp-status")?,
            progress: dom::need("exp-progress")?,
            body: dom::need("exp-body")?,
            dispatch: dispatch.clone(),
            worker: None,
            posted: Rc::new(Cell::new(0)),
            drawn: (0, 0),
        })
    }

    /// Posts a new job to the worker (starting one if none runs), or terminates it on
    /// Cancel or failure (a worker that failed may be dead: the next Run starts a new one).
    fn drive(&mut self, m: &Model) {
        let p = &m.experiment;
        match (&p.phase, &p.config) {
            (Phase::Running, Some(config)) if self.posted.get() != p.job => {
                if self.worker.is_none() {
                    self.worker = start(&self.dispatch, &self.posted).ok();
                }
                self.posted.set(p.job);
                let posted = self
                    .worker
                    .as_ref()
                    .is_some_and(|w| call(w, "postMessage", &JsValue::from_str(config)));
                if !posted {
                    let why = "this browser could not start the experiment worker".to_string();
                    let msg = ExperimentMsg::Failed { job: p.job, why };
                    self.dispatch.send(Msg::Experiment(msg));
                }
            }
            (Phase::Cancelled | Phase::Failed(_), _) => {
                if let Some(w) = self.worker.take() {
                    let _ = get(&w, "terminate")
                        .dyn_ref::<Function>()
                        .map(|f| f.call0(&w));
                }
            }
            _ => {}
        }
    }

    pub fn sync(&mut self, f: &Frame) {
        let p = &f.model.experiment;
        if p.running() {
            FRAMES.with(|c| c.set(c.get() + 1));
        }
        if !f.change.experiment {
            return;
        }
        self.drive(f.model);
        // While running the inputs wait (the fieldset disables them all), Run waits too.
        let running = p.running();
        for e in [&self.inputs, &self.root] {
            dom::toggle_class(e, "running", running);
        }
        let [run, sweep, cancel, csv] = &self.buttons;
        // The table can be saved once a run has finished.
        let nothing = !p.rows.iter().any(|r| r.measures.is_some());
        for (e, off) in [&self.inputs, run, sweep, cancel, csv]
            .into_iter()
            .zip([running, running, running, !running, nothing])
        {
            let _ = Reflect::set(e, &"disabled".into(), &off.into());
        }
        dom::set_data(&self.root, "state", phase_code(&p.phase));
        dom::set_text(&self.status, &p.status());
        dom::toggle_class(&self.status, "error", matches!(p.phase, Phase::Failed(_)));
        self.draw_progress(f.model);
    }

    /// A progress bar per run (built once per job, then only their values move) and the
    /// table of finished runs.
    fn draw_progress(&mut self, m: &Model) {
        let p = &m.experiment;
        let finished = p.rows.iter().filter(|r| r.measures.is_some()).count();
        if self.drawn.0 != p.job {
            let items: String = p
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    format!(
                        r#"<li><span>{}</span><progress data-testid="experiment-progress-{i}" max="{}" value="0"></progress></li>"#,
                        esc(&r.name),
                        r.total
                    )
                })
                .collect();
            self.progress.set_inner_html(&items);
            self.drawn = (p.job, usize::MAX);
        }
        let bars = self.progress.get_elements_by_tag_name("progress");
        for (i, r) in p.rows.iter().enumerate() {
            if let Some(bar) = bars.item(i as u32) {
                dom::set_attr(&bar, "value", &r.done.to_string());
            }
        }
        if self.drawn.1 != finished {
            // b_ratio drawn as a bar too (a <meter> from 0 to 1), so the runs compare at
            // a glance.
            let (_, rows) = p.table();
            let bars = p.rows.iter().filter_map(|r| r.measures);
            let html: String = rows
                .iter()
                .zip(bars)
                .map(|(row, m)| {
                    let cells: String = row[1..]
                        .iter()
                        .map(|c| format!("<td>{}</td>", esc(c)))
                        .collect();
                    format!(
                        r#"<tr><th scope="row">{}</th><td><meter min="0" max="1" value="{}" aria-hidden="true"></meter></td>{cells}</tr>"#,
                        esc(&row[0]),
                        m[0].clamp(0.0, 1.0)
                    )
                })
                .collect();
            self.body.set_inner_html(&html);
            self.drawn.1 = finished;
        }
    }
}

fn phase_code(p: &Phase) -> &'static str {
    match p {
        Phase::Idle => "idle",
        Phase::Running => "running",
        Phase::Cancelled => "cancelled",
        Phase::Done => "done",
        Phase::Failed(_) => "failed",
    }
}

/// `diceDebug.experiment()`: the panel's state, its config and result text, the table as
/// CSV, and the counters the browser tests read (frames drawn while running; training
/// steps taken in the page's own module, which must not move: the worker has its own).
pub fn debug(m: &Model) -> JsValue {
    let p = &m.experiment;
    let o = js_sys::Object::new();
    let text = |s: &Option<String>| s.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    let fields = [
        ("state", JsValue::from_str(phase_code(&p.phase))),
        ("job", p.job.into()),
        ("config", text(&p.config)),
        ("result", text(&p.result)),
        (
            "stepsPerSecond",
            p.steps_per_second.map_or(JsValue::NULL, JsValue::from_f64),
        ),
        ("frames", FRAMES.with(Cell::get).into()),
        (
            "mainThreadSteps",
            (crate::engine::train::steps_taken() as f64).into(),
        ),
        ("csv", JsValue::from_str(&p.csv())),
    ];
    for (k, v) in fields {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
    }
    o.into()
}
