"""results.html in a real browser (Debian's chromium, headless): the inline filter script runs
without errors and shows exactly the cells the filters select, as counted here from the record
itself. tox's `tests` environment installs chromium; without it the test fails with the fix."""

from __future__ import annotations

import html
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.report import render_html
from harness.results.record import RunRecord, load
from harness.vocab.verdict import Verdict
from tests.helpers import DATA_DIR

DATA = DATA_DIR
# As the machine notes say: without the background-networking flags, chromium's connections
# are refused by a closed network, many at a time.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)

# Clicks the filters the way a user does, and writes what the page then shows into its title.
PROBE = """<script>
(function () {
  var form = document.getElementById('filters');
  function shown() {
    var visible = 0;
    document.querySelectorAll('td.cell').forEach(function (td) {
      if (!td.classList.contains('filtered')) { visible += 1; }
    });
    return [Number(document.getElementById('shown').textContent), visible];
  }
  var out = {start: shown()};
  form.querySelector('input[name="verdict"][value="ok"]').click();
  out.no_ok = shown();
  form.querySelector('input[name="distro"][value="DISTRO"]').click();
  out.no_distro = shown();
  var text = form.querySelector('input[name="text"]');
  text.value = 'TEXT';
  text.dispatchEvent(new Event('input', {bubbles: true}));
  out.text = shown();
  form.querySelector('input[name="unexpected"]').click();
  out.unexpected = shown();
  document.title = JSON.stringify(out);
})();
</script></body>"""


def chromium() -> str:
    names = ("chromium", "chromium-browser", "google-chrome")  # the last: GitHub's runners
    found = next((path for name in names if (path := shutil.which(name))), None)
    if found is None:
        pytest.fail(
            "chromium is not installed: apt-get install chromium (tox -e tests installs it)",
            pytrace=False,
        )
    return found


def expected_counts(record: RunRecord, distro: str, text: str) -> dict[str, int]:
    cells = record.cells
    not_ok = [c for c in cells if c.verdict is not Verdict.OK]
    other_distros = [c for c in not_ok if c.distro != distro]
    matching = [c for c in other_distros if text.lower() in c.row.lower()]
    unexpected = [c for c in matching if not c.as_expected]
    return {
        "start": len(cells),
        "no_ok": len(not_ok),
        "no_distro": len(other_distros),
        "text": len(matching),
        "unexpected": len(unexpected),
    }


def test_the_report_filters_show_what_they_select_in_a_real_browser(tmp_path: Path) -> None:
    record = load(DATA / "x86_64-results.json")
    unexpected = [c for c in record.cells if not c.as_expected and c.verdict is not Verdict.OK]
    distro = sorted({c.distro for c in record.cells})[0]
    assert unexpected and any(c.distro != distro for c in unexpected), "the data must exercise it"
    text = next(c for c in unexpected if c.distro != distro).row.split("@")[0]
    page = tmp_path / "results.html"
    page.write_text(
        render_html(record).replace(
            "</body>", PROBE.replace("DISTRO", distro).replace("TEXT", text)
        ),
        encoding="utf-8",
    )
    proc = subprocess.run(
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
    assert proc.returncode == 0, proc.stderr[-2000:]
    title = proc.stdout.split("<title>", 1)[1].split("</title>", 1)[0]
    observed = json.loads(html.unescape(title))
    want = expected_counts(record, distro, text)
    assert {step: counts[0] for step, counts in observed.items()} == want
    # the counter says what the page shows
    assert all(counter == visible for counter, visible in observed.values())
    assert "Uncaught" not in proc.stderr, proc.stderr[-2000:]
    assert (
        want["start"] > want["no_ok"] > want["no_distro"] > want["text"] > want["unexpected"] >= 1
    )
