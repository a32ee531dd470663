"""`multicap describe`: human and JSON output, the set summary, bad inputs, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import EXAMPLES, run_cli


def test_describe_human_output_skips_bad_images_then_summarises_the_set(bad_files: dict[str, Path]) -> None:
    chelsea, coffee = str(EXAMPLES / "chelsea.jpg"), str(EXAMPLES / "coffee.jpg")
    r = run_cli("describe", str(bad_files["truncated"]), chelsea, coffee, "--level", "layout")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].endswith("chelsea.jpg") and lines[1].strip().startswith("layout:")
    assert "cat" in lines[1] and "espresso" in r.stdout and "in the centre" in r.stdout
    assert "set of 2 images (layout level)" in r.stdout and "only " in r.stdout
    assert "truncated.jpg" not in r.stdout
    assert "warning: skipped" in r.stderr and "1 of 3 images could not be read" in r.stderr


def test_ray_options_without_the_ray_engine_are_said_to_be_ignored() -> None:
    r = run_cli("describe", str(EXAMPLES / "coffee.jpg"), "--workers", "2", "--level", "object")
    assert r.returncode == 0 and "espresso" in r.stdout
    assert "warning: --workers applies to --engine ray only: ignored" in r.stderr


def test_describe_with_no_readable_image_fails(bad_files: dict[str, Path]) -> None:
    r = run_cli("describe", str(bad_files["not_image"]))
    assert r.returncode == 1 and r.stdout == "" and "warning: skipped" in r.stderr
    assert r.stderr.splitlines()[-1] == "error: the image could not be read"
    typed = run_cli("describe", str(bad_files["not_image"].parent / "no-such.jpg"))  # a slip: as index says
    assert typed.returncode == 1 and typed.stderr.startswith("error: no such file or folder")
    assert len(typed.stderr.splitlines()) == 1  # one line, not a skip and then the error saying it again
    # a folder of bad files ends as compare ends, on one error line (it had ended on "4 of 4 ... not be read")
    folder = bad_files["empty"].parent
    r = run_cli("describe", str(folder))
    n = sum(1 for line in r.stderr.splitlines() if line.startswith("warning: skipped"))
    assert (
        r.returncode == 1
        and n >= 3
        and r.stderr.splitlines()[-1] == f"error: none of the {n} images could be read"
    )
    r = run_cli("index", str(folder), "--index", str(folder.parent / "idx"))
    assert (
        r.returncode == 1
        and r.stderr.splitlines()[-1] == f"error: none of the {n} images could be read; nothing was added"
    )


def test_describe_json_schema() -> None:
    r = run_cli("describe", str(EXAMPLES), "--json", "--level", "all", "--top-k", "2")
    assert r.returncode == 0, r.stderr
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    images, sets = docs[:-1], docs[-1]
    assert len(images) == 5 and all(d["type"] == "image" for d in images)
    for d in images:
        assert set(d) >= {"path", "facts", "texts", "confidence"}
        assert set(d["texts"]) == {"object", "attribute", "layout"}
        assert len(d["facts"]["objects"]) <= 2
        for obj in d["facts"]["objects"]:
            assert set(obj) == {"label", "confidence", "box", "attributes"} and len(obj["box"]) == 4
            assert {"colour", "size", "position", "wnid", "tags"} <= set(obj["attributes"])
    assert sets["type"] == "set" and sets["n_images"] == 5 and sets["level"] == "all"
    assert set(sets) >= {"shared", "common", "distinct", "text"} and len(sets["distinct"]) == 5


def test_levels_given_twice_are_both_said() -> None:
    """`--level object --level layout` had said the layout alone (the last option won, unsaid)."""
    files = [str(EXAMPLES / "coffee.jpg"), str(EXAMPLES / "chelsea.jpg")]
    r = run_cli("describe", *files, "--json", "--level", "Layout", "--level", "object")
    assert r.returncode == 0, r.stderr
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    assert all(list(d["texts"]) == ["object", "layout"] for d in docs[:-1])
    assert docs[-1]["type"] == "set" and docs[-1]["level"] == "layout"  # the most detailed asked


def test_every_level_and_the_caption() -> None:
    """`--level all --level caption` had dropped the caption ("all" won, unsaid); a captioner that knows
    only the caption (trained on Flickr8k or COCO) said nothing at all by default, exit 0."""
    from multicap.cli.describe import _asked, _levels
    from multicap.describe.describer import every_level

    assert every_level(("caption",)) == ["caption"]
    assert every_level(("object", "layout", "caption")) == ["object", "layout"]
    assert _levels(("caption",), _asked([])) == ["caption"]
    assert _levels(("object", "attribute", "caption"), _asked(["all", "Caption"])) == [
        "object", "attribute", "caption"
    ]  # fmt: skip
    scene = str(EXAMPLES.parent / "scenes" / "images" / "000000.png")
    r = run_cli(
        "describe", scene, "--model", "scenes-small", "--json", "--level", "all", "--level", "caption"
    )
    assert r.returncode == 0, r.stderr
    assert list(json.loads(r.stdout.splitlines()[0])["texts"]) == ["object", "attribute", "layout", "caption"]


def test_grounded_options_with_a_bundle_are_said_ignored() -> None:
    scene = str(EXAMPLES.parent / "scenes" / "images" / "000000.png")
    r = run_cli(
        "describe", scene, "--model", "scenes-small", "--top-k", "1", "--no-people", "--level", "object"
    )
    assert r.returncode == 0, r.stderr
    assert "warning: --top-k and --no-people apply to the grounded describer only: ignored with --model " \
        "scenes-small" in r.stderr  # fmt: skip
    plain = run_cli("describe", scene, "--model", "scenes-small", "--level", "object")
    assert "grounded describer only" not in plain.stderr and plain.stdout == r.stdout


def test_describe_bad_usage(tmp_path: Path) -> None:
    r = run_cli("describe", str(EXAMPLES / "coffee.jpg"), "--level", "colour")
    assert r.returncode == 2 and "--level" in r.stderr
    (tmp_path / "hid" / ".h").mkdir(parents=True)  # only hidden images: had been said empty, no hint
    (tmp_path / "hid" / ".h" / "c.jpg").write_bytes((EXAMPLES / "coffee.jpg").read_bytes())
    r = run_cli("describe", str(tmp_path / "hid"))
    assert r.returncode == 1 and "(only hidden ones: --hidden reads them)" in r.stderr
    r = run_cli("describe", str(EXAMPLES / "coffee.jpg"), "-m", "grounded-no-people", "--people")  # ignored
    assert r.returncode == 2 and "grounded-no-people finds none: drop --people" in r.stderr
    empty = run_cli("describe", str(tmp_path))
    assert empty.returncode == 1 and "no images found" in empty.stderr
    missing = run_cli("describe", str(EXAMPLES / "coffee.jpg"), "--model", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "error: no bundle folder" in missing.stderr


def test_describe_takes_what_an_index_holds_and_describes_the_rest(tmp_path: Path) -> None:
    """`describe --index`: the files the index holds unchanged come from it (the same JSON as described
    afresh), a changed file is described again, and an index built otherwise is said so and not used."""
    import shutil

    photos = tmp_path / "photos"
    shutil.copytree(EXAMPLES, photos)
    index = str(tmp_path / "idx")
    assert run_cli("index", str(photos), "--index", index, "--model", "grounded-no-people").returncode == 0

    def described(*extra: str) -> tuple[dict[str, dict], str]:
        r = run_cli("describe", str(photos), "--json", "--no-people", *extra)
        assert r.returncode == 0, r.stderr
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        return {Path(d["path"]).name: d for d in lines if d["type"] == "image"}, r.stderr

    fresh, _ = described()
    held, said = described("--index", index)
    assert held == fresh and "5 of 5 images from the index" in said
    cat = photos / "chelsea.jpg"
    cat.write_bytes((photos / "coffee.jpg").read_bytes())  # changed since it was indexed
    again, said = described("--index", index)
    assert (
        "4 of 5 images from the index" in said
        and again["chelsea.jpg"]["texts"] == fresh["coffee.jpg"]["texts"]
    )
    # without --model or --no-people: the index's model, as search and compare take it
    followed = run_cli("describe", str(photos), "--json", "--index", index)
    assert followed.returncode == 0 and "4 of 5 images from the index" in followed.stderr
    with_people = run_cli("describe", str(photos), "--json", "--index", index, "--people")  # another model
    assert with_people.returncode == 0 and "built with the grounded-no-people model" in with_people.stderr
    other = run_cli("describe", str(photos), "--json", "--no-people", "--top-k", "2", "--index", index)
    assert other.returncode == 0 and "describing afresh" in other.stderr
