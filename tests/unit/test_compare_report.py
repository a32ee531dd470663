"""The HTML report: self-contained, every text escaped (hostile file names), rendered in real Chromium."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from multicap.compare import collect_images, compare_set, render_report, write_report
from multicap.data.scenes import make_clusters, near_duplicates, render
from multicap.io import iter_image_paths

# A file name cannot hold "/", so the script's closing tag spans a folder: <folder>/<file>.
SCRIPT_DIR, SCRIPT_FILE = '"><script>document.title="pwned"<', "script>"
HOSTILE = [
    f"{SCRIPT_DIR}/{SCRIPT_FILE}",
    "<img src=x onerror=alert(1)>",
    'it\'s "quoted" & <b>bold<b>',
    "ünïcødé 猫 ☃",
    "cost $x^{2$ and \\frac",  # unbalanced mathtext, were "$" not escaped in the heatmap's labels
]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("hostile")
    (folder / SCRIPT_DIR).mkdir()
    clusters = make_clusters(11, n_clusters=2, per_cluster=3)
    names = iter(HOSTILE + [f"plain {i}" for i in range(10)])
    for cluster in clusters:
        for scene in cluster.members:
            render(scene.facts, 160, scene.render_seed).save(folder / f"{next(names)}.png")
    for kind, img in near_duplicates(clusters[0].members[0], size=160, seed=3)[:3]:
        img.save(folder / f"dup {kind}.jpg", quality=92)
    (folder / "broken <b>.jpg").write_bytes(b"not an image")
    failures: list[str] = []
    files = list(iter_image_paths([folder]))
    images = collect_images(files, on_error=lambda e: failures.append(str(e)))
    assert len(failures) == 1 and len(images) == 9, failures
    return compare_set(images)


def test_report_escapes_every_hostile_name_and_embeds_everything(compared) -> None:
    page = render_report(compared, title="<title> & co")
    assert "<script" not in page.lower() and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in page
    assert "it&#x27;s &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;b&gt;" in page
    assert "ünïcødé 猫 ☃" in page and "&lt;title&gt; &amp; co" in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/") for s in sources)  # no file or network reference
    heatmap = re.search(r'alt="similarity heatmap" src="data:image/png;base64,([^"]+)"', page)
    assert heatmap and base64.b64decode(heatmap.group(1)).startswith(b"\x89PNG")
    assert "Near-duplicate groups" in page and "keep (suggested)" in page
    assert "9 images (0 from the index, 1 unreadable)" in page
    assert re.search(r"\b1 (cluster|group|outlier)s\b", page) is None  # counts agree with their nouns


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium_and_no_injected_script_runs(compared, tmp_path: Path) -> None:
    report = write_report(compared, tmp_path / "report.html")
    profile = tmp_path / "profile"
    r = subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--dump-dom", report.resolve().as_uri(),
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    dom = r.stdout
    assert r.returncode == 0 and "</html>" in dom, r.stderr[-2000:]
    headings = re.findall(r"<h[23][^>]*>([^<]*)</h[23]>", dom)
    assert "Near-duplicate groups" in headings and "Clusters" in headings and "Outliers" in headings
    assert any(h.startswith("Group 1: 4 images") for h in headings), headings  # the scene + 3 copies
    assert sum(h.startswith("Cluster ") for h in headings) == compared.clustering.k
    assert "<title>multicap compare</title>" in dom  # an injected script would have renamed the page
    assert "<script" not in dom.lower() and "onerror" not in re.sub(r"&lt;.*?&gt;", "", dom)
    assert '&lt;script&gt;document.title="pwned"&lt;/script&gt;' in dom  # shown as text
    assert "ünïcødé 猫 ☃" in dom
    assert len(re.findall(r'<img [^>]*src="data:image/jpeg', dom)) >= 9


def test_images_table_and_heatmap_follow_the_clusters_and_are_numbered(compared) -> None:
    """A walkthrough's 88-image heatmap read 0-87 on both axes, in folder order, and the images table had
    no number to find a row by: both now list the images by cluster, numbered alike."""
    page = render_report(compared)
    table = page[page.index('<h2 id="images">') :]
    rows = re.findall(r"<tr><td>(\d+)</td><td>[^<]*</td><td>(\d+)", table)
    assert [int(k) for k, _ in rows] == list(range(1, len(compared.images) + 1))
    clusters = [int(c) for _, c in rows]
    assert clusters == sorted(clusters)  # by cluster
    assert "numbered as in the" in page


def test_a_name_two_folders_share_is_shown_with_its_folder() -> None:
    """A walkthrough's copies in two folders were both captioned "gorilla.jpg" (the folder in a tooltip)."""
    from multicap.io.paths import short_names

    paths = [Path("/p/A/gorilla.jpg"), Path("/p/B/gorilla.jpg"), Path("/p/A/owl.jpg")]
    assert short_names(paths) == ["A/gorilla.jpg", "B/gorilla.jpg", "owl.jpg"]
    deep = [Path("/x/A/day/1.jpg"), Path("/x/B/day/1.jpg"), Path("1.jpg")]
    assert short_names(deep) == ["A/day/1.jpg", "B/day/1.jpg", "1.jpg"]
    assert short_names([Path("/a/x.jpg"), Path("/x.jpg")]) == ["a/x.jpg", "x.jpg"]  # not "//x.jpg"
