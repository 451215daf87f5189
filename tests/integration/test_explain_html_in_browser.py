"""`explain 2014 2_28 --format html -o explain.html` opened in a real browser (Debian's
chromium, headless): the timeline chart is there, drawn (it has a size), labelled (its
accessible name, title, legend and the caption say what it shows) and the distro x policy table
has every distro once. Nothing is clicked."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

from harness.explain import download_shares
from tests.integration.test_html_in_browser import FLAGS, chromium

# Reads what the page shows and writes it into the title, which --dump-dom prints.
PROBE = """<script>
(function () {
  var svg = document.querySelector('figure.timeline svg');
  var out = {found: Boolean(svg)};
  if (svg) {
    var box = svg.getBoundingClientRect();
    out.width = box.width;
    out.height = box.height;
    out.label = svg.getAttribute('aria-label');
    out.role = svg.getAttribute('role');
    out.texts = Array.prototype.map.call(svg.querySelectorAll('text'), function (t) {
      return t.textContent;
    });
    var series = {};
    svg.querySelectorAll('g.series path.line').forEach(function (path) {
      series[path.parentNode.getAttribute('class')] = true;
    });
    out.series = Object.keys(series).length;
    out.caption = document.querySelector('figure.timeline figcaption').textContent;
  }
  out.rows = document.querySelectorAll('table.distros tbody tr').length;
  out.scripts = document.querySelectorAll('script').length;
  document.title = JSON.stringify(out);
})();
</script></body>"""


def test_the_explain_page_shows_a_labelled_chart_in_a_real_browser(tmp_path: Path) -> None:
    page = tmp_path / "explain.html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "explain",
            "2014",
            "2_28",
            "--format",
            "html",
            "-o",
            str(page),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # no results/ here: the shipped data only
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    text = page.read_text(encoding="utf-8")
    distros = text.count("<tr class=")
    page.write_text(text.replace("</body>", PROBE), encoding="utf-8")
    browser = subprocess.run(
        [
            chromium(),
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert browser.returncode == 0, browser.stderr[-2000:]
    title = browser.stdout.split("<title>", 1)[1].split("</title>", 1)[0]
    seen = json.loads(html.unescape(title))
    assert seen["found"], "no chart in the page"
    assert seen["width"] > 300 and seen["height"] > 200, seen
    assert seen["role"] == "img" and seen["label"].startswith("PyPI manylinux downloads on glibc")
    timeline = download_shares.shipped().timeline
    assert timeline is not None
    texts = " | ".join(seen["texts"])
    # the title, the axes and the legend say what is drawn
    assert f"on glibc >= each floor, {timeline.first} to {timeline.last}" in texts
    assert "% of manylinux downloads" in texts
    assert "glibc >= 2.17 (manylinux2014 (manylinux_2_17))" in texts
    assert "glibc >= 2.28 (manylinux_2_28)" in texts
    assert "95 %" in texts
    # two policies and three thresholds: five series drawn
    assert seen["series"] == 5
    assert "Source: mayeut/manylinux-timeline at 9101d6b6" in seen["caption"]
    assert seen["rows"] == distros > 40
    assert seen["scripts"] == 1  # the probe's own: the page carries none
    assert "Uncaught" not in browser.stderr, browser.stderr[-2000:]
