"""report.html in a real browser: headless Chromium (Debian's ``chromium``, installed by .ci/run)
loads it offline, with every host name unresolvable, and a probe script counts console errors,
failed loads and the drawn size of every figure. Screenshots are kept as test artefacts: under
the pytest temporary folder, or ``$ICOP_ARTEFACTS`` when set, with their paths printed."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser")
FLAGS = ("--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND")
#: Runs first: records errors (uncaught, console.error, resources that failed to load).
HEAD_PROBE = """<script>window.__errors=[];
window.addEventListener('error',e=>window.__errors.push(String(e.message||(e.target&&(e.target.src||e.target.href))||'error')),true);
const __error=console.error;console.error=(...a)=>{window.__errors.push(a.join(' '));__error(...a)};</script>"""
#: Runs on load: writes the errors and every figure's drawn size into the DOM for --dump-dom.
LOAD_PROBE = """<script>window.addEventListener('load',()=>{const p=document.createElement('pre');p.id='icop-probe';
p.textContent=JSON.stringify({errors:window.__errors,svgs:[...document.querySelectorAll('svg')].map(s=>{
const r=s.getBoundingClientRect();return [r.width,r.height]})});document.body.appendChild(p)});</script>"""


@pytest.fixture(scope="module")
def chromium():
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        message = "no chromium binary on PATH (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {message}")
        pytest.skip(message)
    return found


def _run(chromium: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, *FLAGS, *args], capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:
    folder = Path(os.environ["ICOP_ARTEFACTS"]) if os.environ.get("ICOP_ARTEFACTS") else tmp_path_factory.mktemp("artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_report_loads_offline_without_errors_and_draws_every_figure(chromium, report_dir, tmp_path):
    html = (report_dir / "a" / "report.html").read_text(encoding="utf-8")
    probed = tmp_path / "probed.html"
    probed.write_text(html.replace("</head>", HEAD_PROBE + "</head>", 1).replace("</body>", LOAD_PROBE + "</body>", 1))
    done = _run(chromium, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
    probe = json.loads(re.search(r'<pre id="icop-probe">(.*?)</pre>', done.stdout, re.S).group(1).replace("&quot;", '"'))
    assert probe["errors"] == []
    assert not re.findall(r"CONSOLE.*", done.stderr)
    assert len(probe["svgs"]) == html.count("<svg") == 7
    assert all(width > 100 and height > 100 for width, height in probe["svgs"]), probe["svgs"]


def test_screenshots_are_kept(chromium, report_dir, artefacts, tmp_path):
    html = (report_dir / "a" / "report.html").read_text(encoding="utf-8")
    # Headless screenshots ignore #fragments: the bias section alone, with the page's style.
    bias = tmp_path / "bias.html"
    bias.write_text(html[: html.index("<body>") + 6] + html[html.index('<h2 id="bias">') : html.index('<h2 id="robustness">')])
    shots = {
        "report_first_screen.png": ((report_dir / "a" / "report.html").as_uri(), "1280,1000"),
        "report_bias.png": (bias.as_uri(), "1280,1600"),
    }
    for name, (uri, size) in shots.items():
        target = artefacts / name
        _run(chromium, f"--window-size={size}", f"--screenshot={target}", uri)
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 20_000
        print(f"screenshot: {target}")
