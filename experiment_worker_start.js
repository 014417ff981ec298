// The Experiment panel's worker (started by src/web/experiment.rs on first use): loads the
// experiment module and runs each posted config (src/bin/experiment_worker.rs), which
// posts its progress and results. A config posted while the module loads waits for it.
importScripts('./experiment_worker.js');
const loaded = wasm_bindgen('./experiment_worker_bg.wasm');
onmessage = (e) => loaded.then(() => wasm_bindgen.run(String(e.data)));
