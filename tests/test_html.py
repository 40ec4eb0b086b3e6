"""The HTML step viewer: page contents as text, the CLI, and the page driven in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from pathlib import Path

import pytest
from conftest import SAMPLES

from graphviz_bp.engine import run
from graphviz_bp.figure import RenderOptions, find_backend
from graphviz_bp.figure.html import html_viewer
from graphviz_bp.spec import load

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
HIGHLIGHT = "#ffe08a"  # the book theme's fill of the active node
HOSTILE = "</script><script>alert(1)</script>"
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}

needs_graphviz = pytest.mark.skipif(find_backend() is None, reason="no Graphviz backend (dot or pygraphviz)")
pytestmark = needs_graphviz


@pytest.fixture(scope="module")
def sigmoid_html() -> str:
    return html_viewer(run(load(SAMPLES / "sigmoid_expanded.yaml")))


def test_page_loads_nothing_remote(sigmoid_html):
    urls = set(re.findall(r"https?://[^\s\"'<>)]*", sigmoid_html))

    assert urls <= NAMESPACES
    assert "default-src 'none'" in sigmoid_html
    assert "<link" not in sigmoid_html
    assert "@import" not in sigmoid_html
    assert "url(" not in sigmoid_html


def test_page_has_one_frame_per_step_and_final(sigmoid_html):
    trace = run(load(SAMPLES / "sigmoid_expanded.yaml"))
    phases = re.findall(r'<section class="frame" id="frame-\d+" data-phase="(\w+)"', sigmoid_html)

    assert phases == [step.phase for step in trace.steps] + ["all"]
    assert sigmoid_html.count("<svg") == len(trace.steps) + 1


def test_graph_without_operations_has_final_frame(write_spec):
    page = html_viewer(run(load(write_spec("inputs:\n  x: 2.0\noutput: x\n"))))

    assert re.findall(r'data-phase="(\w+)"', page) == ["all"]
    assert "No steps · the graph has no operations" in page
    assert 'max="0"' in page


def test_page_ids_are_unique(sigmoid_html):
    ids = re.findall(r'\sid="([^"]*)"', sigmoid_html)

    assert len(ids) > 50
    assert len(ids) == len(set(ids))


def test_script_hash_matches_policy(sigmoid_html):
    script = re.search(r"<script>(.*?)</script>", sigmoid_html, re.DOTALL)[1]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")

    assert f"script-src 'sha256-{digest}'" in sigmoid_html


def test_page_is_deterministic(cli, tmp_path):
    first = tmp_path / "first.html"
    second = tmp_path / "second.html"

    for target in (first, second):
        completed = cli("render", str(SAMPLES / "two_layer_net.yaml"), "-o", str(target))
        assert completed.returncode == 0, completed.stderr.decode()

    assert first.read_bytes() == second.read_bytes()


def test_hostile_names_are_escaped(write_spec):
    spec = write_spec(
        f"name: {HOSTILE!r}\n"
        "description: '<img src=x onerror=alert(2)> & </style>'\n"
        f"inputs:\n  {HOSTILE!r}: 2.0\n  w: 3.0\n"
        f"nodes:\n  out: {{op: mul, args: [{HOSTILE!r}, w]}}\n"
        "output: out\n"
    )
    page = html_viewer(run(load(spec)))

    assert "<script>alert" not in page
    assert "<img" not in page
    assert page.count("</style>") == 2
    assert page.count("<script") == 2
    assert page.count("</script>") == 2
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\\u003c/script\\u003e" in page


def test_cli_writes_html_and_prints_path(cli, tmp_path):
    target = tmp_path / "fig.html"

    completed = cli("render", str(SAMPLES / "sigmoid_expanded.yaml"), "-o", str(target))

    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode().strip() == str(target)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_format_flag_writes_stdout(cli):
    completed = cli("render", str(SAMPLES / "sigmoid_expanded.yaml"), "-f", "html", "-o", "-")

    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.startswith(b"<!DOCTYPE html>")
    assert completed.stdout.rstrip().endswith(b"</html>")


def test_cli_rejects_steps_with_html(cli, tmp_path):
    completed = cli("render", str(SAMPLES / "sigmoid_expanded.yaml"), "--steps", str(tmp_path / "frames"),
                    "-f", "html")

    assert completed.returncode == 2
    assert "-o FILE.html" in completed.stderr.decode()
    assert not (tmp_path / "frames").exists()


def test_dark_theme_colors_the_page():
    page = html_viewer(run(load(SAMPLES / "sigmoid_expanded.yaml")), RenderOptions(theme="dark"))

    assert "background: #1e1e1e" in page
    assert "color: #ff7f50" in page


# The browser tests below drive the page as a reader would: keys, buttons and the slider.

FRAME_STATE = """
const frame = [...document.querySelectorAll("main > .frame")].find(f => !f.hidden);
const active = [...frame.querySelectorAll("g.node")].filter(
    g => [...g.querySelectorAll("ellipse, polygon, path")].some(s => s.getAttribute("fill") === arguments[0]));
return {
    phase: frame.dataset.phase,
    node: frame.dataset.node || null,
    caption: frame.querySelector(".caption").innerText,
    active: active.map(g => g.querySelector("title").textContent),
    visible: [...frame.querySelectorAll("text")].filter(t => t.getAttribute("fill") !== "transparent")
        .map(t => t.textContent),
    transparent: [...frame.querySelectorAll("text")].filter(t => t.getAttribute("fill") === "transparent")
        .map(t => t.textContent),
    slider: Number(document.getElementById("slider").value),
};
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(f"headless Chromium needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    # The driver path keeps Selenium from looking up or downloading a driver, and the flags turn
    # off Chromium's background requests such as component updates and sync.
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1400,900", f"--user-data-dir={profile}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def open_viewer(browser, spec: Path, folder: Path) -> Path:
    page = folder / f"{spec.stem}.html"
    page.write_text(html_viewer(run(load(spec))), encoding="utf-8")
    browser.get(page.as_uri())
    return page


def press(browser, key: str, times: int = 1) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    actions = ActionChains(browser)
    for _ in range(times):
        actions.send_keys(key)
    actions.perform()


def state(browser) -> dict:
    return browser.execute_script(FRAME_STATE, HIGHLIGHT)


def test_browser_steps_sigmoid(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    trace = run(load(SAMPLES / "sigmoid_expanded.yaml"))
    open_viewer(browser, SAMPLES / "sigmoid_expanded.yaml", tmp_path)

    first = state(browser)
    assert first["phase"] == "forward"
    assert first["active"] == [trace.steps[0].node]
    assert "Step 1 of 8 · forward pass" in first["caption"]
    assert "−x = −0.5" in first["visible"]
    assert "y = 0.6225" in first["transparent"]
    assert browser.find_element(By.ID, "back").get_attribute("disabled") == "true"

    press(browser, Keys.ARROW_RIGHT, 3)
    fourth = state(browser)
    assert fourth["active"] == ["y"]
    assert "Forward step 4 of 4" in fourth["caption"]
    assert "y = 0.6225" in fourth["visible"]
    assert "∂L/∂y = 1" in fourth["transparent"]

    press(browser, Keys.ARROW_RIGHT, 4)
    last_step = state(browser)
    assert last_step["phase"] == "backward"
    assert last_step["node"] == trace.steps[-1].node
    assert last_step["active"] == [trace.steps[-1].node]
    assert "Step 8 of 8 · backward pass" in last_step["caption"]
    assert "∂L/∂x = ∂L/∂y·y²·exp(−x) = (−0.235) × (−1) = 0.235" in last_step["caption"]
    assert not last_step["transparent"]

    press(browser, Keys.ARROW_RIGHT)
    final = state(browser)
    assert final["phase"] == "all"
    assert final["active"] == []
    assert "∂L/∂x = 0.235" in final["caption"]
    assert browser.find_element(By.ID, "next").get_attribute("disabled") == "true"

    press(browser, Keys.HOME)
    assert state(browser)["slider"] == 0
    press(browser, Keys.END)
    assert state(browser)["phase"] == "all"
    press(browser, Keys.ARROW_LEFT)
    assert state(browser)["slider"] == 7
    # A blocked request or script would be logged as a SEVERE console message.
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_browser_buttons_and_slider(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    trace = run(load(SAMPLES / "two_layer_net.yaml"))
    open_viewer(browser, SAMPLES / "two_layer_net.yaml", tmp_path)

    browser.find_element(By.ID, "next").click()
    second = state(browser)
    assert second["active"] == ["a1"]
    assert "a1 = relu(h1)" in second["caption"]
    assert "h2" in second["transparent"]

    browser.find_element(By.ID, "last").click()
    assert state(browser)["phase"] == "all"
    browser.find_element(By.ID, "back").click()
    backward = state(browser)
    assert backward["node"] == trace.steps[-1].node
    assert backward["active"] == [trace.steps[-1].node]
    assert "Backward step 4 of 4" in backward["caption"]

    browser.find_element(By.ID, "first").click()
    slider = browser.find_element(By.ID, "slider")
    slider.click()
    press(browser, Keys.HOME)
    press(browser, Keys.ARROW_RIGHT, 4)
    seed_step = state(browser)
    assert seed_step["slider"] == 4
    assert seed_step["active"] == ["L"]
    assert "∂L/∂L = 1" in seed_step["caption"]
    assert "(the seed)" in seed_step["caption"]


def test_browser_shows_hostile_name_as_text(browser, tmp_path, write_spec):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    spec = write_spec(
        f"name: {HOSTILE!r}\n"
        f"inputs:\n  {HOSTILE!r}: 2.0\n  w: 3.0\n"
        f"nodes:\n  out: {{op: mul, args: [{HOSTILE!r}, w]}}\n"
        "output: out\n"
    )
    open_viewer(browser, spec, tmp_path)
    press(browser, Keys.END)

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert  # noqa: B018 - reading the property checks for an open alert
    assert browser.find_element(By.TAG_NAME, "h1").text == HOSTILE
    assert len(browser.find_elements(By.TAG_NAME, "script")) == 2
    assert f"∂L/∂({HOSTILE}) = 3" in state(browser)["caption"]


def test_browser_screenshot(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_viewer(browser, SAMPLES / "sigmoid_expanded.yaml", tmp_path)
    first = tmp_path / "step-1.png"
    last = tmp_path / "step-8.png"

    assert browser.save_screenshot(str(first))
    press(browser, Keys.ARROW_RIGHT, 7)
    assert browser.save_screenshot(str(last))

    data = last.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert width >= 1000
    assert height >= 500
    assert len(data) > 20_000
    assert data != first.read_bytes()
    assert browser.find_elements(By.CSS_SELECTOR, "main > .frame:not([hidden]) svg")
