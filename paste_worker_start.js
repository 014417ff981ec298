// The "Paste your loss" worker (started by src/web/paste.rs on first use): loads the
// reader module and answers each posted call with its `read` (src/bin/paste_worker.rs).
// Calls posted while the module loads wait for it.
importScripts('./paste_worker.js');
const loaded = wasm_bindgen('./paste_worker_bg.wasm');
onmessage = (e) => loaded.then(() => postMessage(wasm_bindgen.read(String(e.data))));
