// The Experiment panel's worker (started by src/web/experiment.rs on first use): loads the
// experiment module and runs each posted config (src/bin/experiment_worker.rs), which
// posts its progress and results. A config posted while the module loads waits for it; a
// module that cannot load answers it with ['error', why], which the page shows (and it
// starts a new worker for the next Run).
const why = (e) => (e && e.message ? e.message : String(e));

let loaded;
try {
  importScripts('./experiment_worker.js');
  loaded = wasm_bindgen('./experiment_worker_bg.wasm');
} catch (e) {
  loaded = Promise.reject(e);
}
loaded.catch(() => {});

onmessage = (e) =>
  loaded.then(
    () => wasm_bindgen.run(String(e.data)),
    (err) => postMessage(['error', `the worker could not start: ${why(err)}`]),
  );
