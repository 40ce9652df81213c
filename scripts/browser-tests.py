"""The web pages in headless Chromium: see scripts/browser-tests.

    python scripts/browser-tests.py BASE_URL AXE_JS SCREENSHOT_DIR
"""
import csv
import io
import json
import os
import sys
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE, AXE, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
TOWN = "511903114"
SOURCE = "shuangsheng-2021-government-work-report"
os.makedirs(SHOTS, exist_ok=True)
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL", what)


def api(path):
    with urllib.request.urlopen(BASE + path) as answer:
        return json.load(answer)


options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600"]:
    options.add_argument(argument)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
axe_source = open(AXE, encoding="utf-8").read()


def console_errors():
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def visit(path, name):
    """Loads a page, checks what every page must have, saves a screenshot."""
    driver.get(BASE + path)
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
    errors = console_errors()
    check(not errors, f"{path}: console errors (CSP violations included): {errors}")
    check(driver.title.strip() != "", f"{path}: a <title>")
    head = {
        "description": "meta[name=description]",
        "canonical": "link[rel=canonical]",
        "alternate JSON": "link[rel=alternate][type='application/json']",
    }
    for what, selector in head.items():
        check(len(driver.find_elements(By.CSS_SELECTOR, selector)) == 1, f"{path}: {what}")
    # Accessibility: no serious or critical violation.
    driver.execute_script(axe_source)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])));"
    )
    bad = [v for v in result if v[1] in ("serious", "critical")]
    check(not bad, f"{path}: axe serious/critical violations {bad}")
    # Every chart has its data table beside it.
    for chart in driver.find_elements(By.CSS_SELECTOR, "svg.chart"):
        check(chart.get_attribute("role") == "img", f"{path}: a chart is an image with a title")
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))
    print("ok", path)


# Every page type, in Chinese and in English.
pages = [
    ("/", "home"),
    ("/?q=shuangsheng", "search"),
    (f"/places/{TOWN}", "township"),
    ("/places/511903", "county"),
    ("/indicators/poverty_exit_persons", "indicator"),
    (f"/sources/{SOURCE}", "source"),
    ("/releases", "releases"),
    ("/releases/1", "release"),
]
for path, name in pages:
    visit(path, name)
    visit(path + ("&" if "?" in path else "?") + "lang=en", name + "-en")

# The search tells the four 双胜镇 apart by their parents.
driver.get(BASE + "/?q=" + urllib.parse.quote("双胜镇"))
results = driver.find_elements(By.CSS_SELECTOR, ".results li")
parents = {r.find_element(By.CSS_SELECTOR, ".parents").text for r in results}
check(len(results) >= 2 and len(parents) == len(results), f"search results name their parents: {parents}")

# The township page shows the report's figures.
driver.get(BASE + f"/places/{TOWN}")
text = driver.find_element(By.TAG_NAME, "main").text
for figure in ["4459人", "4,459 人", "27865万元", "278,650,000 元"]:
    check(figure in text, f"township page shows {figure}")

# Each chart has one mark per figure of its indicator, as the API lists them.
series = driver.find_elements(By.CSS_SELECTOR, "article.series")
charted = 0
for article in series:
    marks = article.find_elements(By.CSS_SELECTOR, "svg.chart rect.mark")
    if not marks:
        continue
    charted += 1
    code = article.get_attribute("id").removeprefix("i-")
    listed = api(f"/v1/observations?place={TOWN}&indicator={code}&limit=1000")["data"]
    periods = {(o["period_start"], o["period_end"], o["kind"]) for o in listed}
    check(len(marks) == len(listed) == len(periods), f"chart of {code}: {len(marks)} marks, {len(listed)} figures")
check(charted >= 1, "the township page has charts")

# Following a figure's link lands on its highlighted sentence.
row = driver.find_element(By.CSS_SELECTOR, "tr.figure[data-indicator=poverty_exit_persons]")
quote = row.find_element(By.CSS_SELECTOR, "a.quote")
said = quote.text.strip("“”")
quote.click()
WebDriverWait(driver, 10).until(lambda d: "/sources/" in d.current_url)
target = driver.execute_script(
    "const t = document.querySelector(':target'); const m = t && t.closest('mark');"
    "return m ? m.textContent : null;"
)
check(target is not None and said in target, f"the quote link lands on a <mark> holding the sentence: {target!r}")
check(not console_errors(), "no console error on the source page")

# The CSV link downloads exactly the figures shown.
driver.get(BASE + f"/places/{TOWN}")
href = driver.find_element(By.CSS_SELECTOR, "a.download-csv").get_attribute("href")
with urllib.request.urlopen(href) as answer:
    body = answer.read()
check(body.startswith(b"\xef\xbb\xbf"), "the CSV starts with a byte order mark, for Excel")
rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
shown = driver.find_elements(By.CSS_SELECTOR, "tr.figure")
check(len(rows) == len(shown), f"CSV rows {len(rows)} = figures shown {len(shown)}")
check(
    sorted(r["value"] for r in rows) == sorted(t.get_attribute("data-value") for t in shown),
    "the CSV's values are the values shown",
)

# The language switch.
driver.find_element(By.CSS_SELECTOR, "a.lang").click()
WebDriverWait(driver, 10).until(lambda d: "lang=en" in d.current_url)
check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", "English page says lang=en")
check("Shuangsheng" in driver.find_element(By.TAG_NAME, "h1").text, "the English page names the town in pinyin")
driver.find_element(By.CSS_SELECTOR, "a.lang").click()
WebDriverWait(driver, 10).until(lambda d: "lang=en" not in d.current_url)
check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hans", "and back to Chinese")

driver.quit()
if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print(f"browser tests passed; screenshots in {SHOTS}")
