#!/usr/bin/env python3
"""Opens the page of `wgan export --web` in headless Chromium and collects what it drew.

Serves DIR on 127.0.0.1 (any free port), loads index.html?selftest=1&seed=S, and waits for the
page to POST its report to /selftest: the grid of seed S and the walk image at 0 and at 0.5, each as
RGBA pixels, and the grid's generation time. Writes OUT/report.json (seed, grid_ms, the canvases'
sizes) and OUT/<canvas>.rgba (raw bytes). Exit 0 when the report came, 1 otherwise (with
Chromium's log). The C++ test compares the pixels with `wgan sample`.
Usage: browser_check.py DIR OUT SEED [CLASS]  (CLASS: a conditional model's class index)"""
import base64
import functools
import http.server
import json
import os
import signal
import subprocess
import sys
import threading

site, out, seed = sys.argv[1], sys.argv[2], sys.argv[3]
chosen_class = sys.argv[4] if len(sys.argv) > 4 else None
os.makedirs(out, exist_ok=True)
received = threading.Event()


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        report = json.loads(body)
        summary = {"seed": report["seed"], "grid_ms": report["grid_ms"]}
        for name in ("grid", "walk_start", "walk_middle"):
            canvas = report[name]
            with open(os.path.join(out, name + ".rgba"), "wb") as f:
                f.write(base64.b64decode(canvas["rgba"]))
            summary[name] = [canvas["height"], canvas["width"]]
        with open(os.path.join(out, "report.json"), "w") as f:
            json.dump(summary, f)
        self.send_response(204)
        self.end_headers()
        received.set()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=site))
threading.Thread(target=server.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d/index.html?selftest=1&seed=%s" % (server.server_address[1], seed)
if chosen_class is not None:
    url += "&class=" + chosen_class
# The profile stays under OUT: Chromium's helper processes may still write to it after the kill.
profile = os.path.join(out, "profile")
with open(os.path.join(out, "chromium.log"), "w") as log:
    browser = subprocess.Popen(
        ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", url],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    ok = received.wait(timeout=150)
    os.killpg(browser.pid, signal.SIGKILL)  # the browser and its helper processes
    browser.wait()
server.shutdown()
if not ok:
    with open(os.path.join(out, "chromium.log")) as f:
        sys.stderr.write("no report from the page within 150 s; chromium's log:\n" + f.read()[-4000:])
sys.exit(0 if ok else 1)
