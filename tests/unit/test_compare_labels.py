"""A group's label (`compare.labels`: what a cluster's or a folder's photos hold and the rest far less,
said once and counted) and the folders a set was given as (`compare.folders`)."""

from __future__ import annotations

import numpy as np


def test_cluster_labels_say_each_thing_once() -> None:
    from multicap.compare.labels import over_represented, readable

    feats = [{"trailer", "brown trailer", "vehicle", "brown vehicle", "person"} for _ in range(3)]
    feats += [{"cup", "person"} for _ in range(3)]
    above = {"trailer": {"vehicle"}, "brown trailer": {"brown vehicle"}}
    mask = np.array([False] * 3 + [True] * 3)
    telling = over_represented([0, 1, 2], mask, feats, above)
    assert set(telling) == {"trailer", "brown trailer"}  # same members: the hypernyms add nothing
    assert readable(["brown trailer", "trailer above person", "trailer", "blue palette"], {"trailer"}) == [
        "trailer",
        "blue palette",
    ]
    # a word above a kept one says less: the 346 real photos' fish cluster had read "fish, dark, large
    # animal, animal in the centre, medium animal, animal"
    features = ["fish", "dark", "large animal", "animal in the centre", "medium animal", "animal"]
    assert readable(features, {"fish"}, {"fish": {"aquatic vertebrate", "animal"}}) == ["fish", "dark"]
    # a shorter wording coming later takes the place of the longer ones it is in
    assert readable(["medium animal", "blue palette", "animal in the centre", "animal"], set()) == [
        "animal",
        "blue palette",
    ]
    assert readable(["animals", "animal"], set()) == ["animals", "animal"]  # whole words only


def test_a_cluster_that_most_members_share_nothing_of_is_labelled_by_what_a_third_share() -> None:
    """Seven images, three of them espressos and two cups, none of the others' things: "7 images" said
    nothing; now the label counts what a third or more of them share and the rest of the set does not."""
    from multicap.compare.labels import over_represented

    feats = [{"espresso", "cup"}] * 2 + [{"espresso"}] + [{"cup"}] + [{"clock"}, {"book"}, {"lamp"}]
    feats += [{"tree"}, {"mountain"}, {"lake"}, {"clock"}]
    mask = np.array([False] * 7 + [True] * 4)
    assert over_represented(list(range(7)), mask, feats, {}) == []  # none held by more than half
    some = over_represented(list(range(7)), mask, feats, {}, most=1 / 3)
    assert some == ["cup", "espresso"]  # 3 of 7 and 3 of 7, held by no other image; the clock is not


def test_a_cluster_that_no_third_shares_anything_of_is_labelled_by_what_a_fifth_share() -> None:
    """Four of the 346 real photos' 15 clusters had no label ("18 images"); what a fifth of a cluster holds
    half as often again as the rest of the set now labels it, counted ("measuring instrument (4 of 18)")."""
    from multicap.compare.labels import FEW, FEW_LIFT, set_apart

    feats = [{"dial"}] * 3 + [{"tree"}, {"cup"}, {"lamp"}, {"book"}, {"pen"}, {"box"}, {"car"}]
    feats += [{"dial"}] + [{"sea"}] * 9
    mask = np.array([False] * 10 + [True] * 10)
    assert 10 * FEW < 3 < 10 / 3 and FEW_LIFT <= 3.0  # no third holds it, a fifth does, 3 times as often
    assert set_apart(list(range(10)), mask, feats, {}, set()) == ["dial"]


def test_each_folder_is_said_by_what_its_photos_show_that_the_others_do_not(tmp_path, monkeypatch) -> None:
    from pathlib import Path

    from multicap.compare.folders import folder_of, folder_summaries

    a, b = tmp_path / "a", tmp_path / "b"
    paths = [a / "1.jpg", a / "2.jpg", a / "3.jpg", b / "1.jpg", b / "2.jpg", Path("elsewhere.jpg")]
    feats = [{"dog", "grass"}, {"dog", "sky"}, {"cat", "grass"}, {"person", "sky"}, {"person"}, {"dog"}]
    where = folder_of(paths, [a, b])
    assert where == [0, 0, 0, 1, 1, -1]
    said = folder_summaries(where, [a, b], feats, {}, {"dog", "cat", "person"}, np.arange(6))
    assert [s.folder for s in said] == [str(a), str(b)] and [len(s.members) for s in said] == [3, 2]
    assert said[0].distinguishing == ["dog", "grass"]  # bare, as a cluster's; counted in the text
    assert said[0].text == "3 images: dog (2 of 3), grass (2 of 3)"  # a photo named alone: in none
    assert said[1].text == "2 images: person"
    copies = np.array([0, 0, 2, 3, 4, 5])  # a's second photo is a copy of its first: counted once
    again = folder_summaries(where, [a, b], feats, {}, {"dog", "cat", "person"}, copies)
    assert again[0].distinguishing == ["grass"]
    assert again[0].text.startswith("3 images (2 photos and copies): ")
    # a copy whose photo is in the other folder still counts in its own folder
    across = np.array([3, 1, 2, 3, 4, 5])
    assert folder_summaries(where, [a, b], feats, {}, set(), across)[0].text.startswith("3 images: ")
    # run inside a, "." and "../b": b's photos are b's, not "."'s; a nested folder holds its own photos
    a.mkdir()
    monkeypatch.chdir(a)
    assert folder_of([Path("1.jpg"), Path("../b/1.jpg")], [Path("."), Path("../b")]) == [0, 1]
    assert folder_of([a / "sub" / "x.jpg", a / "y.jpg"], [a, a / "sub"]) == [1, 0]
    assert folder_summaries([0, 0, 0], [a, b], feats[:3], {}, set(), np.arange(3)) == []  # one holds any
