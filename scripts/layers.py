#!/usr/bin/env python3
"""Checks the architecture rules the README states and prints what it finds:

1. function sizes: no function in engine/src or src/page is longer than 150 lines, counted
   from its `fn` line to its closing brace (comments and blank lines included); functions
   inside `mod tests { … }` or in a `tests.rs` file are listed apart and not held to it;
2. layers: engine → present → page → web, each importing only the layers before it, and
   cli beside page, on engine and present only (`crate::…`, `super::…` and grouped
   `use crate::{…}` paths, test modules included);
3. one home each: the helpers that once had copies exist once (random generators, the
   by-id lookup, the XML escape, the button builder, the class namer, the label bit, the
   URL writer, the status listener, the scale fitting, the test and browser set-up).

Run from anywhere: python3 scripts/layers.py [--top N]. Exit 1 when a rule is broken.
"""

import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MAX_LINES = 150

# Which layers each layer may import (itself included).
ALLOWED = {
    "engine": {"engine"},
    "present": {"engine", "present"},
    "page": {"engine", "present", "page"},
    "cli": {"engine", "present", "cli"},
    "web": {"engine", "present", "page", "web"},
    "bin": {"engine", "present", "page", "cli", "web", "root"},
    "root": {"engine", "present", "page", "cli", "web", "root"},
}
LAYERS = ("engine", "present", "page", "cli", "web")


def blank(text, keep_strings=False):
    """`text` with comments (and, unless `keep_strings`, the insides of string and char
    literals) replaced by spaces; newlines stay, so line numbers are kept."""
    out = []
    i, n = 0, len(text)

    def spaces(s):
        return "".join(ch if ch == "\n" else " " for ch in s)

    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(spaces(text[i:j]))
            i = j
        elif c == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(spaces(text[i:j]))
            i = j
        elif (c == "r" or (c == "b" and nxt == "r")) and re.match(
            r'b?r#*"', text[i:i + 40]
        ) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'(b?r)(#*)"', text[i:])
            hashes = m.group(2)
            start = i + len(m.group(0))
            end = text.find('"' + hashes, start)
            end = n if end < 0 else end + 1 + len(hashes)
            body = text[i:end]
            if keep_strings:
                out.append(body)
            else:
                head = m.group(0)
                out.append(head + spaces(body[len(head):len(body) - 1 - len(hashes)]) + '"' + hashes)
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(text[i:j] if keep_strings else '"' + spaces(text[i + 1:j - 1]) + '"')
            i = j
        elif c == "'":
            # A char literal ('x', '\n', '\u{…}'), or a lifetime / label ('a).
            if nxt == "\\":
                j = text.find("'", i + 3)
                j = n if j < 0 else j + 1
            elif i + 2 < n and text[i + 2] == "'":
                j = i + 3
            else:
                out.append(c)
                i += 1
                continue
            out.append(text[i:j] if keep_strings else "'" + spaces(text[i + 1:j - 1]) + "'")
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def match_brace(text, open_at):
    """Index just past the brace that closes the one at `open_at` (in blanked text)."""
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return k + 1
    return len(text)


def line_of(text, at):
    return text.count("\n", 0, at) + 1


def rust_files(*dirs):
    for d in dirs:
        base = os.path.join(ROOT, d)
        if os.path.isfile(base):
            yield base
            continue
        for dirpath, _, files in os.walk(base):
            for f in sorted(files):
                if f.endswith(".rs"):
                    yield os.path.join(dirpath, f)


def rel(path):
    return os.path.relpath(path, ROOT)


def test_ranges(code):
    """(start, end) character ranges of `mod tests { … }` blocks."""
    ranges = []
    for m in re.finditer(r"\bmod\s+tests\s*\{", code):
        ranges.append((m.start(), match_brace(code, m.end() - 1)))
    return ranges


def functions(path):
    """(name, first line, lines, in test code) of every fn with a body in the file."""
    code = blank(open(path, encoding="utf-8").read())
    tests = test_ranges(code)
    whole_file_test = os.path.basename(path) == "tests.rs"
    out = []
    for m in re.finditer(r"\bfn\s+([A-Za-z_]\w*)", code):
        k = m.end()
        depth = 0
        while k < len(code):
            ch = code[k]
            if ch in "([<":
                depth += 1
            elif ch in ")]>" and depth > 0:
                # `->` is not a closing angle bracket.
                if not (ch == ">" and code[k - 1] == "-"):
                    depth -= 1
            elif ch == ";" and depth == 0:
                break
            elif ch == "{" and depth == 0:
                break
            k += 1
        if k >= len(code) or code[k] != "{":
            continue
        end = match_brace(code, k)
        first, last = line_of(code, m.start()), line_of(code, end - 1)
        in_test = whole_file_test or any(a <= m.start() < b for a, b in tests)
        out.append((m.group(1), first, last - first + 1, in_test))
    return out


def check_sizes(top):
    rows = []
    for path in rust_files("engine/src", "src/page"):
        for name, first, lines, in_test in functions(path):
            rows.append((lines, f"{rel(path)}:{first} fn {name}", in_test))
    code = sorted((r for r in rows if not r[2]), reverse=True)
    tests = sorted((r for r in rows if r[2]), reverse=True)
    over = [r for r in code if r[0] > MAX_LINES]
    print(f"function sizes (engine/src, src/page; at most {MAX_LINES} lines from `fn` to its closing brace)")
    print(f"  {len(code)} functions outside test modules; the longest:")
    for lines, where, _ in code[:top]:
        print(f"    {lines:4d}  {where}")
    print(f"  {len(tests)} test functions (mod tests, tests.rs); the longest:")
    for lines, where, _ in tests[:3]:
        print(f"    {lines:4d}  {where}")
    if over:
        print(f"  OVER {MAX_LINES} LINES:")
        for lines, where, _ in over:
            print(f"    {lines:4d}  {where}")
    else:
        print(f"  over {MAX_LINES} lines: none")
    return not over


def layer_of(path):
    parts = rel(path).split(os.sep)
    # The engine is a crate of its own (engine/src), re-exported as `crate::engine`.
    if parts[:2] == ["engine", "src"]:
        return "engine"
    if parts[0] != "src":
        return None
    if parts[1] in LAYERS:
        return parts[1]
    if parts[1] == "bin":
        return "bin"
    if parts[1] == "lib.rs":
        return "root"
    return None


def module_path(path):
    parts = rel(path)[:-3].split(os.sep)
    # engine/src/x.rs is the module engine::x, as re-exported by the root.
    parts = ["engine"] + parts[2:] if parts[:2] == ["engine", "src"] else parts[1:]
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


def root_names():
    """Names `src/lib.rs` re-exports, and the layer they come from."""
    text = blank(open(os.path.join(ROOT, "src", "lib.rs"), encoding="utf-8").read())
    names = {}
    for m in re.finditer(r"\bpub\s+use\s+(\w+)::([^;]*);", text):
        for name in re.findall(r"\b([A-Za-z_]\w*)\b", m.group(2)):
            names[name] = m.group(1)
    return names


def imported_layers(path, code, reexports):
    """(layer, line) of every path into a layer of the crate."""
    me = module_path(path)
    found = []

    def target(first):
        # Inside the engine's own crate `crate::` is the engine.
        if me[:1] == ["engine"]:
            return "engine"
        if first in LAYERS:
            return first
        return reexports.get(first, "root")

    for m in re.finditer(r"\b(?:crate|dice_playground)::(\{)?(\w+)?", code):
        if m.group(1):
            end = match_brace(code, m.start(1))
            inner = code[m.start(1) + 1:end - 1]
            depth, item, items = 0, "", []
            for ch in inner:
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                if ch == "," and depth == 0:
                    items.append(item)
                    item = ""
                else:
                    item += ch
            items.append(item)
            for it in items:
                first = re.match(r"\s*(\w+)", it)
                if first:
                    found.append((target(first.group(1)), line_of(code, m.start())))
        elif m.group(2):
            found.append((target(m.group(2)), line_of(code, m.start())))
    for m in re.finditer(r"\b((?:super::)+)(\w+)", code):
        ups = m.group(1).count("super")
        base = me[:-ups] if ups <= len(me) else []
        first = base[0] if base else m.group(2)
        found.append((target(first), line_of(code, m.start())))
    return found


def check_layers():
    reexports = root_names()
    bad = []
    counted = 0
    for path in rust_files("src", "engine/src"):
        mine = layer_of(path)
        if mine is None:
            continue
        code = blank(open(path, encoding="utf-8").read())
        for layer, line in imported_layers(path, code, reexports):
            counted += 1
            if layer not in ALLOWED[mine]:
                bad.append(f"{rel(path)}:{line}: {mine} imports {layer}")
    print("layers: engine → present → page → web; cli beside page, on engine and present")
    print(f"  {counted} paths into the crate's layers checked")
    if bad:
        print("  IMPORTS FROM A LAYER ABOVE (or beside):")
        for b in bad:
            print(f"    {b}")
    else:
        print("  violations: none")
    return not bad


def read(path, keep_strings=True):
    return blank(open(path, encoding="utf-8").read(), keep_strings=keep_strings)


def non_test(code):
    """`code` with its `mod tests` blocks blanked."""
    for a, b in reversed(test_ranges(code)):
        code = code[:a] + re.sub(r"[^\n]", " ", code[a:b]) + code[b:]
    return code


def places(pattern, dirs, skip=(), tests=True, keep_strings=True):
    """`path:line` of every match of `pattern` in the Rust files under `dirs`."""
    out = []
    for path in rust_files(*dirs):
        r = rel(path)
        if any(r == s or r.startswith(s + os.sep) for s in skip):
            continue
        code = read(path, keep_strings)
        if not tests:
            code = non_test(code)
            if os.path.basename(path) == "tests.rs":
                continue
        for m in re.finditer(pattern, code):
            out.append(f"{r}:{line_of(code, m.start())}")
    return out


def text_places(pattern, files):
    out = []
    for path in files:
        text = open(path, encoding="utf-8").read()
        for m in re.finditer(pattern, text):
            out.append(f"{rel(path)}:{line_of(text, m.start())}")
    return out


def functions_with(pattern, dirs):
    """The functions (path:line fn name) whose bodies match `pattern`."""
    out = set()
    for path in rust_files(*dirs):
        raw = read(path)
        code = blank(open(path, encoding="utf-8").read())
        fns = []
        for m in re.finditer(r"\bfn\s+([A-Za-z_]\w*)[^{;]*\{", code):
            fns.append((m.start(), match_brace(code, m.end() - 1), m.group(1)))
        for m in re.finditer(pattern, raw):
            inner = [f for f in fns if f[0] <= m.start() < f[1]]
            if inner:
                a, _, name = max(inner)
                out.add(f"{rel(path)}:{line_of(code, a)} fn {name}")
    return sorted(out)


def check_homes():
    e2e = [os.path.join(ROOT, "e2e", f) for f in sorted(os.listdir(os.path.join(ROOT, "e2e")))
           if f.endswith(".mjs")]
    rules = [
        # (what, places found, how many are allowed)
        ("random generators outside engine::rng (src, tests, benches)",
         places(r"0x9E37|0x9e37|6364136223846793005|\^=\s*\w+\s*<<\s*13|struct\s+SplitMix|fn\s+splitmix",
                ["src", "engine/src", "tests", "benches"], skip=["engine/src/rng.rs"]), 0),
        ("the by-id lookup `need` (src/web)", places(r"\bfn\s+need\b", ["src/web"]), 1),
        ("the XML escape `esc` (src)",
         places(r"\bfn\s+esc\b|replace\('<',\s*\"&lt;\"\)", ["src"]), 2),
        ("the button builder (src/web)", places(r"\bfn\s+button\b", ["src/web"]), 1),
        ("the class namer: \"class 0 (background)\" (src)",
         places(r"class 0 \(background\)", ["src"], tests=False), 1),
        ("the label bit `>= 0.5` outside page::levels (src/page, src/present, src/web)",
         places(r">=\s*0\.5\b", ["src/page", "src/present", "src/web"],
                skip=["src/page/levels.rs"], tests=False), 0),
        ("functions that write the address bar (src/web)",
         functions_with(r"_state_with_url\(", ["src/web"]), 1),
        ("label status listeners (src/web)",
         places(r"SettingsMsg::Status\b|Msg::Status\b", ["src/web"]), 1),
        ("colour scale fitting (src/page)", places(r"Scale::fit\(", ["src/page"], tests=False), 1),
        ("the dice binary's path in the integration tests",
         places(r"CARGO_BIN_EXE_dice", ["tests"]), 1),
        ("browser launches outside e2e/helpers.mjs",
         text_places(r"launchPersistentContext|browser = await launch\(\)",
                     [f for f in e2e if not f.endswith("helpers.mjs")]), 0),
    ]
    ok = True
    print("one home each")
    for what, found, allowed in rules:
        # The escape counts its definition and the one `replace` chain inside it.
        good = len(found) <= allowed if allowed else not found
        ok &= good
        mark = "" if good else "   <-- COPIES"
        print(f"  {len(found):3d}  {what}{mark}")
        if not good or len(found) <= 3:
            for f in found:
                print(f"         {f}")
    for path in ("tests/common/mod.rs", "benches/common/mod.rs"):
        exists = os.path.exists(os.path.join(ROOT, path))
        ok &= exists
        print(f"  {'yes' if exists else 'NO ':>3}  {path}")
    return ok


def main():
    top = 5
    if "--top" in sys.argv:
        top = int(sys.argv[sys.argv.index("--top") + 1])
    ok = check_sizes(top)
    print()
    ok &= check_layers()
    print()
    ok &= check_homes()
    print()
    print("architecture: ok" if ok else "architecture: RULES BROKEN")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
