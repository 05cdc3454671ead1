"""Open a page in headless Chromium (DevTools protocol): console errors, network requests, screenshot.

Used by tests/test_reports_browser.py; also runnable by hand:
    python tests/chromium.py reports/index.html /tmp/index.png
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageReport:
    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    title: str = ""
    text: str = ""

    @property
    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


def inspect_page(path: str | Path, screenshot: str | Path | None = None, *, width: int = 1200,
                 max_height: int = 8000, timeout: float = 60.0) -> PageReport:  # fmt: skip
    """Load `path` in headless Chromium; record console errors and every request; screenshot."""
    import websocket  # websocket-client (test extra)

    binary = find_chromium()
    if binary is None:
        raise RuntimeError("chromium not found")
    url = Path(path).resolve().as_uri()
    profile = tempfile.mkdtemp(prefix="connlab-chromium-")
    args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--remote-debugging-port=0", "--remote-allow-origins=*",
            f"--user-data-dir={profile}", f"--window-size={width},900", "about:blank"]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report = PageReport(url)
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.time() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t.get("type") == "page")
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=timeout)
        counter = iter(range(1, 10**6))

        def send(method, **params):
            msg_id = next(counter)
            ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
            while True:
                msg = json.loads(ws.recv())
                if msg.get("id") == msg_id:
                    return msg.get("result", {})
                handle(msg)

        loaded = {"done": False}

        def handle(msg):
            method, params = msg.get("method"), msg.get("params", {})
            if method == "Network.requestWillBeSent":
                report.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                report.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                                      for a in params.get("args", [])))  # fmt: skip
            elif method == "Runtime.exceptionThrown":
                report.console_errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                report.console_errors.append(params["entry"].get("text", ""))
            elif method == "Page.loadEventFired":
                loaded["done"] = True

        for domain in ("Network", "Runtime", "Log", "Page"):
            send(f"{domain}.enable")
        send("Page.navigate", url=url)
        while not loaded["done"] and time.time() < deadline:
            handle(json.loads(ws.recv()))
        settle = time.time() + 1.0  # late requests (fonts, lazy scripts)
        ws.settimeout(0.2)
        while time.time() < settle:
            try:
                handle(json.loads(ws.recv()))
            except websocket.WebSocketTimeoutException:
                pass
        ws.settimeout(timeout)
        value = send("Runtime.evaluate", expression="JSON.stringify([document.title, document.body.innerText])",
                     returnByValue=True)["result"]["value"]  # fmt: skip
        report.title, report.text = json.loads(value)
        if screenshot is not None:
            metrics = send("Page.getLayoutMetrics")
            height = min(int(metrics["cssContentSize"]["height"]) + 1, max_height)
            send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                 mobile=False)  # fmt: skip
            shot = send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
        ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
    return report


if __name__ == "__main__":
    result = inspect_page(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
    print(json.dumps({"title": result.title, "console_errors": result.console_errors,
                      "external_requests": result.external_requests, "requests": len(result.requests)},
                     indent=2))  # fmt: skip
