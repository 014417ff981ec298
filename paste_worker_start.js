// The page's on-demand worker (src/bin/paste_worker.rs): loads the module and answers
// each posted message. Messages posted while the module loads wait for it.
// - A string: a "Paste your loss" call (started by src/web/paste.rs); the answer is
//   `read`'s flat array.
// - "Your data" (started by src/web/yourdata.rs), an array [kind, files, first, slice,
//   classes, the page's link] (an array is cheaper than an object in the page's first
//   load): kind 'read' reads the files here, in the browser, with the CLI's readers;
//   'pick' and 'swap' show another part of the pair read, or the pair the other way
//   round. The answer is {kind: 'shown', answer} with `show_pair`'s array: the scene as a
//   link the page opens, the status line and notes. Nothing is sent anywhere.
importScripts('./paste_worker.js');
const loaded = wasm_bindgen('./paste_worker_bg.wasm');

const why = (e) => (e && e.message ? e.message : String(e));

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
      return [`The files could not be read: ${why(e)}`];
    }
    const err = wasm_bindgen.read_pair(y, names[yi], p, names[pi]);
    if (err !== undefined) return [err];
  } else if (d.kind === 'swap') {
    wasm_bindgen.swap_pair();
  }
  // An empty field is -1: the first image, the middle slice, no class count.
  return wasm_bindgen.show_pair(Math.max(0, d.first), d.slice, Math.max(0, d.classes), d.hash);
}

onmessage = (e) =>
  loaded.then(async () => {
    const d = e.data;
    if (Array.isArray(d)) {
      const [kind, files, first, slice, classes, hash] = d;
      let answer;
      try {
        answer = await yourData({ kind, files, first, slice, classes, hash });
      } catch (err) {
        answer = [`The files could not be read: ${why(err)}`];
      }
      // A pick before any pair was read has nothing to show.
      if (answer.length === 0) return;
      postMessage({ kind: 'shown', answer });
    } else {
      postMessage(wasm_bindgen.read(String(d)));
    }
  });
