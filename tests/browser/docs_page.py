"""The /docs page as a person sees it, in headless Chromium driven by Selenium.

Run by tests/tests/integration/docs_browser.rs against a running stack:

    docs_page.py --url https://127.0.0.1:PORT --device-port PORT --user U --password P --out DIR

Checks, in order:
1. every operation of /openapi.json is rendered (method, path and summary), with every tag
   section expanded; the description's markdown is rendered, not shown as asterisks;
2. Try it out: POST /v2/send-command with Basic credentials (the Authorize dialog) against
   the simulated device answers 202, rendered with the job's id; then GET /v2/jobs/{job_id}
   renders the job finished, with the device's output;
3. the browser reported no Content-Security-Policy violation and no failed load.
Screenshots (DIR/docs-top.png, the first screen; DIR/docs.png, the whole page) are saved
whatever the outcome. Exit status 0 when every check passes, 1 otherwise (the reasons on
stderr).
"""

import argparse
import json
import os
import re
import ssl
import sys
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
WAIT_SECS = 30


def operations(spec):
    """(METHOD, path) -> summary, for every operation of the document."""
    found = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                found[(method.upper(), path)] = operation.get("summary", "")
    return found


def fetch_spec(url):
    # The test's API has a self-signed certificate.
    context = ssl._create_unverified_context()
    with urllib.request.urlopen(f"{url}/openapi.json", context=context, timeout=10) as response:
        return json.load(response)


def browser(chromium, chromedriver):
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        # The API's certificate is the test's own, self-signed.
        "--ignore-certificate-errors",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    options.accept_insecure_certs = True
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))


def rendered_operations(driver):
    """(METHOD, path) -> summary of every operation block on the page."""
    return driver.execute_script(
        """
        const found = [];
        for (const block of document.querySelectorAll('.opblock')) {
            const method = block.querySelector('.opblock-summary-method');
            const path = block.querySelector('.opblock-summary [data-path]');
            const summary = block.querySelector('.opblock-summary-description');
            if (method && path) {
                found.push([method.textContent.trim(), path.getAttribute('data-path'),
                            summary ? summary.textContent.trim() : '']);
            }
        }
        return found;
        """
    )


def expand_all_sections(driver):
    for section in driver.find_elements(By.CSS_SELECTOR, ".opblock-tag-section"):
        if "is-open" not in (section.get_attribute("class") or ""):
            header = section.find_element(By.CSS_SELECTOR, ".opblock-tag")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", header)
            header.click()
    WebDriverWait(driver, WAIT_SECS).until(
        lambda d: all(
            "is-open" in (s.get_attribute("class") or "")
            for s in d.find_elements(By.CSS_SELECTOR, ".opblock-tag-section")
        )
    )


def click(driver, element):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def authorize_basic(driver, user, password):
    click(driver, driver.find_element(By.CSS_SELECTOR, ".scheme-container .btn.authorize"))
    wait = WebDriverWait(driver, WAIT_SECS)
    username = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "input[aria-label='auth-basic-username']")))
    username.send_keys(user)
    driver.find_element(By.CSS_SELECTOR, "input[aria-label='auth-basic-password']").send_keys(password)
    form = username.find_element(By.XPATH, "./ancestor::form")
    form.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    # Authorized: the form shows the user and offers to log out.
    wait.until(lambda d: "Logout" in form.text)
    driver.find_element(By.CSS_SELECTOR, ".modal-ux .close-modal").click()
    wait.until(EC.invisibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))


def open_try_it_out(driver, block_id):
    wait = WebDriverWait(driver, WAIT_SECS)
    block = driver.find_element(By.ID, block_id)
    if "is-open" not in (block.get_attribute("class") or ""):
        click(driver, block.find_element(By.CSS_SELECTOR, ".opblock-summary-control"))
    button = wait.until(lambda d: d.find_element(By.ID, block_id).find_element(By.CSS_SELECTOR, ".try-out__btn"))
    click(driver, button)
    return driver.find_element(By.ID, block_id)


def execute(driver, block):
    click(driver, block.find_element(By.CSS_SELECTOR, ".btn.execute"))


def live_response(driver, block_id, status):
    """The rendered body of the live response with `status`, once there."""
    selector = f"#{block_id} .live-responses-table .response"

    def rendered(d):
        for response in d.find_elements(By.CSS_SELECTOR, selector):
            code = response.find_element(By.CSS_SELECTOR, ".response-col_status").text.strip()
            bodies = response.find_elements(By.CSS_SELECTOR, ".response-col_description pre")
            if code == str(status) and bodies and bodies[0].text.strip():
                return bodies[0].text
        return False

    return WebDriverWait(driver, WAIT_SECS).until(rendered)


def try_send_command(driver, device_port, problems):
    block_id = "operations-jobs-send_command"
    block = open_try_it_out(driver, block_id)
    body = block.find_element(By.CSS_SELECTOR, "textarea.body-param__text")
    request = {"host": "127.0.0.1", "port": device_port, "platform": "cisco_ios", "commands": ["show version"]}
    body.send_keys(Keys.CONTROL, "a")
    body.send_keys(Keys.DELETE)
    body.send_keys(json.dumps(request))
    execute(driver, block)
    try:
        text = live_response(driver, block_id, 202)
    except TimeoutException:
        shown = block.find_elements(By.CSS_SELECTOR, ".live-responses-table")
        problems.append(f"POST /v2/send-command: no 202 rendered; shown: {shown[0].text if shown else 'nothing'}")
        return None
    match = re.search(r'"job_id":\s*"([0-9a-f-]{36})"', text)
    if not match:
        problems.append(f"POST /v2/send-command: 202 without a job_id rendered: {text}")
        return None
    print(f"POST /v2/send-command: 202 rendered, job {match.group(1)}")
    return match.group(1)


def try_get_job(driver, job_id, problems):
    block_id = "operations-jobs-get_job"
    block = open_try_it_out(driver, block_id)
    field = block.find_element(By.CSS_SELECTOR, "input[placeholder='job_id']")
    field.send_keys(job_id)
    deadline = time.monotonic() + WAIT_SECS
    text = ""
    while time.monotonic() < deadline:
        execute(driver, block)
        try:
            text = live_response(driver, block_id, 200)
        except TimeoutException:
            break
        if '"status": "finished"' in text:
            break
        time.sleep(1)
        # Execute again: the job may still be queued or running.
        clear = block.find_elements(By.CSS_SELECTOR, ".btn-clear")
        if clear:
            click(driver, clear[0])
    if '"status": "finished"' not in text or "Cisco IOS Software" not in text:
        problems.append(f"GET /v2/jobs/{{job_id}}: the finished job with its output was not rendered: {text[:2000]}")
    else:
        print("GET /v2/jobs/{job_id}: the finished job and the device's output rendered")


def screenshots(driver, out):
    """The first screen as a person opening the page sees it, then the whole page."""
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(out / "docs-top.png"))
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(height, 1000), 16000))
    driver.save_screenshot(str(out / "docs.png"))
    print(f"screenshots: {out / 'docs-top.png'}, {out / 'docs.png'}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--device-port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # Selenium finds no driver on the network: the Debian binaries are given.
    os.environ["SE_OFFLINE"] = "true"

    expected = operations(fetch_spec(args.url))
    problems = []
    driver = browser(args.chromium, args.chromedriver)
    try:
        driver.get(f"{args.url}/docs")
        wait = WebDriverWait(driver, WAIT_SECS)
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title")))
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
        expand_all_sections(driver)

        rendered = {}
        for method, path, summary in rendered_operations(driver):
            rendered.setdefault((method.upper(), path), set()).add(summary)
        shown = 0
        for (method, path), summary in sorted(expected.items()):
            if (method, path) not in rendered:
                problems.append(f"{method} {path}: not rendered")
            elif summary not in rendered[(method, path)]:
                problems.append(f"{method} {path}: summary {summary!r} not rendered (shown: {rendered[(method, path)]})")
            else:
                shown += 1
        print(f"operations rendered with their summary: {shown} of {len(expected)}")

        description = driver.find_element(By.CSS_SELECTOR, ".swagger-ui .info .description")
        emphasised = [e.text for e in description.find_elements(By.CSS_SELECTOR, "em")]
        if "device" not in emphasised or "*device*" in description.text:
            problems.append(f"the description's markdown is not rendered: {description.text[:300]}")
        page_text = driver.find_element(By.TAG_NAME, "body").text
        if "[object " in page_text:
            problems.append("the page shows '[object …]' where content belongs")

        authorize_basic(driver, args.user, args.password)
        job_id = try_send_command(driver, args.device_port, problems)
        if job_id:
            try_get_job(driver, job_id, problems)

        console = driver.get_log("browser")
        for entry in console:
            message = entry.get("message", "")
            if "Content Security Policy" in message or "Failed to load resource" in message:
                problems.append(f"browser console: {message}")
            else:
                print(f"browser console ({entry.get('level')}): {message}")
    except Exception as error:  # noqa: BLE001 (reported with the screenshot)
        problems.append(f"the page could not be driven: {type(error).__name__}: {error}")
    finally:
        try:
            screenshots(driver, args.out)
        finally:
            driver.quit()

    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
