"""`multicap compare`: a pair and a set, human and JSON output, the report, bad inputs, exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from multicap.data.scenes import make_pair, near_duplicates
from tests.conftest import EXAMPLES, run_cli


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scenes")
    pair = make_pair(4, 0, "recolour")
    before, after = pair.images(160)
    before.save(folder / "before.png")
    after.save(folder / "after.png")
    for kind, img in near_duplicates(make_pair(4, 1, "move").before, size=160, seed=1)[:3]:
        img.save(folder / f"copy_{kind}.jpg", quality=92)
    (folder / "broken.jpg").write_bytes(b"not an image")
    return folder


def test_pair_json_round_trip(scenes: Path) -> None:
    r = run_cli("compare", str(scenes / "before.png"), str(scenes / "after.png"), "--json")
    assert r.returncode == 0, r.stderr
    [doc] = [json.loads(line) for line in r.stdout.splitlines()]
    assert doc["type"] == "pair" and doc["a"].endswith("before.png") and doc["b"].endswith("after.png")
    assert set(doc["differences"]) == set(doc["texts"]) == {"object", "attribute", "layout"}
    assert -1.0 <= doc["similarity"] <= 1.0 and isinstance(doc["near_duplicate"], bool)
    human = run_cli("compare", str(scenes / "before.png"), str(scenes / "after.png"), "--level", "layout")
    assert human.returncode == 0 and human.stdout.splitlines()[-1].strip().startswith("layout:")
    assert doc["texts"]["layout"] in human.stdout
    copies = run_cli("compare", str(scenes / "copy_original.jpg"), str(scenes / "copy_crop.jpg"), "--json")
    assert json.loads(copies.stdout)["near_duplicate"] is True  # as the set's grouping says (next test)


def test_set_json_and_report(scenes: Path, tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.html"
    r = run_cli("compare", str(scenes), "--json", "--report", str(report), "--clusters", "2")
    assert r.returncode == 0, r.stderr
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    kinds = [d["type"] for d in docs]
    assert kinds.count("image") == 5 and kinds[-1] == "summary" and kinds.count("cluster") == 2
    numbers = sorted(d["cluster"] for d in docs if d["type"] == "cluster")
    assert numbers == [1, 2]  # as the text ("1. ...") and the report number them
    assert {d["cluster"] for d in docs if d["type"] == "image"} <= set(numbers)
    summary = docs[-1]
    assert summary["n_images"] == 5 and summary["failed"] == 1 and summary["report"] == str(report)
    groups = [sorted(Path(m).name for m in d["members"]) for d in docs if d["type"] == "duplicates"]
    assert ["copy_crop.jpg", "copy_original.jpg", "copy_scale.jpg"] in groups
    assert "warning: skipped" in r.stderr and "broken.jpg" in r.stderr
    [skipped] = [d for d in docs if d["type"] == "skipped"]  # as describe's: it had been a count alone
    assert skipped["path"] == str(scenes / "broken.jpg") and skipped["reason"]
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    human = run_cli("compare", str(scenes))
    photos = f"of {len(groups)} photo{'s' if len(groups) > 1 else ''}"  # ("3 in 3 groups": 3 what)
    assert human.returncode == 0 and photos in human.stdout and "keep " in human.stdout
    assert "from the index" not in human.stdout  # no --index: it had said "(0 from the index)"
    whole = run_cli("compare", str(scenes), "--clusters", "1")
    line = next(x for x in whole.stdout.splitlines() if x.strip().startswith("1. "))
    assert ": " in line.split("e.g.")[0], line  # one cluster: labelled with what its images share


def test_bad_inputs(scenes: Path, tmp_path: Path) -> None:
    bad_level = run_cli("compare", str(scenes), "--level", "colour")
    assert bad_level.returncode == 2 and "--level" in bad_level.stderr
    empty = run_cli("compare", str(tmp_path))
    assert empty.returncode == 1 and empty.stderr.strip().endswith(f"no images found in {tmp_path}")
    typo = run_cli("compare", str(scenes), str(tmp_path / "no-such-folder"))  # had been one set, exit 0
    assert typo.returncode == 1 and "no-such-folder; nothing was compared" in " ".join(typo.stderr.split())
    assert "no such file or folder" in run_cli("compare", str(tmp_path / "gone")).stderr
    twice = run_cli("compare", str(scenes), f"{scenes}/", "--json")  # had been one set, silently
    assert twice.returncode == 0 and "is given twice: read once, as one folder" in " ".join(
        twice.stderr.split()
    )
    many = run_cli("compare", str(scenes), "--clusters", "50", "--json")
    assert many.returncode == 0 and "warning: --clusters 50: 3 made (one an image at most" in many.stderr
    one = run_cli("compare", str(scenes / "before.png"), str(scenes / "broken.jpg"))
    assert one.returncode == 1 and "a pair needs two readable images" in one.stderr
    twice = run_cli("compare", str(scenes / "before.png"), str(scenes / "before.png"))
    assert twice.returncode == 1 and "a pair needs two different images" in twice.stderr
    os.mkfifo(tmp_path / "pipe.jpg")  # had been said to be "both paths name before.png"
    fifo = run_cli("compare", str(tmp_path / "pipe.jpg"), str(scenes / "before.png"))
    assert fifo.returncode == 1 and fifo.stderr.strip().endswith("a pair needs two readable images")
    (tmp_path / "pipe.jpg").unlink()
    alone = run_cli("compare", str(scenes / "before.png"))
    assert alone.returncode == 1 and "a set needs two or more images" in alone.stderr
    no_index = run_cli("compare", str(scenes), "--index", str(tmp_path / "nope"))
    assert no_index.returncode == 1 and "no index at" in no_index.stderr
    folder = run_cli("compare", str(scenes), "--report", str(tmp_path))  # not an IsADirectoryError
    assert folder.returncode == 2 and "is a directory" in folder.stderr
    for place, said in (  # before the comparison (a FileNotFoundError had come after all its work)
        ("/proc/report.html", "--report /proc/report.html: nothing can be written in /proc"),
        (str(scenes / "before.png" / "r.html"), "before.png is a file, not a folder"),
    ):
        late = run_cli("compare", str(scenes), "--report", place)
        assert late.returncode == 1 and said in late.stderr and len(late.stderr.strip().splitlines()) == 1
    assert "multicap compare a.jpg b.jpg" in run_cli("compare", "--help").stdout


def test_a_jpeg_is_kept_over_its_png_conversion_and_each_copy_says_how_its_file_was_made(
    tmp_path: Path,
) -> None:
    """A walkthrough's JPEG and its PNG conversion: the PNG (five times the bytes) had been kept and the
    original called "recompressed", so that following the advice deleted the original; a byte-identical copy
    and one with a comment added had been said made in no way. A PNG original's JPEG copy (other pixels)
    still leaves the PNG kept."""
    from PIL import Image

    photo = Image.open(EXAMPLES / "chelsea.jpg").convert("RGB")
    photo.save(tmp_path / "cat.jpg", quality=90)
    Image.open(tmp_path / "cat.jpg").save(tmp_path / "cat_converted.png")
    (tmp_path / "cat_same.jpg").write_bytes((tmp_path / "cat.jpg").read_bytes())
    raw = (tmp_path / "cat.jpg").read_bytes()  # a JPEG comment segment after the start of image
    (tmp_path / "cat_comment.jpg").write_bytes(raw[:2] + b"\xff\xfe\x00\x07hello" + raw[2:])
    Image.open(EXAMPLES / "coffee.jpg").convert("RGB").save(tmp_path / "shot.png")
    Image.open(tmp_path / "shot.png").save(tmp_path / "shot_lossy.jpg", quality=100)  # (a review: a mean
    # difference under 0.5 had taken the PNG original for its conversion: the JPEG kept)
    for k, name in enumerate(["cat_converted.png", "cat_comment.jpg", "cat_same.jpg", "cat.jpg"]):
        os.utime(tmp_path / name, ((k + 1) * 1e9, (k + 1) * 1e9))  # the conversion the oldest
    r = run_cli("compare", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    docs = [json.loads(x) for x in r.stdout.splitlines()]
    keepers = sorted(Path(d["keeper"]).name for d in docs if d["type"] == "duplicates")
    assert keepers == ["cat_comment.jpg", "shot.png"], keepers  # a JPEG of the cat (the oldest of them)
    made = {Path(d["b"]).name: d["copied"] for d in docs if d["type"] == "pair"}
    assert made["cat_converted.png"][0].startswith("another format (JPEG → PNG, ") and made["shot_lossy.jpg"][
        0
    ].startswith("another format (PNG → JPEG, "), made
    assert made["cat_same.jpg"] == ["the same pixels saved again (other metadata)"]  # of the comment's copy
    assert made["cat.jpg"] == ["the same pixels saved again (other metadata)"]
    pair = run_cli("compare", str(tmp_path / "cat.jpg"), str(tmp_path / "cat_same.jpg"), "--json")
    assert json.loads(pair.stdout)["copied"] == ["identical (the same bytes)"]


def test_a_copy_turned_a_quarter_made_grey_or_mirrored_is_a_near_duplicate(tmp_path: Path) -> None:
    """The signature (colours by place) of a quarter turn, a grey or a mirrored copy is far from the
    photo's (0.51, 0.44): they were never found; their keypoints (a mirrored copy's: those of its mirror
    image), carried by one similarity, say they are one photo."""
    from PIL import Image

    photo = Image.open(EXAMPLES / "chelsea.jpg").convert("RGB")
    photo.save(tmp_path / "cat.jpg")
    photo.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "cat_turned.jpg")
    photo.convert("L").save(tmp_path / "cat_grey.jpg")
    photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(tmp_path / "cat_mirrored.jpg")
    Image.open(EXAMPLES / "coffee.jpg").convert("RGB").save(tmp_path / "coffee.jpg")
    r = run_cli("compare", str(tmp_path), "--json")
    assert r.returncode == 0, r.stderr
    [group] = [json.loads(x) for x in r.stdout.splitlines() if '"type": "duplicates"' in x]
    copies = ["cat.jpg", "cat_grey.jpg", "cat_mirrored.jpg", "cat_turned.jpg"]
    assert sorted(Path(m).name for m in group["members"]) == copies
    # the photo is kept, not an older copy made grey or re-encoded at a third of its size (both had been
    # kept for being older; a walkthrough deleting the others would have lost the colour original)
    photo.save(tmp_path / "cat_small.webp", quality=20)
    for name, when in (("cat_grey.jpg", 1), ("cat_small.webp", 1), ("cat.jpg", 2)):
        os.utime(tmp_path / name, (when * 1e9, when * 1e9))
    for name in ("cat_turned.jpg", "cat_mirrored.jpg"):
        os.utime(tmp_path / name, (3e9, 3e9))
    kept = run_cli("compare", str(tmp_path), "--json")
    [group] = [json.loads(x) for x in kept.stdout.splitlines() if '"type": "duplicates"' in x]
    assert Path(group["keeper"]).name == "cat.jpg" and len(group["members"]) == 5, group
    # each copy's pair says how it was made (the report's table had said "no meaningful difference")
    made = {
        Path(x["b"]).name: x["copied"]
        for x in map(json.loads, kept.stdout.splitlines())
        if x["type"] == "pair"
    }
    assert (
        made["cat_turned.jpg"] == ["turned a quarter anticlockwise"] and "made grey" in made["cat_grey.jpg"]
    )
    assert made["cat_small.webp"][0].startswith("another format (JPEG → WEBP, "), made  # (had said nothing)
    (tmp_path / "cat_small.webp").unlink()
    mirrored = run_cli("compare", str(tmp_path / "cat.jpg"), str(tmp_path / "cat_mirrored.jpg"))
    assert mirrored.stdout.splitlines()[1].endswith(": b flipped left to right"), mirrored.stdout
    assert mirrored.stdout.count("no meaningful difference") == 3  # compared flipped back
    pair = run_cli("compare", str(tmp_path / "cat.jpg"), str(tmp_path / "cat_turned.jpg"), "--json")
    doc = json.loads(pair.stdout)  # and how the copy was made, which the facts cannot say
    assert doc["near_duplicate"] is True and doc["copied"] == ["turned a quarter anticlockwise"]
    # compared in the photo's frame, the copy differs in nothing (the classifier, which reads the turned
    # cat as something else, was said to see other things)
    assert all(not d for d in doc["differences"].values()), doc["differences"]
    grey = run_cli("compare", str(tmp_path / "cat.jpg"), str(tmp_path / "cat_grey.jpg"))
    assert "near-duplicate: yes" in grey.stdout and grey.stdout.splitlines()[1].endswith(": b made grey")
    assert grey.stdout.count("no meaningful difference") == 3
    # a turned copy whose embedding moved far (the camera: not among the photo's nearest) is found by its
    # pixels turned back: in a set it had been missed where a pair named alone was found (a walkthrough)
    Image.open(EXAMPLES / "camera.jpg").transpose(Image.Transpose.ROTATE_90).save(tmp_path / "cam_turned.jpg")
    Image.open(EXAMPLES / "camera.jpg").save(tmp_path / "cam.jpg")
    again = run_cli("compare", str(tmp_path), "--json")
    groups = [json.loads(x)["members"] for x in again.stdout.splitlines() if '"type": "duplicates"' in x]
    assert sorted(Path(m).name for m in groups[0]) == ["cam.jpg", "cam_turned.jpg"], groups


def test_a_pair_alike_but_not_one_photo_says_why(tmp_path: Path) -> None:
    """A pair above the signature's threshold that the keypoint check keeps apart was "near-duplicate: no
    (signature 0.839)", the number above the threshold and no reason given. Here the left and the right
    of one photo, which share no detail (signature 0.77, above a threshold of 0.7)."""
    from PIL import Image

    photo = Image.open(EXAMPLES / "rocket.jpg").convert("RGB")
    w, h = photo.size
    photo.crop((0, 0, w * 2 // 5, h)).save(tmp_path / "left.jpg")
    photo.crop((w * 3 // 5, 0, w, h)).save(tmp_path / "right.jpg")
    r = run_cli("compare", str(tmp_path / "left.jpg"), str(tmp_path / "right.jpg"), "-t", "0.7", "--json")
    doc = json.loads(r.stdout)
    assert doc["near_duplicate"] is False and doc["signature_similarity"] >= 0.7, doc
    assert "keypoints" in doc["why_not"]
    half = photo.crop((w // 4, h // 4, w - w // 4, h - h // 4))  # a crop to half a side is one photo
    half.save(tmp_path / "half.jpg")
    photo.save(tmp_path / "rocket.jpg")
    r = run_cli("compare", str(tmp_path / "rocket.jpg"), str(tmp_path / "half.jpg"), "--json")
    assert json.loads(r.stdout)["near_duplicate"] is True


def test_two_folders_say_what_sets_each_apart_and_the_copies_across(scenes: Path, tmp_path: Path) -> None:
    """A walkthrough compared two folders and found them merged into one set, with nothing said of what
    sets folder A apart from folder B: each folder now has its line, and a near-duplicate group that
    spans both is counted."""
    import shutil

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for name in ("before.png", "after.png", "copy_crop.jpg"):
        if (scenes / name).exists():
            shutil.copy(scenes / name, a / name)
    copies = sorted(p.name for p in scenes.glob("copy_*.jpg"))
    shutil.copy(scenes / copies[0], a / copies[0])
    for name in copies[1:]:
        shutil.copy(scenes / name, b / name)
    r = run_cli("compare", str(a), str(b), "--json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    folders = [x for x in lines if x["type"] == "folder"]
    assert [f["folder"] for f in folders] == [str(a), str(b)]
    assert [f["size"] for f in folders] == [len(list(a.iterdir())), len(list(b.iterdir()))]
    summary = lines[-1]
    assert summary["folders"] == 2 and summary["duplicate_groups_across_folders"] == 1
    text = run_cli("compare", str(a), str(b))
    assert "folders: 2; near-duplicate groups across them: 1" in text.stdout
    one = json.loads(run_cli("compare", str(a), "--json").stdout.splitlines()[-1])
    assert one["folders"] == 0  # one folder: a set, no folder lines
    twice = run_cli("compare", str(a), f"{a}/.", "--json")  # one folder given twice: one folder
    assert twice.returncode == 0 and '"type": "folder"' not in twice.stdout


def test_a_large_duplicate_group_is_named_and_shown_in_part(tmp_path: Path) -> None:
    """300 near-identical frames had made a 16,000-character line and a report of 301 thumbnails."""
    import numpy as np
    from PIL import Image

    photo = np.asarray(Image.open(EXAMPLES / "coffee.jpg").convert("RGB").resize((160, 120)), np.int16)
    rng = np.random.default_rng(0)
    for k in range(27):
        noisy = np.clip(photo + rng.integers(-3, 4, photo.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(tmp_path / f"frame{k:02d}.png")
    report = tmp_path / "report.html"
    r = run_cli("compare", str(tmp_path), "--report", str(report))
    assert r.returncode == 0, r.stderr
    (line,) = [x for x in r.stdout.splitlines() if x.startswith("  keep ")]
    assert line.count("frame") == 11 and " and 16 more;" in line, line  # the keeper and ten copies
    html = report.read_text()
    assert "… and 3 more (all in the Images table)" in html


def test_a_file_is_kept_over_a_link_to_it(tmp_path: Path) -> None:
    """A symbolic link and the file it names are a pair of copies: the file is the one to keep (the link,
    first by name, had been kept: a walkthrough deleting the "copy" would have lost the photo)."""
    from PIL import Image

    Image.open(EXAMPLES / "chelsea.jpg").convert("RGB").save(tmp_path / "z_real.jpg")
    (tmp_path / "a_link.jpg").symlink_to("z_real.jpg")
    Image.open(EXAMPLES / "coffee.jpg").convert("RGB").save(tmp_path / "coffee.jpg")
    (tmp_path / "empty").mkdir()  # a folder given that holds no image is said, not silently dropped
    r = run_cli("compare", str(tmp_path), str(tmp_path / "empty"), "--json")
    assert r.returncode == 0, r.stderr
    [group] = [json.loads(x) for x in r.stdout.splitlines() if '"type": "duplicates"' in x]
    assert Path(group["keeper"]).name == "z_real.jpg", group
    assert f"warning: {tmp_path / 'empty'} holds no images: compared without it" in r.stderr
    assert "a_link.jpg holds no images" not in r.stderr and f"{tmp_path} holds no images" not in r.stderr
    alias = tmp_path.parent / f"{tmp_path.name}-alias"  # a folder given again through a link: not empty
    alias.symlink_to(tmp_path)
    twice = run_cli("compare", str(tmp_path), str(alias), "--json")
    assert twice.returncode == 0 and "holds no images" not in twice.stderr, twice.stderr
    links = tmp_path.parent / f"{tmp_path.name}-links"  # a folder of links to photos elsewhere holds them
    links.mkdir()
    for name in ("coffee.jpg", "z_real.jpg"):
        (links / name).symlink_to(tmp_path / name)
    linked = run_cli("compare", str(links), "--json")
    assert linked.returncode == 0 and "holds no images" not in linked.stderr, linked.stderr
    kept = (tmp_path / "coffee.jpg").read_bytes()  # a report named as a photo compared: refused, kept
    refused = run_cli("compare", str(tmp_path), "--report", str(tmp_path / "coffee.jpg"))
    assert (
        refused.returncode == 1 and "is the image being compared, which it would overwrite" in refused.stderr
    )
    assert (tmp_path / "coffee.jpg").read_bytes() == kept
    elsewhere = tmp_path.parent / f"{tmp_path.name}-other.jpg"  # a photo outside the set: refused, kept
    elsewhere.write_bytes(kept)
    refused = run_cli("compare", str(tmp_path), "--report", str(elsewhere))
    assert refused.returncode == 1 and "holds no HTML report, which it would overwrite" in refused.stderr
    assert elsewhere.read_bytes() == kept
    earlier = tmp_path.parent / f"{tmp_path.name}-report.html"  # an earlier run's report is written over
    earlier.write_text("<!DOCTYPE html>\n<html><body>an earlier report</body></html>\n")
    again = run_cli("compare", str(tmp_path), "--report", str(earlier))
    assert again.returncode == 0 and "an earlier report" not in earlier.read_text(), again.stderr


def test_a_varied_set_says_it_forms_no_groups_and_what_several_show() -> None:
    """Eleven varied photos had read "clusters: 1" and "1. 11 images", as if alike and with nothing to
    say: the line says no split stands out, and the one group what several of its photos show."""
    r = run_cli("compare", str(EXAMPLES))
    assert r.returncode == 0, r.stderr
    assert "clusters: 1 (no split of the set stands out: give --clusters N" in r.stdout
    line = next(x for x in r.stdout.splitlines() if x.strip().startswith("1. "))
    assert " of 5)" in line.split("e.g.")[0], line  # "person (2 of 5), ..."


def test_a_pair_in_one_folder_is_named_apart_from_the_same_names_in_another(tmp_path: Path) -> None:
    """Two folders holding img1.jpg and img2.jpg: a pair within one had read "... is only in img1.jpg",
    either folder's (pairs across them already named the folder)."""
    for folder, photos in (("A", ("chelsea.jpg", "coffee.jpg")), ("B", ("rocket.jpg", "astronaut.jpg"))):
        (tmp_path / folder).mkdir()
        for k, photo in enumerate(photos, start=1):
            (tmp_path / folder / f"img{k}.jpg").write_bytes((EXAMPLES / photo).read_bytes())
    r = run_cli("compare", str(tmp_path / "A"), str(tmp_path / "B"), "--json")
    assert r.returncode == 0, r.stderr
    pairs = [d for d in map(json.loads, r.stdout.splitlines()) if d["type"] == "pair"]
    within = next(d for d in pairs if Path(d["a"]).parent == Path(d["b"]).parent)
    said = " ".join(x["text"] for level in within["differences"].values() for x in level)
    folder = Path(within["a"]).parent.name
    assert f"only in {folder}/img" in said and " only in img" not in said, said
