// The page's on-demand worker (src/bin/paste_worker.rs): loads the module and answers
// each posted message, one at a time and in order (an Open still reading its files is not
// overtaken by a later pick). Messages posted while the module loads wait for it.
// - A string: a "Paste your loss" call (started by src/web/paste.rs); the answer is
//   `read`'s flat array.
// - "Your data" (started by src/web/yourdata.rs), an array [kind, files, first, slice,
//   classes, id] (an array is cheaper than an object in the page's first load): kind
//   'read' reads the files here, in the browser, with the CLI's readers; 'pick' and 'swap'
//   show another part of the pair read, or the pair the other way round. The answer is
//   {id, answer} with `show_pair`'s array: the fitted arrays, the status line and notes,
//   which the page places into its scene. Nothing is sent anywhere.
// A module that cannot load answers every message with {failed: why} (and the request's
// id), so the page says so and starts a new worker next time.
const why = (e) => (e && e.message ? e.message : String(e));

let loaded;
try {
  importScripts('./paste_worker.js');
  loaded = wasm_bindgen('./paste_worker_bg.wasm');
} catch (e) {
  loaded = Promise.reject(e);
}
// Reported per message below, not as an unhandled rejection.
loaded.catch(() => {});

async function yourData(d) {
  if (d.kind === 'read') {
    const files = Array.from(d.files);
    const names = files.map((f) => f.name);
    const pair = wasm_bindgen.assign_files(names);
    if (pair.length !== 2) return pair;
    const [yi, pi] = pair;
    let y;
    let p;
    try {
      y = new Uint8Array(await files[yi].arrayBuffer());
      p = yi === pi ? y : new Uint8Array(await files[pi].arrayBuffer());
    } catch (e) {
      return [`the files could not be read: ${why(e)}`];
    }
    const err = wasm_bindgen.read_pair(y, names[yi], p, names[pi]);
    if (err !== undefined) return [err];
  } else if (d.kind === 'swap') {
    wasm_bindgen.swap_pair();
  }
  // An empty field is -1: the first image, the middle slice, no class count.
  return wasm_bindgen.show_pair(Math.max(0, d.first), d.slice, Math.max(0, d.classes));
}

async function answer(d) {
  if (!Array.isArray(d)) {
    postMessage(wasm_bindgen.read(String(d)));
    return;
  }
  const [kind, files, first, slice, classes, id] = d;
  let out;
  try {
    out = await yourData({ kind, files, first, slice, classes });
  } catch (err) {
    out = [`the files could not be read: ${why(err)}`];
  }
  postMessage({ id, answer: out });
}

let queue = Promise.resolve();
onmessage = (e) => {
  const d = e.data;
  queue = queue.then(
    () =>
      loaded.then(
        () => answer(d),
        (err) =>
          postMessage({
            id: Array.isArray(d) ? d[5] : undefined,
            failed: `the worker could not start: ${why(err)}`,
          }),
      ),
  );
};
