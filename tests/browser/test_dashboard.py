#!/usr/bin/python3
"""The dashboard in a real headless Chromium, against a real fnqd.

Run by scripts/test.sh and ctest (dashboard_browser):
    FNQD_BIN=build/fnqd /usr/bin/python3 tests/browser/test_dashboard.py
Needs Debian's chromium, chromium-driver and python3-selenium. Screenshots of
every page at 1280x800 and 390x844 go to $FNQ_UI_SCREENSHOTS (default:
ui-screenshots beside fnqd). Every test fails on a JavaScript console error.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

FNQD = os.environ.get("FNQD_BIN", "")
SHOTS = os.environ.get("FNQ_UI_SCREENSHOTS") or os.path.join(
    os.path.dirname(os.path.abspath(FNQD or ".")), "ui-screenshots")
SIZES = [(1280, 800), (390, 844)]


def wait_for(what, pred, timeout=20.0, interval=0.1):
    """pred() until it returns something true, or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # the page may be between two refreshes
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class Fnqd:
    """A real fnqd on 127.0.0.1:0 with a temp state dir."""

    def __init__(self, auth="token"):
        self.dir = tempfile.mkdtemp(prefix="fnq-ui-")
        self.state = os.path.join(self.dir, "state")
        self.log = open(os.path.join(self.dir, "fnqd.log"), "wb")
        self.proc = subprocess.Popen(
            [FNQD, "--state-dir", self.state, "--listen", "127.0.0.1:0", "--auth", auth,
             "--max-inflight", "8", "--shutdown-grace", "1s", "--kill-grace", "1s"],
            stdout=self.log, stderr=subprocess.STDOUT)
        info = os.path.join(self.state, "fnqd.json")
        wait_for("fnqd.json", lambda: os.path.exists(info) and os.path.getsize(info) > 0)
        with open(info) as f:
            self.url = json.load(f)["url"]
        self.token = ""
        if auth == "token":
            with open(os.path.join(self.state, "token")) as f:
                self.token = f.read().strip()

    def request(self, method, path, body=None, headers=None, bearer=True):
        data = None if body is None else json.dumps(body).encode()
        h = dict(headers or {})
        if bearer and self.token:
            h["Authorization"] = "Bearer " + self.token
        if data is not None:
            h["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def json(self, method, path, body=None):
        status, data, _ = self.request(method, path, body)
        if status >= 300:
            raise AssertionError(f"{method} {path}: {status} {data!r}")
        return json.loads(data)

    def add_function(self, name, command, **settings):
        self.json("PUT", f"/v1/functions/{name}", dict(name=name, command=command, **settings))

    def submit(self, function, data=""):
        return self.json("POST", "/v1/calls", {"function": function, "input": data})["id"]

    def call(self, call_id):
        return self.json("GET", f"/v1/calls/{call_id}")

    def wait_state(self, call_id, states):
        return wait_for(f"call {call_id} in {states}",
                        lambda: self.call(call_id)["state"] in states and self.call(call_id))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def new_browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,800", "--no-first-run", "--disable-extensions"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(30)
    return driver


def png_is_blank(path):
    """True when the PNG shows (nearly) one colour: its decompressed
    scanlines then hold only a handful of distinct byte values."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat = 8, b""
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return len(set(raw)) < 24


class DashboardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not FNQD or not os.access(FNQD, os.X_OK):
            raise unittest.SkipTest("FNQD_BIN is not set to the fnqd binary")
        os.makedirs(SHOTS, exist_ok=True)
        cls.fnqd = Fnqd()
        cls.work = tempfile.mkdtemp(prefix="fnq-ui-work-")
        w = cls.work
        f = cls.fnqd
        f.add_function("ok", ["sh", "-c", 'echo "out-$FNQ_CALL_ID"; echo err-line >&2'])
        f.add_function("fail", ["sh", "-c", "echo bad-thing >&2; exit 3"], max_retries=0)
        f.add_function("gate", ["sh", "-c", f"while [ ! -e {w}/open-gate ]; do sleep 0.1; done"],
                       concurrency=1)
        f.add_function("flag", ["sh", "-c",
                                f'while [ ! -e {w}/go-$FNQ_CALL_ID ]; do sleep 0.1; done; echo finished-ok'])
        f.add_function("flaky", ["sh", "-c",
                                 f'if [ -e {w}/tried-$FNQ_CALL_ID ]; then echo second-try; '
                                 f'else touch {w}/tried-$FNQ_CALL_ID; exit 1; fi'], max_retries=0)
        f.add_function("twice", ["sh", "-c", '[ "$FNQ_ATTEMPT" -ge 3 ] || exit $((FNQ_ATTEMPT + 2))'],
                       max_retries=2, retry_backoff="100ms")
        f.add_function("sleeper", ["sh", "-c", f'echo $$ > {w}/pid-$FNQ_CALL_ID; exec sleep 300'])
        cls.driver = new_browser()

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "driver"):
            cls.driver.quit()
        if hasattr(cls, "fnqd"):
            open(os.path.join(cls.work, "open-gate"), "w").close()
            cls.fnqd.stop()
            shutil.rmtree(cls.work, ignore_errors=True)

    def setUp(self):
        self.allowed_console = []  # substrings of console entries a test expects

    def tearDown(self):
        errors = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE" and
                  not any(a in e["message"] for a in self.allowed_console)]
        self.assertEqual(errors, [], "JavaScript console errors")

    # ---- helpers ----

    def open(self, path):
        self.driver.get(self.fnqd.url + path)

    def text(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def wait_text(self, css, pred, what, timeout=20.0):
        """The element's text, once pred(text) holds."""
        def check():
            t = self.text(css)
            return t if pred(t) else None
        return wait_for(what, check, timeout)

    def sign_in(self):
        self.open("/ui/")
        token = wait_for("the sign-in form", lambda: self.driver.find_element(By.ID, "token"))
        token.send_keys(self.fnqd.token + Keys.ENTER)
        wait_for("the overview", lambda: self.driver.find_element(By.ID, "state-counts"))

    def rows(self, table_id):
        return [r.get_attribute("data-call-id") for r in
                self.driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr[data-call-id]")]

    def tile(self, state):
        return self.text(f'#state-counts [data-count-state="{state}"] .n')

    def confirm(self):
        wait_for("the confirmation", lambda: self.driver.find_element(By.ID, "confirm-yes")).click()

    def screenshot(self, name):
        for w, hgt in SIZES:
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": w, "height": hgt, "deviceScaleFactor": 1, "mobile": w < 600})
            time.sleep(0.3)  # layout after the resize
            path = os.path.join(SHOTS, f"{name}-{w}x{hgt}.png")
            self.assertTrue(self.driver.save_screenshot(path), path)
            self.assertFalse(png_is_blank(path), f"{path} is blank")
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # ---- tests, in order ----

    def test_01_sign_in(self):
        self.open("/ui/")
        token = wait_for("the sign-in form", lambda: self.driver.find_element(By.ID, "token"))
        self.screenshot("signin")
        # A wrong token: refused with the API's 401, said plainly.
        self.allowed_console = ["/ui/session - Failed to load resource: the server responded with a status of 401"]
        token.send_keys("0" * 64 + Keys.ENTER)
        msg = self.wait_text("#signin-message", lambda t: "401" in t, "the refusal")
        self.assertIn("wrong token", msg)
        self.assertEqual(self.driver.get_cookies(), [])
        # The right one: a session cookie, HttpOnly and SameSite=Strict.
        token = self.driver.find_element(By.ID, "token")
        token.send_keys(self.fnqd.token + Keys.ENTER)
        wait_for("the overview", lambda: self.driver.find_element(By.ID, "state-counts"))
        cookies = self.driver.get_cookies()
        self.assertEqual(len(cookies), 1, cookies)
        c = cookies[0]
        self.assertEqual(c["name"], "fnq_session")
        self.assertTrue(c["httpOnly"])
        self.assertEqual(c["sameSite"], "Strict")
        self.assertIn("expiry", c)
        self.assertEqual(self.driver.execute_script("return document.cookie"), "")
        self.assertNotIn(self.fnqd.token, self.driver.current_url)
        # The token is in no log line.
        with open(os.path.join(self.fnqd.dir, "fnqd.log"), "rb") as f:
            self.assertNotIn(self.fnqd.token.encode(), f.read())

    def test_02_csrf(self):
        cookie = self.driver.get_cookie("fnq_session")["value"]
        h = {"Cookie": "fnq_session=" + cookie}
        status, _, _ = self.fnqd.request("GET", "/v1/stats", headers=h, bearer=False)
        self.assertEqual(status, 200)
        cid = self.fnqd.submit("ok")
        self.fnqd.wait_state(cid, {"succeeded"})
        status, body, _ = self.fnqd.request("POST", f"/v1/calls/{cid}/retry", headers=h, bearer=False)
        self.assertEqual(status, 403, body)
        self.assertIn(b"CSRF", body)
        status, _, _ = self.fnqd.request("POST", f"/v1/calls/{cid}/retry",
                                         headers=dict(h, **{"X-Fnq-Csrf": "0" * 64}), bearer=False)
        self.assertEqual(status, 403)
        status, body, _ = self.fnqd.request("GET", "/v1/stats", headers={"Cookie": "fnq_session=nope"},
                                            bearer=False)
        self.assertEqual(status, 401)
        # With the session's CSRF value (from GET /ui/session) it is let through.
        status, body, _ = self.fnqd.request("GET", "/ui/session", headers=h, bearer=False)
        csrf = json.loads(body)["csrf"]
        status, body, _ = self.fnqd.request("POST", f"/v1/calls/{cid}/retry",
                                            headers=dict(h, **{"X-Fnq-Csrf": csrf}), bearer=False)
        self.assertEqual(status, 409, body)  # let in; a succeeded call is not retried
        DashboardTest.extra_ok = cid

    def test_03_overview_counts(self):
        f = self.fnqd
        ok = [f.submit("ok") for _ in range(3)]
        fail = [f.submit("fail") for _ in range(2)]
        gate = [f.submit("gate") for _ in range(3)]  # concurrency 1: one runs, two wait queued
        for cid in ok:
            f.wait_state(cid, {"succeeded"})
        for cid in fail:
            f.wait_state(cid, {"failed"})
        f.wait_state(gate[0], {"running"})
        DashboardTest.ok_ids, DashboardTest.fail_ids = ok, fail
        self.open("/ui/")
        expected = {"succeeded": "4", "failed": "2", "running": "1", "queued": "2", "timed_out": "0"}
        wait_for("the overview's counts", lambda: all(self.tile(s) == n for s, n in expected.items()))
        row = '#function-table tr[data-function="fail"] td[data-state="failed"]'
        self.assertEqual(self.text(row), "2")
        failures = self.rows("failures-table")
        self.assertEqual(set(failures), set(fail))
        wait_for("the running call", lambda: self.rows("running-table") == [gate[0]])
        # 4 succeeded and 2 failed ended in the last hour: a third failed.
        self.assertEqual(self.text("#failure-rate"), "6 in the last hour · 33.3% failed")
        self.assertTrue(self.text("#fact-version"))
        self.screenshot("overview")

    def test_04_calls_filtered_by_state(self):
        self.open("/ui/calls?state=failed")
        wait_for("the failed calls", lambda: set(self.rows("calls-table")) == set(self.fail_ids))
        self.assertEqual(len(self.rows("calls-table")), 2)
        states = {r.get_attribute("data-call-state") for r in
                  self.driver.find_elements(By.CSS_SELECTOR, "#calls-table tbody tr")}
        self.assertEqual(states, {"failed"})
        self.screenshot("calls-failed")
        # The error text filter, typed into the form: the URL carries it.
        box = self.driver.find_element(By.ID, "filter-text")
        box.send_keys("exit status 3" + Keys.ENTER)
        wait_for("the URL", lambda: "text=exit+status+3" in self.driver.current_url)
        wait_for("the error search", lambda: set(self.rows("calls-table")) == set(self.fail_ids))

    def test_05_text_filter_by_prefix(self):
        target = self.ok_ids[1]
        self.open("/ui/calls")
        box = wait_for("the filter", lambda: self.driver.find_element(By.ID, "filter-text"))
        box.send_keys(target[:8] + Keys.ENTER)
        wait_for("the URL", lambda: f"text={target[:8]}" in self.driver.current_url)
        rows = wait_for("the prefix match", lambda: target in self.rows("calls-table") and self.rows("calls-table"))
        self.assertTrue(all(r.startswith(target[:8]) for r in rows), rows)
        self.open(f"/ui/calls?function=ok&text={target[:8]}")
        wait_for("the prefix match with a function", lambda: target in self.rows("calls-table"))
        self.screenshot("calls")

    def test_06_call_page_shows_output_and_stderr(self):
        cid = self.ok_ids[0]
        self.open(f"/ui/calls/{cid}")
        self.wait_text("#pre-output", lambda t: t.strip() == f"out-{cid}", "the output")
        self.wait_text("#pre-stderr", lambda t: t.strip() == "err-line", "the stderr")
        link = self.driver.find_element(By.ID, "download-output")
        self.assertTrue(link.get_attribute("href").endswith(f"/v1/calls/{cid}/output"))
        self.assertEqual(self.driver.find_elements(By.ID, "retry"), [])  # succeeded: no retry
        self.screenshot("call")

    def test_07_retry_reruns_and_updates(self):
        cid = self.fnqd.submit("flaky")
        self.fnqd.wait_state(cid, {"failed"})
        self.open(f"/ui/calls/{cid}")
        wait_for("the retry button", lambda: self.driver.find_element(By.ID, "retry")).click()
        self.confirm()
        self.driver.execute_script("window.fnqNoReload = 1")
        self.wait_text("#call-state", lambda t: "succeeded" in t, "the retried call's success", 15)
        self.assertEqual(self.driver.execute_script("return window.fnqNoReload"), 1)
        self.wait_text("#pre-output", lambda t: "second-try" in t, "the second output")
        self.assertEqual(self.fnqd.call(cid)["attempt"], 2)
        # The first attempt, run again by hand, stays in the timeline.
        self.wait_text("#timeline", lambda t: "Attempt 1: failed, exit 1" in t and "Attempt 2 started" in t,
                       "both attempts in the timeline")

    def test_08_cancel_stops_the_process(self):
        cid = self.fnqd.submit("sleeper")
        self.fnqd.wait_state(cid, {"running"})
        pidfile = os.path.join(self.work, f"pid-{cid}")
        def read_pid():
            if not os.path.exists(pidfile):
                return ""
            with open(pidfile) as f:
                return f.read().strip()
        pid = int(wait_for("the pid file", read_pid))
        self.open(f"/ui/calls/{cid}")
        wait_for("the cancel button", lambda: self.driver.find_element(By.ID, "cancel")).click()
        self.confirm()
        self.wait_text("#call-state", lambda t: "cancelled" in t, "the cancelled state", 15)

        def gone():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            with open(f"/proc/{pid}/stat") as f:  # a zombie is gone too
                return f.read().split(") ")[1].startswith("Z")
        wait_for("the process to end", gone)

    def test_09_finishing_call_updates_open_page(self):
        cid = self.fnqd.submit("flag")
        self.fnqd.wait_state(cid, {"running"})
        self.open(f"/ui/calls/{cid}")
        self.wait_text("#call-state", lambda t: "running" in t, "the running state")
        self.driver.execute_script("window.fnqNoReload = 1; window.scrollTo(0, 200)")
        open(os.path.join(self.work, f"go-{cid}"), "w").close()
        self.wait_text("#call-state", lambda t: "succeeded" in t, "the finished state", 15)
        self.wait_text("#pre-output", lambda t: "finished-ok" in t, "the output")
        self.assertEqual(self.driver.execute_script("return window.fnqNoReload"), 1)

    def test_10_functions_pages(self):
        self.open("/ui/functions")
        wait_for("the functions", lambda: self.driver.find_element(
            By.CSS_SELECTOR, '#functions-table tr[data-function="fail"]'))
        self.screenshot("functions")
        self.open("/ui/functions/fail")
        wait_for("the function's calls", lambda: set(self.fail_ids) <= set(self.rows("recent-table")))
        self.assertEqual(self.tile("failed"), "2")
        self.screenshot("function")

    def test_11_pause_stops_refreshing(self):
        self.open("/ui/")
        pause = wait_for("the pause button", lambda: self.driver.find_element(By.ID, "pause"))
        pause.click()
        wait_for("paused", lambda: pause.get_attribute("aria-pressed") == "true")
        before = self.tile("succeeded")
        cid = self.fnqd.submit("ok")
        self.fnqd.wait_state(cid, {"succeeded"})
        time.sleep(3)  # longer than a refresh: the page must not have changed
        self.assertEqual(self.tile("succeeded"), before)
        pause.click()
        wait_for("the refreshed count", lambda: int(self.tile("succeeded")) == int(before) + 1)

    def test_12_keyboard(self):
        self.open("/ui/")
        wait_for("the page", lambda: self.driver.find_element(By.ID, "state-counts"))
        body = self.driver.find_element(By.TAG_NAME, "body")
        seen = set()
        for _ in range(8):
            body.send_keys(Keys.TAB)
            seen.add(self.driver.execute_script("return document.activeElement.textContent"))
        self.assertTrue({"Calls", "Functions"} <= seen, seen)

    def test_13_call_page_lists_every_attempt(self):
        cid = self.fnqd.submit("twice")
        call = self.fnqd.wait_state(cid, {"succeeded"})
        self.assertEqual(len(call["attempts"]), 2, call)
        self.open(f"/ui/calls/{cid}")
        text = self.wait_text("#timeline", lambda t: "Attempt 3 started" in t, "the current attempt")
        lines = [li.text for li in self.driver.find_elements(By.CSS_SELECTOR, "#timeline li")]
        self.assertTrue(lines[0].startswith("Created"), lines)
        self.assertTrue(lines[1].startswith("Attempt 1: failed, exit 3"), lines)
        self.assertIn("exit status 3", lines[1])
        self.assertTrue(lines[2].startswith("Attempt 2: failed, exit 4"), lines)
        self.assertTrue(lines[3].startswith("Attempt 3 started"), lines)
        self.assertTrue(lines[4].startswith("Finished: succeeded"), lines)
        self.assertNotIn("not kept", text)
        self.screenshot("call-attempts")

    def test_14_pipelines(self):
        f = self.fnqd
        answer = f.json("POST", "/v1/pipelines", {"name": "etl", "stages": [
            {"id": "fetch", "function": "ok"},
            {"id": "parse", "function": "fail", "needs": "fetch"},
            {"id": "report", "function": "ok", "needs": ["parse"]},
            {"id": "index", "function": "ok", "needs": ["fetch"]}]})
        pid, stages = answer["id"], answer["stages"]
        f.wait_state(stages["report"], {"skipped"})
        f.wait_state(stages["index"], {"succeeded"})
        running = f.json("POST", "/v1/pipelines", {"stages": [{"id": "hold", "function": "flag"}]})

        self.open("/ui/pipelines")
        row = f'#pipelines-table tr[data-pipeline-id="{pid}"]'
        wait_for("the pipeline in the list", lambda: self.driver.find_element(By.CSS_SELECTOR, row))
        ids = [r.get_attribute("data-pipeline-id") for r in
               self.driver.find_elements(By.CSS_SELECTOR, "#pipelines-table tbody tr[data-pipeline-id]")]
        self.assertEqual(ids, [running["id"], pid])  # newest first
        wait_for("the states", lambda: self.driver.find_element(By.CSS_SELECTOR, row).get_attribute(
            "data-pipeline-state") == "failed")
        self.assertEqual(self.driver.find_element(
            By.CSS_SELECTOR, f'#pipelines-table tr[data-pipeline-id="{running["id"]}"]')
            .get_attribute("data-pipeline-state"), "running")
        self.assertEqual(self.text(f'{row} [data-field="stage_count"]'), "4")
        self.assertEqual(self.driver.find_element(By.CSS_SELECTOR, '#nav a[aria-current="page"]').text, "Pipelines")
        self.screenshot("pipelines")

        self.driver.find_element(By.CSS_SELECTOR, f'{row} td a').click()
        wait_for("the pipeline page", lambda: self.text("#pipeline-name") == "etl")
        self.wait_text("#pipeline-state", lambda t: "failed" in t and "parse" in t, "the pipeline's state")
        got = wait_for("the stages", lambda: [
            (r.get_attribute("data-stage"), r.get_attribute("data-call-state"), r.find_element(By.CSS_SELECTOR, "td.needs").text)
            for r in self.driver.find_elements(By.CSS_SELECTOR, "#stages-table tbody tr[data-stage]")])
        self.assertEqual(got, [("fetch", "succeeded", "—"), ("parse", "failed", "fetch"),
                               ("report", "skipped", "parse"), ("index", "succeeded", "fetch")])
        self.screenshot("pipeline")

        # Its calls, on the calls page filtered by the pipeline.
        self.driver.find_element(By.ID, "pipeline-calls").click()
        wait_for("the calls page", lambda: self.driver.current_url.endswith(f"/ui/calls?pipeline={pid}"))
        listed = wait_for("the pipeline's calls", lambda: [
            r.get_attribute("data-call-id") for r in
            self.driver.find_elements(By.CSS_SELECTOR, "#calls-table tbody tr[data-call-id]")] or None)
        self.assertEqual(sorted(listed), sorted(stages.values()))
        self.assertIn(pid[:8], self.text("#calls-pipeline"))
        self.driver.find_element(By.CSS_SELECTOR, "#calls-pipeline a").click()
        wait_for("back on the pipeline", lambda: self.driver.current_url.endswith(f"/ui/pipelines/{pid}"))
        wait_for("its stages again", lambda: self.driver.find_elements(By.CSS_SELECTOR, "#stages-table tbody tr[data-stage]"))

        # A stage links to its call, whose page links back.
        self.driver.find_element(By.CSS_SELECTOR, '#stages-table tr[data-stage="parse"] a.stage-link').click()
        self.wait_text("#call-pipeline", lambda t: "parse" in t, "the call's stage")
        self.assertEqual(self.text("#call-stage"), "parse")
        self.assertTrue(self.driver.current_url.endswith(f"/ui/calls/{stages['parse']}"))
        self.screenshot("call-stage")
        self.driver.find_element(By.ID, "pipeline-link").click()
        wait_for("back on the pipeline", lambda: self.driver.current_url.endswith(f"/ui/pipelines/{pid}"))

        # The open page follows the running pipeline to its end.
        self.open(f"/ui/pipelines/{running['id']}")
        self.wait_text("#pipeline-state", lambda t: "running" in t, "the running pipeline")
        self.driver.execute_script("window.fnqNoReload = 1")
        hold = running["stages"]["hold"]
        f.wait_state(hold, {"running"})
        open(os.path.join(self.work, f"go-{hold}"), "w").close()
        self.wait_text("#pipeline-state", lambda t: "succeeded" in t, "the finished pipeline", 15)
        self.assertEqual(self.driver.execute_script("return window.fnqNoReload"), 1)


class NoAuthTest(unittest.TestCase):
    def test_opens_directly(self):
        if not FNQD or not os.access(FNQD, os.X_OK):
            self.skipTest("FNQD_BIN is not set to the fnqd binary")
        f = Fnqd(auth="none")
        driver = new_browser()
        try:
            driver.get(f.url + "/ui/")
            wait_for("the overview", lambda: driver.find_element(By.ID, "state-counts"))
            self.assertEqual(driver.find_elements(By.ID, "token"), [])
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            self.assertEqual(errors, [])
        finally:
            driver.quit()
            f.stop()


if __name__ == "__main__":
    print(f"screenshots: {SHOTS}", file=sys.stderr)
    unittest.main(verbosity=2)
