"""Chinese renders on a machine without any CJK font (a bare Linux kiosk or projector PC): the pages
serve a CJK web font. English pages set ’ and “ ” in a Latin font, not as full-width CJK glyphs.

The CJK-less machine is Chromium started with a fontconfig that knows only DejaVu (Debian's base
fonts): the installed Noto CJK fonts are hidden from it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import skip_or_fail
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, KIOSK_PORTRAIT, screenshot

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

# Draw ``text`` in a fresh span with ``family`` at 64 px, wait for web fonts, return the span's id.
SPAN = """async ([id, text, family]) => {
  const span = document.createElement('span');
  span.id = id; span.textContent = text;
  span.style.cssText = `font-family:${family};font-size:64px;line-height:1;display:inline-block;`
    + 'background:#fff;color:#000;padding:4px;position:fixed;left:0;top:0;z-index:99';
  document.body.append(span);
  await document.fonts.load(`64px ${family === 'var(--font-ui)' ? '"Ballot Noto Sans SC"' : family}`, text);
  await document.fonts.ready;
  return id;
}"""


@pytest.fixture(scope="module")
def bare_browser(playwright_browser, tmp_path_factory):
    """Chromium on a machine that has DejaVu and no CJK font at all (a second browser started
    by the module's Playwright: one Playwright per module, see conftest)."""
    if not DEJAVU.is_dir():
        skip_or_fail(f"{DEJAVU} missing (make test installs Debian's fonts-dejavu-core)")
    folder = tmp_path_factory.mktemp("fontconfig")
    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{DEJAVU}</dir>\n  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(config)}
    browser = playwright_browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                                     args=CHROMIUM_ARGS, env=env)
    yield browser
    browser.close()


def glyph(page, text: str, family: str) -> bytes:
    """A screenshot of ``text`` drawn in ``family`` (a PNG's bytes)."""
    span_id = page.evaluate(SPAN, [f"g{abs(hash((text, family)))}", text, family])
    shot = page.locator(f"#{span_id}").screenshot()
    page.evaluate("id => document.getElementById(id).remove()", span_id)
    return shot


def woff2_loaded(page) -> list[str]:
    return page.evaluate("() => performance.getEntriesByType('resource')"
                         ".map(e => e.name).filter(n => n.endsWith('.woff2'))")


def test_chinese_renders_without_any_cjk_font_installed(bare_browser, live_server):
    context = bare_browser.new_context(viewport=DESKTOP, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/login")
        expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
        # The machine really has no CJK font: two different characters in DejaVu alone are the
        # same box (tofu).
        assert glyph(page, "票", "'DejaVu Sans'") == glyph(page, "决", "'DejaVu Sans'")
        # In the page's font they are two different, real glyphs, not that box.
        ticket, decide = glyph(page, "票", "var(--font-ui)"), glyph(page, "决", "var(--font-ui)")
        assert ticket != decide
        assert ticket != glyph(page, "票", "'DejaVu Sans'")
        page.evaluate("() => document.fonts.ready")
        assert any("/static/vendor/noto-sans-sc/files/" in name for name in woff2_loaded(page))
        assert page.evaluate("() => document.fonts.check('16px \"Ballot Noto Sans SC\"', '工作人员登录')")
        screenshot(page, "bare-machine-login")

        kiosk = context.new_page()
        kiosk.set_viewport_size(KIOSK_PORTRAIT)
        kiosk.goto(live_server.url + "/kiosk")
        expect(kiosk.get_by_role("heading", name="设备配对")).to_be_visible()
        assert glyph(kiosk, "配", "var(--font-ui)") != glyph(kiosk, "配", "'DejaVu Sans'")
    finally:
        context.close()


def test_pages_use_an_installed_cjk_font_without_downloading(live_server, new_page):
    """Where the machine has a CJK font (this one has Noto Sans CJK) nothing is downloaded."""
    page = new_page(DESKTOP)
    page.goto(live_server.url + "/login")
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    page.evaluate("() => document.fonts.ready")
    assert woff2_loaded(page) == []


def test_english_apostrophes_and_quotes_are_not_full_width(live_server, new_page):
    page = new_page(DESKTOP, locale="en")
    page.goto(live_server.url + "/lang/en?next=/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    widths = page.evaluate("""() => {
      const span = document.createElement('span');
      span.style.fontSize = '40px';
      document.body.append(span);
      const width = t => { span.textContent = t; return span.getBoundingClientRect().width; };
      return {curly: width('’'), straight: width("'"), quote: width('“'), em: width('M')};
    }""")
    assert widths["curly"] < 0.5 * 40, widths
    assert widths["quote"] < 0.6 * 40, widths
