"""Drives Celeriac's dashboard in a real headless Chromium (selenium + chromedriver).

Run by DashboardBrowserTests with the interop venv's Python:

    python dashboard_check.py --url http://127.0.0.1:PORT/ --worker NODE --add-id ID --flaky-id ID --xss-id ID \
        [--screenshots DIR] [--chromium /usr/bin/chromium] [--chromedriver /usr/bin/chromedriver]

Checks that the page loads, shows the worker alive and the tasks the test ran, writes task arguments as text
(no markup injected), filters by state, and that Retry on the failed task sends it again and the copy succeeds.
Prints one JSON line: {"ok": true, "retried_as": "<new id>", ...}; exits 1 with {"ok": false, "error": ...}.
"""
import argparse
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--worker", required=True)
    parser.add_argument("--add-id", required=True)
    parser.add_argument("--flaky-id", required=True)
    parser.add_argument("--xss-id", required=True)
    parser.add_argument("--screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--expect-exception", default="flaky: first run fails")
    parser.add_argument("--retried-state", default="SUCCESS")
    args = parser.parse_args()

    options = webdriver.ChromeOptions()
    options.binary_location = args.chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,1000",
                 "--no-first-run", "--disable-extensions", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=args.chromedriver), options=options)
    report = {"ok": False}

    # The page re-renders rows and the detail pane as events arrive, so reads and clicks go through one
    # JavaScript call each (atomic), and a stale element inside a wait just means "look again".
    def js_text(selector):
        return driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector)

    def js_click(selector):
        return driver.execute_script(
            "const e = document.querySelector(arguments[0]); if (!e) return false; e.click(); return true;", selector)

    def exists(selector):
        return driver.execute_script("return document.querySelector(arguments[0]) !== null;", selector)

    try:
        wait = WebDriverWait(driver, args.timeout, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,))
        driver.get(args.url)
        wait.until(lambda d: d.title == "Celeriac dashboard")
        report["title"] = driver.title

        # The worker, alive, from its heartbeats.
        worker_row = f'#workers tr[data-worker="{args.worker}"]'
        wait.until(lambda d: exists(worker_row + " .badge.alive"))
        report["worker"] = js_text(worker_row)

        # The tasks the test ran, with their final states.
        def row(task_id):
            return f'#tasks tr[data-id="{task_id}"]'

        wait.until(lambda d: exists(row(args.add_id) + '[data-state="SUCCESS"]'))
        wait.until(lambda d: exists(row(args.flaky_id) + '[data-state="FAILURE"]'))
        wait.until(lambda d: exists(row(args.xss_id) + '[data-state="SUCCESS"]'))
        report["add_row"] = js_text(row(args.add_id))

        # Arguments and results are text, never markup.
        xss_args = js_text(row(args.xss_id) + " td.args")
        injected = driver.execute_script(
            "return {img: document.querySelectorAll('main img').length, scripts: document.querySelectorAll('script').length,"
            " pwned: typeof window.pwned !== 'undefined'};")
        report["xss_args"] = xss_args
        report["injected"] = injected
        if "<img src=x onerror=" not in xss_args or injected["img"] != 0 or injected["scripts"] != 1 or injected["pwned"]:
            raise AssertionError(f"task arguments were not escaped: {xss_args!r} {injected}")

        # Wait for a few chart buckets before the overview screenshot.
        wait.until(lambda d: exists("#chart rect.ok"))
        if args.screenshots:
            # For a complete picture: the pool size comes with the next `inspect stats` round.
            try:
                WebDriverWait(driver, 5, poll_frequency=0.2).until(
                    lambda d: (js_text(worker_row + " td:nth-child(6)") or "").strip() != "")
            except Exception:  # noqa: BLE001 - only cosmetic
                pass
            os.makedirs(args.screenshots, exist_ok=True)
            driver.save_screenshot(os.path.join(args.screenshots, "dashboard-overview.png"))

        # The state filter.
        Select(driver.find_element(By.ID, "filter-state")).select_by_visible_text("FAILURE")
        wait.until(lambda d: not exists(row(args.add_id)))
        states = set(driver.execute_script(
            "return [...document.querySelectorAll('#tasks tbody tr')].map((r) => r.dataset.state);"))
        if states != {"FAILURE"}:
            raise AssertionError(f"the FAILURE filter shows {states}")
        Select(driver.find_element(By.ID, "filter-state")).select_by_visible_text("all")
        wait.until(lambda d: exists(row(args.add_id)))

        # The failed task's detail, then Retry.
        js_click(row(args.flaky_id))
        wait.until(lambda d: d.find_element(By.ID, "detail").is_displayed() and js_text("#detail-id") == args.flaky_id)
        wait.until(lambda d: exists("#detail pre.traceback"))
        detail = js_text("#detail")
        report["detail_has_exception"] = args.expect_exception in detail
        if not report["detail_has_exception"]:
            raise AssertionError(f"the detail does not show the exception: {detail!r}")
        if args.screenshots:
            driver.save_screenshot(os.path.join(args.screenshots, "dashboard-task-detail.png"))
        js_click("#retry-button")
        wait.until(lambda d: "sent again as" in (js_text("#toast") or ""))
        toast = js_text("#toast")
        report["toast"] = toast
        new_id = toast.split("sent again as ", 1)[1].split(" ", 1)[0]
        report["retried_as"] = new_id
        wait.until(lambda d: exists(row(new_id) + f'[data-state="{args.retried_state}"]'))
        report["retried_row"] = js_text(row(new_id))
        # The original's detail links to the copy.
        wait.until(lambda d: driver.execute_script(
            "return [...document.querySelectorAll('#detail a')].some((a) => a.textContent === arguments[0]);", new_id))
        report["live"] = js_text("#live")
        if args.screenshots:
            js_click(row(new_id))
            wait.until(lambda d: js_text("#detail-id") == new_id)
            time.sleep(0.3)
            driver.save_screenshot(os.path.join(args.screenshots, "dashboard-retried.png"))
        report["ok"] = True
    except Exception as error:  # noqa: BLE001 - reported to the Swift test as JSON
        report["error"] = f"{type(error).__name__}: {error}"
        try:
            report["page_text"] = driver.execute_script("return document.body.innerText;")[:3000]
            report["browser_log"] = [entry.get("message") for entry in driver.get_log("browser")][:20]
        except Exception:  # noqa: BLE001
            pass
    finally:
        driver.quit()
    print(json.dumps(report))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
