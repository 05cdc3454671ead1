"""Open a page in headless Chromium (DevTools protocol): console errors, network requests, the
presentation defects a reviewer sees (tests/page_checks.js), full-page screenshots.

The page is measured at the report's normal width (1200 px) and at a narrow one (800 px, a laptop
with a side panel), after its fonts have loaded; the defects are
- a word broken across lines in a table cell (header or body),
- a table of only headers,
- a figure (img, or a figure-sized svg) without alt text (nbconvert's "No description has been
  provided for this image" counts as none),
- the page wider than the window (sideways scrolling), naming what sticks out (a wide table in a
  box that scrolls on its own is fine).

Used by tests/test_reports_browser.py; also runnable by hand:
    python tests/chromium.py reports/index.html [reports/*.html ...] [--shots DIR]
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
CHECKS_JS = Path(__file__).with_name("page_checks.js")
WIDTHS = (1200, 800)  # the report's normal width; a laptop with a side panel


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
    #: one dict per defect and width: kind, width and, by kind, table / cell / word / shown or figure / under / alt
    defects: list[dict] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)

    @property
    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]

    def describe_defects(self, name: str | None = None) -> list[str]:
        """One readable line per defect: the same defect in several cells or at several widths is
        one line that says where (widths) and how often (cells)."""
        name = name or Path(self.url).name
        seen: dict[tuple, tuple[dict, dict[int, int]]] = {}
        for d in self.defects:
            key = (d["kind"], d.get("table"), d.get("tag"), d.get("cell"), d.get("word"), d.get("figure"), d["width"]
                   if d["kind"] == "page wider than the window" else None)  # fmt: skip
            widths = seen.setdefault(key, (d, {}))[1]
            widths[d["width"]] = widths.get(d["width"], 0) + 1
        lines = []
        for first, widths in seen.values():
            times = max(widths.values())
            where = ", ".join(f"{w} px" for w in widths) + (f"; {times} cells" if times > 1 else "")
            lines.append(f"{describe(first, name)} [at {where}]")
        return lines


def describe(defect: dict, report: str = "") -> str:
    """A defect of tests/page_checks.js in words: report, table caption, cell text, word."""
    where = f"{report}: " if report else ""
    kind = defect["kind"]
    if kind == "word broken across lines":
        return (f"{where}table {defect['table']!r}, {defect['tag']} cell {defect['cell']!r}: the word "
                f"{defect['word']!r} is broken across lines as {defect['shown']!r}")  # fmt: skip
    if kind == "table of only headers":
        return f"{where}table {defect['table']!r} has headers and no rows ({defect['cell']})"
    if kind == "figure without alt text":
        alt = "no alt text" if defect.get("alt") is None else f"alt text {defect['alt']!r}"
        return f"{where}figure {defect['figure']} under {defect.get('under') or '(no heading)'!r} has {alt}"
    if kind == "page wider than the window":
        return (f"{where}the page is {defect['page_width']} px wide in a {defect['window_width']} px window "
                f"(sideways scrolling); sticking out: {'; '.join(defect['elements']) or '?'}")  # fmt: skip
    return f"{where}{kind}: {defect}"


class Chromium:
    """One headless Chromium; `inspect` opens each page in a fresh tab. Use as a context manager."""

    def __init__(self, timeout: float = 60.0):
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None
        self.profile = ""
        self.port = ""

    def __enter__(self) -> Chromium:
        binary = find_chromium()
        if binary is None:
            raise RuntimeError("chromium not found")
        self.profile = tempfile.mkdtemp(prefix="connlab-chromium-")
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--hide-scrollbars", "--font-render-hinting=none",
                "--remote-debugging-port=0", "--remote-allow-origins=*", f"--user-data-dir={self.profile}",
                f"--window-size={WIDTHS[0]},900", "about:blank"]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port_file = Path(self.profile) / "DevToolsActivePort"
            deadline = time.time() + self.timeout
            while not (port_file.exists() and port_file.read_text().strip()):
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("chromium did not start its DevTools endpoint")
                time.sleep(0.05)
            self.port = port_file.read_text().split()[0]
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)

    def _http(self, path: str, method: str = "GET") -> bytes:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def inspect(self, path: str | Path, screenshot: str | Path | None = None, *,
                widths: tuple[int, ...] = WIDTHS, max_height: int = 30000) -> PageReport:  # fmt: skip
        """Load `path`; record console errors and every request; at each width (the first is the
        page's own) run tests/page_checks.js and, when `screenshot` is given, save a full-page PNG
        there (the first width) and beside it as <stem>-<width>px.png (the others)."""
        import websocket  # websocket-client (test extra)

        if not Path(path).is_file():  # chromium would show its own error page, with no error to see
            raise FileNotFoundError(path)
        url = Path(path).resolve().as_uri()
        report = PageReport(url)
        target = json.loads(self._http("/json/new?about:blank", method="PUT"))
        ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=self.timeout)
        counter = iter(range(1, 10**6))
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

        def send(method, **params):
            msg_id = next(counter)
            ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
            while True:
                msg = json.loads(ws.recv())
                if msg.get("id") == msg_id:
                    if "error" in msg:
                        raise RuntimeError(f"{method}: {msg['error']}")
                    return msg.get("result", {})
                handle(msg)

        def viewport(width, height=900):
            send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                 mobile=False)  # fmt: skip

        def check() -> dict:
            result = send("Runtime.evaluate", expression=CHECKS_JS.read_text(encoding="utf-8"),
                          awaitPromise=True, returnByValue=True)  # fmt: skip
            if "exceptionDetails" in result:
                raise RuntimeError(f"page_checks.js failed on {url}: {result['exceptionDetails']}")
            return json.loads(result["result"]["value"])

        try:
            for domain in ("Network", "Runtime", "Log", "Page"):
                send(f"{domain}.enable")
            viewport(widths[0])
            send("Page.navigate", url=url)
            deadline = time.time() + self.timeout
            while not loaded["done"]:
                if time.time() > deadline:
                    raise RuntimeError(f"{url} did not load in {self.timeout:.0f} s")
                handle(json.loads(ws.recv()))
            settle = time.time() + 1.0  # late requests (fonts, lazy scripts)
            ws.settimeout(0.2)
            while time.time() < settle:
                try:
                    handle(json.loads(ws.recv()))
                except websocket.WebSocketTimeoutException:
                    pass
            ws.settimeout(self.timeout)
            for i, width in enumerate(widths):
                viewport(width)
                found = check()
                if found["width"] != width:
                    raise RuntimeError(f"the page measured {found['width']} px wide, not {width}")
                report.defects += [{**d, "width": width} for d in found["defects"]]
                if i == 0:
                    report.title, report.text = found["title"], found["text"]
                if screenshot is not None:
                    shot = Path(screenshot)
                    if i:
                        shot = shot.with_name(f"{shot.stem}-{width}px{shot.suffix}")
                    metrics = send("Page.getLayoutMetrics")
                    viewport(width, min(int(metrics["cssContentSize"]["height"]) + 1, max_height))
                    data = send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
                    shot.write_bytes(base64.b64decode(data))
                    report.screenshots.append(shot)
        finally:
            ws.close()
            try:
                self._http(f"/json/close/{target['id']}")
            except OSError:
                pass
        return report


def inspect_page(path: str | Path, screenshot: str | Path | None = None, *, widths: tuple[int, ...] = WIDTHS,
                 timeout: float = 60.0) -> PageReport:  # fmt: skip
    """`Chromium.inspect` in a browser of its own."""
    with Chromium(timeout) as browser:
        return browser.inspect(path, screenshot, widths=widths)


if __name__ == "__main__":
    args = sys.argv[1:]
    shots = None
    if "--shots" in args:
        i = args.index("--shots")
        shots = Path(args[i + 1])
        shots.mkdir(parents=True, exist_ok=True)
        del args[i : i + 2]
    with Chromium() as browser:
        for page in args:
            result = browser.inspect(page, shots / f"{Path(page).stem}.png" if shots else None)
            print(json.dumps({"page": page, "title": result.title, "console_errors": result.console_errors,
                              "external_requests": result.external_requests, "requests": len(result.requests),
                              "defects": result.describe_defects()}, indent=2, ensure_ascii=False))  # fmt: skip
