"""Render the PWA's PNG icons from the SVG sources (run once after changing an SVG).

Uses the Debian Chromium through Playwright: `.venv/bin/python frontend/scripts/render_icons.py`.
"""

from pathlib import Path

from playwright.sync_api import sync_playwright

ICONS = Path(__file__).resolve().parents[1] / "public" / "icons"
RENDERS = [("icon.svg", "icon-192.png", 192), ("icon.svg", "icon-512.png", 512),
           ("maskable.svg", "maskable-512.png", 512)]


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--headless=new", "--no-sandbox"])
        for source, target, size in RENDERS:
            page = browser.new_page(viewport={"width": size, "height": size})
            svg = (ICONS / source).read_text()
            page.set_content(f"<style>html,body{{margin:0;background:transparent}}"
                             f"svg{{width:{size}px;height:{size}px;display:block}}</style>{svg}")
            page.screenshot(path=str(ICONS / target), omit_background=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
