"""The Japanese notebooks in a real browser: JupyterLab 4 in Chromium opens notebooks/ja/ with no change.

Opens notebooks/ja/00_prerequisites.ipynb, runs it down to the configuration form (the widgets render, the
kernel finds `utils` and the configuration from notebooks/ja/), and checks that the Japanese text is drawn with
real glyphs: each Japanese character must render differently from a character no font has (which every browser
draws as the same empty box, "tofu"). Without a CJK font (Debian's fonts-noto-cjk, which .ci/run installs) the
headings would be rows of boxes. The architecture diagram (Mermaid) with Japanese labels renders too.

The screenshot goes to runs/screenshots/ja-00-form.png (README.ja.md shows a copy from docs/screenshots/).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.ui.conftest import SCREENSHOTS, _in_ci
from tests.ui.lab import Notebook

pytestmark = pytest.mark.timeout(240)

# For each character of `sample`: does it render (in the element's own font) differently from U+10FFFD, a
# private-use code point that no font covers? Equal pixels mean the browser drew its missing-glyph box.
_GLYPHS_JS = """([selector, sample]) => {
  const el = document.querySelector(selector);
  if (!el) { return null; }
  const style = getComputedStyle(el);
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 64;
  const ctx = canvas.getContext('2d');
  ctx.font = `${style.fontWeight} 40px ${style.fontFamily}`;
  const draw = (t) => { ctx.clearRect(0, 0, 64, 64); ctx.fillText(t, 4, 48);
                        return Array.from(ctx.getImageData(0, 0, 64, 64).data).join(','); };
  const tofu = draw(String.fromCodePoint(0x10FFFD));
  return {font: style.fontFamily, text: el.textContent,
          missing: Array.from(sample).filter((ch) => draw(ch) === tofu)};
}"""


def _cjk_font_missing() -> str | None:
    if not shutil.which("fc-list"):
        return "fontconfig's fc-list is missing"
    fonts = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True).stdout.strip()
    return None if fonts else "no font with Japanese glyphs (Debian: apt-get install fonts-noto-cjk; .ci/run does it)"


def test_japanese_notebook_opens_runs_and_renders_readable_text(lab, page, notebooks_untouched):
    from playwright.sync_api import expect

    reason = _cjk_font_missing()
    if reason:
        if _in_ci():
            pytest.fail(f"the Japanese browser test cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)

    nb = Notebook(page, lab, "notebooks/ja/00_prerequisites.ipynb", SCREENSHOTS).open()
    heading = nb.cell(0).locator(".jp-RenderedMarkdown h1")
    expect(heading).to_contain_text("前提条件", timeout=30_000)

    form_cell = nb.index_of("ConfigForm(initial")
    nb.run("notebook:run-all-above", "the cells above the form", 120, index=form_cell)
    nb.run("notebook:run-cell", "the form cell", 60, index=form_cell)
    area = nb.cell(form_cell).locator(".jp-OutputArea")
    expect(area.locator("button.jupyter-button").first).to_be_visible(timeout=30_000)  # the widgets rendered

    sample = "前提条件ターゲットリージョンモデル"
    glyphs = page.evaluate(_GLYPHS_JS, [".jp-Notebook .jp-Cell .jp-RenderedMarkdown h1", sample])
    assert glyphs is not None and "前提条件" in glyphs["text"], glyphs
    assert not glyphs["missing"], f"drawn as empty boxes in font {glyphs['font']!r}: {glyphs['missing']}"

    diagram = nb.cell(nb.index_of("```mermaid")).locator(".jp-RenderedMermaid img")
    expect(diagram).to_be_visible(timeout=60_000)
    nb.scroll_to(nb.index_of("```mermaid"))
    nb.screenshot("ja-01-architecture-diagram")
    nb.scroll_to(form_cell)
    path = nb.screenshot("ja-00-form")
    assert path.stat().st_size > 20_000, "the screenshot is suspiciously small"
    nb.close()
