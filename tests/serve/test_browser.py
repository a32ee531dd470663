"""The web pages of `multicap serve` in real headless Chromium (Debian's, driven by Playwright): search,
an image page, a compare view of a selection, duplicates and clusters, and a hostile file name shown as
text. Each page's screenshot is written under the test's tmp folder (the path is printed)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve.conftest import HOSTILE, Served

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (multicap[dev])")
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path: Path):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []  # any alert() an injected script would raise
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.set_default_timeout(60_000)
    yield page
    context.close()


def _shot(page, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def test_type_a_query_and_see_the_photo_first(served: Served, page, tmp_path: Path) -> None:
    page.goto(served.url + "/")
    page.fill("input[name=q]", "espresso")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#results .tile")
    assert page.locator("#results .tile .name").first.inner_text() == "coffee.jpg"
    _shot(page, tmp_path, "search")
    page.locator("#results .tile .like").first.click()  # more like this: the others, not itself
    page.wait_for_selector("#results .tile")
    assert "coffee.jpg" not in page.locator("#results .tile .name").all_inner_texts()
    assert page.locator("#results img").first.evaluate("img => img.complete && img.naturalWidth > 0")


def test_image_page_shows_every_level_and_tags(served: Served, page, tmp_path: Path) -> None:
    page.goto(served.url + "/?q=rocket")
    page.locator("#results .tile a").first.click()
    page.wait_for_selector("dl.levels")
    levels = page.locator("dl.levels dt").all_inner_texts()
    assert {"object", "attribute", "layout"} <= set(levels)
    assert page.locator("h1.name").inner_text() == "rocket.jpg"
    assert page.locator(".tags .tag").count() > 0 and page.locator(".frame .box").count() > 0
    page.wait_for_function("document.getElementById('photo').naturalWidth > 0")
    _shot(page, tmp_path, "image")


def test_select_two_images_and_see_their_differences(served: Served, page, tmp_path: Path) -> None:
    page.goto(served.url + "/")
    button = page.locator("#compare")
    assert button.is_disabled()
    for name in ("coffee.jpg", "rocket.jpg"):
        page.locator(f".tile[data-id='{served.ids[name]}'] input.pick").check()
    assert page.locator("#picked").inner_text() == "2" and button.is_enabled()
    button.click()
    page.wait_for_selector(".pair")
    differences = page.locator(".pair dd.difference").all_inner_texts()
    assert any("espresso" in d for d in differences), differences
    assert page.locator("#compared .tile").count() == 2
    _shot(page, tmp_path, "compare")


def test_a_hostile_file_name_renders_as_text(served: Served, page, tmp_path: Path) -> None:
    page.goto(served.url + "/")
    hostile = page.locator(f".tile[data-id='{served.ids[HOSTILE]}']")
    assert hostile.locator(".name").inner_text() == HOSTILE
    assert page.locator("img[src=x]").count() == 0 and page.dialogs == []
    _shot(page, tmp_path, "hostile-grid")
    page.goto(f"{served.url}/image/{served.ids[HOSTILE]}")
    assert page.locator("h1.name").inner_text() == HOSTILE and page.title().startswith(HOSTILE)
    page.goto(f"{served.url}/compare?ids={served.ids[HOSTILE]}&ids={served.ids['chelsea.jpg']}")
    page.wait_for_selector(".pair")
    assert HOSTILE in page.locator(".pair h3").first.inner_text()
    assert page.locator("img[src=x]").count() == 0 and page.dialogs == []
    _shot(page, tmp_path, "hostile-compare")


def test_duplicates_and_clusters_pages(served: Served, page, tmp_path: Path) -> None:
    page.goto(served.url + "/duplicates")
    page.wait_for_selector("section.group", timeout=120_000)  # the waiting page reloads itself
    names = page.locator("section.group .name").all_inner_texts()
    assert "chelsea.jpg" in names and HOSTILE in names and page.dialogs == []
    _shot(page, tmp_path, "duplicates")
    group = page.locator("section.group").first  # its pick boxes had had no button to compare them
    for box in group.locator("input.pick").all():
        box.check()
    page.locator("#compare").click()
    page.wait_for_selector(".pair")
    assert "A near-duplicate: the second is a copy of the first" in page.locator(".pair").first.inner_text()
    page.goto(served.url + "/clusters")
    page.wait_for_selector("section.cluster", timeout=120_000)
    assert page.locator("section.cluster .tile").count() == len(served.ids)
    assert page.locator("#compare").is_disabled()
    _shot(page, tmp_path, "clusters")


def test_describe_an_upload_in_the_page(served: Served, page, tmp_path: Path) -> None:
    page.goto(served.url + "/describe")
    page.set_input_files("input[type=file]", str(Path(__file__).parents[2] / "examples/photos/coffee.jpg"))
    page.click("#describe-form button[type=submit]")
    page.wait_for_selector("#describe-out dt")
    assert "espresso" in page.locator("#describe-out").inner_text()
    _shot(page, tmp_path, "describe")
    page.click("#upload-search")
    page.wait_for_selector("#upload-results figure")
    (tmp_path / "empty.jpg").write_bytes(b"")  # an error: what the coffee gave had stayed under it
    page.set_input_files("input[type=file]", str(tmp_path / "empty.jpg"))
    page.click("#describe-form button[type=submit]")
    page.wait_for_function("document.getElementById('describe-status').textContent.includes('empty')")
    assert page.locator("#describe-out dt").count() == 0 == page.locator("#upload-results figure").count()


def test_attention_overlays_show_where_each_word_looked(bundle_served: Served, page, tmp_path: Path) -> None:
    """An index built with a captioner bundle: the image page draws one overlay per content word."""
    image_id = bundle_served.ids["000000.png"]
    page.goto(f"{bundle_served.url}/image/{image_id}")
    page.select_option("#att-level", "layout")
    page.locator("#attention").click()
    page.wait_for_selector("#attention-out figure img", timeout=120_000)
    captions = page.locator("#attention-out figcaption").all_inner_texts()
    words = bundle_served.get(f"/api/images/{image_id}/attention?level=layout").json()["words"]
    assert captions == [f"{w['word']} ({w['position']})" for w in words]
    assert page.locator("#attention-out img").first.evaluate("img => img.complete && img.naturalWidth == 224")
    _shot(page, tmp_path, "attention")
