#!/usr/bin/env python3
"""Trunk post-build hook (see Trunk.toml): fills in the Content-Security-Policy of index.html.

The policy itself is written in index.html. Its script-src names the inline start-up script
that trunk writes (it imports the hashed .js file, so its text changes with every build)
by hash: this hook replaces the placeholder 'sha256-TRUNK-START-SCRIPT' with the sha256 of
every inline <script> trunk left in the page (the start-up script; with `trunk serve` also
its live-reload script, whose serve-time placeholders it fills in first). Without the hook the placeholder stays, the browser runs no
inline script and the page does not start: a missing hook cannot pass unnoticed.
"""

import base64
import hashlib
import os
import re
import sys

PLACEHOLDER = "'sha256-TRUNK-START-SCRIPT'"

# `trunk serve` fills these into its live-reload script as it serves the page (the address
# from the request), which would change the script after it was hashed: they are filled in
# here instead, the address as the page's own host.
SERVE_TIME = {
    "'{{__TRUNK_ADDRESS__}}'": "window.location.host",
    "`{{__TRUNK_ADDRESS__}}`": "window.location.host",
}


def main() -> int:
    staging = os.environ.get("TRUNK_STAGING_DIR")
    if not staging:
        print("csp.py: TRUNK_STAGING_DIR is not set (run by trunk as a post_build hook)", file=sys.stderr)
        return 2
    path = os.path.join(staging, os.environ.get("TRUNK_HTML_OUTPUT", "index.html"))
    with open(path, encoding="utf-8") as f:
        html = f.read()
    if PLACEHOLDER not in html:
        print(f"csp.py: no {PLACEHOLDER} in {path}", file=sys.stderr)
        return 1
    ws_base = os.environ.get("TRUNK_PUBLIC_URL", "/")
    if not ws_base.endswith("/"):
        ws_base += "/"

    def fill(m: re.Match) -> str:
        body = m.group(2)
        for k, v in SERVE_TIME.items():
            body = body.replace(k, v)
        body = body.replace("{{__TRUNK_WS_BASE__}}", ws_base)
        return m.group(1) + body + m.group(3)

    # Inline scripts only: a <script src=…> is allowed by 'self'.
    inline = re.compile(r"(<script(?![^>]*\bsrc=)[^>]*>)(.*?)(</script>)", flags=re.S)
    html = inline.sub(fill, html)
    scripts = [m.group(2) for m in inline.finditer(html)]
    if not scripts:
        print(f"csp.py: no inline start-up script in {path}", file=sys.stderr)
        return 1
    hashes = []
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        source = f"'sha256-{digest}'"
        if source not in hashes:
            hashes.append(source)
    html = html.replace(PLACEHOLDER, " ".join(hashes))
    with open(path, "w", encoding="utf-8") as f:
        f.write(html)
    return 0


if __name__ == "__main__":
    sys.exit(main())
