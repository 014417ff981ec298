// The page's on-demand worker (src/bin/paste_worker.rs): loads the module and answers
// each posted message. Messages posted while the module loads wait for it.
// - A string: a "Paste your loss" call (started by src/web/paste.rs); the answer is
//   `read`'s flat array.
// - {kind: 'read', y: File, pred: File} ("Your data", started by src/web/yourdata.rs):
//   the two files' bytes are read here, in the browser, by `read_array` (the CLI's
//   readers); the answer is {kind: 'read', y, pred}, each [dims, integer, values] or
//   [message]. Nothing is sent anywhere.
importScripts('./paste_worker.js');
const loaded = wasm_bindgen('./paste_worker_bg.wasm');

async function readFile(file, name) {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    return wasm_bindgen.read_array(bytes, file.name, name);
  } catch (e) {
    return [`${file.name} could not be read: ${e && e.message ? e.message : e}`];
  }
}

onmessage = (e) => loaded.then(async () => {
  const d = e.data;
  if (d && d.kind === 'read') {
    const y = await readFile(d.y, 'y');
    const pred = await readFile(d.pred, 'pred');
    const moved = [y, pred].filter((a) => a.length === 3).map((a) => a[2].buffer);
    postMessage({ kind: 'read', y, pred }, moved);
  } else {
    postMessage(wasm_bindgen.read(String(d)));
  }
});
