"""The annotation page in real headless Chromium, driven by keyboard over the DevTools protocol.

Chromium is driven over ``--remote-debugging-pipe`` (the DevTools protocol as NUL-separated JSON on
file descriptors 3 and 4), so the test needs no browser-automation package and downloads nothing.
``MLPKG_SCREENSHOTS=docs`` also writes the README's screenshot to ``docs/label.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from base64 import b64decode
from pathlib import Path

import pytest
from label_helpers import (
    LABELS,
    ROOT,
    Server,
    fit_on_labels,
    fit_tiny_model,
    pool_rows,
    score,
    tagged_otherwise,
    training_rows_file,
    write_pool,
)

from mlpkg.label.store import LabelLog, labelled_rows, live_decisions

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium)")
KEYS = {"y": ("KeyY", 89), "n": ("KeyN", 78), "2": ("Digit2", 50), "Enter": ("Enter", 13), "s": ("KeyS", 83),
        "Backspace": ("Backspace", 8)}


class Browser:
    """Headless Chromium with one page, spoken to over the DevTools pipe."""

    def __init__(self, profile: Path):
        ours_to_chrome, self._w = os.pipe()
        self._r, chrome_to_ours = os.pipe()

        def fds() -> None:  # Chromium reads commands on fd 3 and writes replies on fd 4
            os.dup2(ours_to_chrome, 3)
            os.dup2(chrome_to_ours, 4)

        self.proc = subprocess.Popen(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--window-size=1280,860", "--hide-scrollbars", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(ours_to_chrome)
        os.close(chrome_to_ours)
        self._buf, self._next = b"", 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Emulation.setFocusEmulationEnabled", {"enabled": True}, session=True)
        self.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 860, "deviceScaleFactor": 1,
                                                         "mobile": False}, session=True)

    def call(self, method: str, params: dict | None = None, session: bool = False, timeout: float = 60) -> dict:
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while time.time() < deadline:
            while b"\0" in self._buf:
                raw, _, self._buf = self._buf.partition(b"\0")
                reply = json.loads(raw)
                if reply.get("id") == self._next:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        raise TimeoutError(method)

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, session=True)
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        self.call("Page.navigate", {"url": url}, session=True)

    def wait(self, expression: str, timeout: float = 60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(f"waited {timeout}s for {expression}")

    def press(self, key: str) -> None:
        code, vk = KEYS[key]
        text = {"Enter": "\r", "Backspace": ""}.get(key, key)
        self.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": key, "code": code, "text": text,
                                             "windowsVirtualKeyCode": vk}, session=True)
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code,
                                             "windowsVirtualKeyCode": vk}, session=True)

    def screenshot(self, path: Path) -> None:
        path.write_bytes(b64decode(self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]))

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        os.close(self._w)
        os.close(self._r)


CURRENT = "document.body.dataset.articleId"


def _label_by_keyboard(browser: Browser, order: list[str], start: int, n: int, keys: list[list[str]]) -> None:
    for k in range(start, start + n):
        assert browser.wait(f"{CURRENT} === {json.dumps(order[k])}"), k
        for key in keys[k % len(keys)]:
            browser.press(key)
        browser.wait(f"{CURRENT} !== {json.dumps(order[k])}")


def test_label_ten_by_keyboard_reload_resumes_kill_loses_nothing(tmp_path):
    rows = pool_rows(40)
    pool = write_pool(tmp_path / "pool.jsonl", rows)
    model = fit_tiny_model(tmp_path / "tagger")
    labels = tmp_path / "labels.jsonl"
    args = ("--pool", str(pool), "--labels", str(labels), "--model", str(model), "--tag", "koperasi")
    server = Server(*args)
    browser = Browser(tmp_path / "profile")
    try:
        with urllib.request.urlopen(f"{server.base}/api/queue?limit=40", timeout=30) as res:
            order = json.load(res)["ids"]
        page = f"{server.base}/?annotator=tester"
        browser.goto(page)
        # y: koperasi yes; n: no; 2 then Enter: umkm only
        keys = [["y"], ["n"], ["2", "Enter"], ["n"]]
        assert browser.wait(f"{CURRENT} === {json.dumps(order[0])}")
        assert browser.js("document.querySelectorAll('mark').length") > 0  # lexicon terms highlighted
        _label_by_keyboard(browser, order, 0, 10, keys)
        assert len(live_decisions(LabelLog(labels).events)[0]) == 10
        browser.call("Page.reload", session=True)
        assert browser.wait(f"{CURRENT} === {json.dumps(order[10])}")  # the queue resumes at the eleventh
        assert "labelled today 10" in browser.js("document.getElementById('progress').textContent")
        shot = tmp_path / "label.png"
        browser.screenshot(shot)
        assert shot.stat().st_size > 20_000
        if os.environ.get("MLPKG_SCREENSHOTS"):
            shutil.copy(shot, ROOT / os.environ["MLPKG_SCREENSHOTS"] / "label.png")

        _label_by_keyboard(browser, order, 10, 3, keys)
        server.kill()  # kill -9 mid-session
        decided = live_decisions(LabelLog(labels).events)[0]
        assert [decided[i].data["tags"] for i in order[:13]] == [
            [["koperasi"], [], ["umkm"], []][k % 4] for k in range(13)]
        assert all(decided[i].data["annotator"] == "tester" and decided[i].data["model_hash"] for i in order[:13])

        server = Server(*args)  # a restart resumes where the queue stopped
        browser.goto(f"{server.base}/?annotator=tester")
        assert browser.wait(f"{CURRENT} === {json.dumps(order[13])}")

        # a page of another origin (here a data: URL, origin "null") cannot write to the labels file
        before = labels.read_bytes()
        browser.goto("data:text/html,<title>elsewhere</title>")
        browser.wait("document.title === 'elsewhere'")
        outcome = browser.js(f"""fetch({json.dumps(server.base + '/api/skip')}, {{method: 'POST', mode: 'no-cors',
            headers: {{'Content-Type': 'text/plain'}}, body: JSON.stringify({{id: {json.dumps(order[13])},
            annotator: 'evil'}})}}).then(r => 'sent').catch(e => 'blocked')""")
        assert outcome in ("sent", "blocked")
        req = urllib.request.Request(f"{server.base}/api/skip", method="POST",
                                     data=json.dumps({"id": order[13], "annotator": "evil"}).encode(),
                                     headers={"Content-Type": "application/json", "Origin": "https://evil.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=30)
        assert refused.value.code == 403 and "without the token" in refused.value.read().decode()
        assert labels.read_bytes() == before
    finally:
        browser.close()
        server.kill()


def test_y_n_on_the_page_decide_the_queued_tag_alone_and_a_retrain_keeps_the_other_tags_score(tmp_path):
    data = training_rows_file(tmp_path / "data.parquet")
    base = fit_on_labels(data)
    base.save(tmp_path / "tagger")
    article, other = tagged_otherwise(base, "koperasi")  # queued for koperasi, the model says e.g. umkm
    before = score(base, article, other)
    assert before >= base.thresholds_[other]
    labels = tmp_path / "labels.jsonl"
    server = Server("--pool", str(write_pool(tmp_path / "pool.jsonl", [article])), "--labels", str(labels),
                    "--model", str(tmp_path / "tagger"), "--tag", "koperasi")
    browser = Browser(tmp_path / "profile")
    try:
        browser.goto(f"{server.base}/?annotator=tester")
        assert browser.wait(f"{CURRENT} === {json.dumps(article['id'])}")
        rows = browser.js("[...document.querySelectorAll('#tags .tag')].map(r => r.textContent + '=' + "
                          "r.dataset.decision)")
        assert rows == [f"{i}{t}yesno{'undecided'}={'undecided'}" for i, t in enumerate(LABELS, start=1)]
        browser.press("n")
        browser.wait(f"{CURRENT} === ''")  # saved: the one-article queue is empty
        browser.press("Backspace")  # only z undoes
        browser.wait("state.busy === false")  # a request it started (it must not) has been answered
        assert "koperasi no" in browser.js("document.getElementById('status').textContent")
    finally:
        browser.close()
        server.kill()
    (event,) = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()]
    assert event["tags"] == [] and event["rejected"] == ["koperasi"]
    (row,) = labelled_rows([labels], LABELS)
    assert row["undecided"] == [t for t in LABELS if t != "koperasi"]
    retrained = fit_on_labels(data, labels)
    assert abs(score(retrained, article, other) - before) < 0.02  # not learnt as a negative of the other tag
