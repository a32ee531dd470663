"""Training end to end on real generated scenes with the seeded `tiny` encoder: seconds, not minutes."""

from __future__ import annotations

from pathlib import Path

import pytest

from multicap.captioning.bundle import load_bundle
from multicap.captioning.recipe import load_recipe
from multicap.captioning.train import TrainEvent, train
from multicap.data.scenes import ScenesConfig, generate_dataset

TINY_MODEL = [
    "encoder.name=tiny",
    "encoder.image_size=64",
    "model.embed_dim=48",
    "model.value_dim=64",
    "model.attention_dim=32",
    "model.hidden_dim=96",
    "model.dropout=0.0",
    "train.batch_size=16",
    "train.warmup_steps=5",
    "train.threads=1",
    "decoding.beam_size=2",
    "decoding.max_len=40",
]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scenes")
    generate_dataset(out, ScenesConfig(n=40, size=64, seed=1), workers=1)
    return out


def _recipe(scenes: Path, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    return load_recipe("scenes", [f"data.corpus={scenes}", f"train.out={out}", *TINY_MODEL, *extra])


def test_tiny_model_overfits_a_handful_of_scenes(scenes: Path, tmp_path: Path) -> None:
    """Validating on the training images: loss falls and the facts it states become right."""
    recipe = _recipe(
        scenes,
        tmp_path / "run",
        "data.val_split=train",
        "data.val_images=8",
        "data.train_images=8",
        "data.levels=[object, attribute]",
        "train.epochs=60",
        "train.batch_size=4",
        "train.lr=0.01",
        "train.patience=60",
    )
    result = train(recipe)
    losses = [h["loss"] for h in result.history]
    assert losses[-1] < 0.5 * losses[0]
    best = result.history[max(range(len(result.history)), key=lambda i: result.history[i]["score"])]
    assert best["object/fact_f1"] >= 0.9, best
    bundle = load_bundle(result.best)
    assert bundle.metrics["validation"]["object"]["fact_f1"] == best["object/fact_f1"]


def test_interrupt_and_resume_gives_the_same_result(scenes: Path, tmp_path: Path) -> None:
    extra = ["train.epochs=3", "data.val_images=6"]
    straight = train(_recipe(scenes, tmp_path / "a", *extra))
    first = train(_recipe(scenes, tmp_path / "b", *extra), stop_after_epochs=1)
    assert first.epochs_run == 1
    events: list[str] = []
    resumed = train(_recipe(scenes, tmp_path / "b", *extra), progress=lambda e: events.append(e.kind))
    assert "resumed" in events
    assert resumed.epochs_run == 3
    assert resumed.history == straight.history
    a, b = load_bundle(tmp_path / "a" / "best"), load_bundle(tmp_path / "b" / "best")
    for key, value in a.model.state_dict().items():
        assert (value == b.model.state_dict()[key]).all(), key


def test_resuming_with_another_recipe_is_refused(scenes: Path, tmp_path: Path) -> None:
    from multicap.errors import DataError

    train(_recipe(scenes, tmp_path / "c", "train.epochs=1", "data.val_images=2"))
    train(_recipe(scenes, tmp_path / "c", "train.epochs=2", "data.val_images=2"))  # longer: allowed
    with pytest.raises(DataError, match=r"another recipe \(model.hidden_dim differ\)"):
        train(_recipe(scenes, tmp_path / "c", "train.epochs=3", "data.val_images=2", "model.hidden_dim=64"))
    # refused before the features of another image size are cached (hours of encoding on COCO), not after
    caches = sorted(p.name for p in (scenes / "features").iterdir())
    with pytest.raises(DataError, match=r"another recipe \(encoder.image_size differ\)"):
        train(_recipe(scenes, tmp_path / "c", "train.epochs=3", "data.val_images=2", "encoder.image_size=96"))
    assert sorted(p.name for p in (scenes / "features").iterdir()) == caches


def test_time_budget_ends_the_run_and_a_resume_past_it_trains_nothing(scenes: Path, tmp_path: Path) -> None:
    extra = ["train.epochs=5", "data.val_images=2", "train.max_minutes=0.002"]  # 0.12 s of training
    events: list = []
    first = train(_recipe(scenes, tmp_path / "t", *extra), progress=events.append)
    assert first.stopped_early and first.epochs_run == 1
    assert [e.message for e in events if e.kind == "stopped"] == ["time budget"]
    again: list = []
    second = train(_recipe(scenes, tmp_path / "t", *extra), progress=again.append)
    assert second.epochs_run == 1 and second.history == first.history
    assert [e.kind for e in again if e.kind in ("step", "validation", "stopped")] == ["stopped"]


def test_a_run_stopped_by_patience_stays_stopped_until_it_is_raised(scenes: Path, tmp_path: Path) -> None:
    """A rerun after an early stop trained on (epochs 7-20 of a run stopped at 6)."""
    extra = ["train.epochs=4", "data.val_images=2", "train.lr=1e-12", "train.patience=1"]  # no better score
    first = train(_recipe(scenes, tmp_path / "p", *extra))
    assert first.stopped_early and first.epochs_run == 2
    again: list = []
    second = train(_recipe(scenes, tmp_path / "p", *extra), progress=again.append)
    assert second.epochs_run == 2 and second.history == first.history
    assert [(e.kind, e.message) for e in again if e.kind in ("step", "stopped")] == [("stopped", "patience")]
    patient = train(_recipe(scenes, tmp_path / "p", *extra[:-1], "train.patience=2"))
    assert patient.epochs_run == 3


def test_grounded_attention_trains_from_the_scenes_boxes(scenes: Path, tmp_path: Path) -> None:
    """With loss.alpha_g, batches carry each word's object cells and the loss pulls attention there: of two
    runs from one seed on the same batches, differing only in alpha_g, the grounded one puts more attention
    on the cells of the objects its words name (teacher-forced on the training captions)."""
    import torch

    from multicap.captioning.batches import build_examples
    from multicap.captioning.model import Captioner, LossConfig

    extra = ["train.epochs=2", "data.val_images=2"]
    for name, alpha_g in (("grounded", 1.0), ("plain", 0.0)):
        train(_recipe(scenes, tmp_path / name, *extra, f"loss.alpha_g={alpha_g}"))
    data = build_examples(_recipe(scenes, tmp_path / "grounded", "loss.alpha_g=1.0"))
    batches = list(data.train.batches(64, torch.Generator().manual_seed(0)))
    assert all(b.regions is not None and b.regions.any() for b in batches)
    mass_loss, no_loss = LossConfig(0.0, 0.0, alpha_g=1.0), LossConfig(0.0, 0.0, alpha_g=0.0)

    @torch.no_grad()
    def grounding_nll(model: Captioner) -> float:
        """Mean over grounded steps of -log(attention mass on the named objects' cells)."""
        terms = [
            model(b.grid, b.captions, regions=b.regions, objective=mass_loss)[1]
            - model(b.grid, b.captions, regions=b.regions, objective=no_loss)[1]
            for b in batches
        ]
        return float(torch.stack(terms).mean())

    grounded, plain = (grounding_nll(load_bundle(tmp_path / n / "last").model) for n in ("grounded", "plain"))
    assert grounded < plain - 0.1, (grounded, plain)


def test_object_memory_learns_which_words_name_objects_from_the_corpus(scenes: Path, tmp_path: Path) -> None:
    """model.object_memory: the words that name an object (the vocabulary's `objects`, which the model
    reads) are the corpus's object labels and their plurals."""
    from multicap.captioning.grounding import plural
    from multicap.facts.scene_words import SHAPES

    result = train(
        _recipe(scenes, tmp_path / "run", "train.epochs=1", "data.val_images=4", "model.object_memory=true")
    )
    bundle = load_bundle(result.best)
    words = set(bundle.vocab.objects)
    assert len(words) >= len(SHAPES) and words <= {*SHAPES, *map(plural, SHAPES)}
    assert bundle.model.object_ids.tolist() == [bundle.vocab.stoi[w] for w in bundle.vocab.objects]


def test_object_memory_without_object_words_says_so(scenes: Path, tmp_path: Path) -> None:
    """A corpus with no object facts (the scenes' Karpathy JSON) names no object word: the object memory would
    stay at zero, and training says so before it starts."""
    events: list[TrainEvent] = []
    karpathy = f"data.corpus={scenes / 'karpathy.json'}"
    recipe = _recipe(
        scenes, tmp_path / "run", karpathy, "train.epochs=1", "data.val_images=4", "model.object_memory=true"
    )
    train(recipe, progress=events.append)
    warnings = [e.message for e in events if e.kind == "warning"]
    assert len(warnings) == 2 and "model.object_memory=false" in warnings[0], warnings
    # and four validation images are too few for the domain check: said, not silently off
    assert "cannot tell images unlike those it was trained on" in warnings[1]


def test_canonical_levels_learn_their_first_reference_only(scenes: Path, tmp_path: Path) -> None:
    """data.canonical: those levels keep one sequence per image (the corpus's first wording)."""
    from multicap.captioning.batches import build_examples
    from multicap.errors import DataError

    data = build_examples(_recipe(scenes, tmp_path / "run", "data.canonical=[object,layout]"))
    by_level: dict[str, set[int]] = {}
    for seqs in data.train.sequences:
        by_level.setdefault(data.vocab.itos[seqs[0][0]], set()).add(len(seqs))
    assert by_level["<object>"] == {1} and by_level["<layout>"] == {1}
    assert by_level["<attribute>"] == {3} and by_level["<caption>"] == {3}
    with pytest.raises(DataError, match=r"data\.canonical names level"):
        build_examples(_recipe(scenes, tmp_path / "run", "data.canonical=[layouts]"))


def test_levels_together_batches_hold_whole_images_each_grid_once(scenes: Path, tmp_path: Path) -> None:
    """train.levels_together: a batch holds every level of its images, each image's grid once, and
    `image_of` points each caption at the grid of an image that has that caption; an epoch still draws
    every entry once, and training runs on such batches."""
    import numpy as np
    import torch

    from multicap.captioning.batches import build_examples

    data = build_examples(_recipe(scenes, tmp_path / "run", "loss.alpha_g=1.0"))
    examples, drawn = data.train, 0
    owners: dict[tuple[int, ...], list[int]] = {}  # caption → feature rows of the entries that hold it
    for i, seqs in enumerate(examples.sequences):
        for seq in seqs:
            owners.setdefault(tuple(seq), []).append(examples.rows[i])
    levels = len({seqs[0][0] for seqs in examples.sequences})
    for batch in examples.batches(16, torch.Generator().manual_seed(0), together=True):
        assert batch.image_of is not None and batch.regions is not None
        assert len(batch.grid) * levels == len(batch.captions) == len(batch.image_of)
        assert batch.regions.shape[:2] == (len(batch.captions), batch.captions.shape[1] - 1)
        for caption, row in zip(batch.captions.tolist(), batch.image_of.tolist(), strict=True):
            key = tuple(t for t in caption if t != examples.pad_id)
            stored = examples.store.grid(np.asarray(owners[key])).astype(np.float32)
            assert any(np.array_equal(batch.grid[row].numpy(), g) for g in stored)
        drawn += len(batch.captions)
    assert drawn == len(examples)
    extra = ["train.epochs=1", "data.val_images=2", "train.levels_together=true"]
    result = train(_recipe(scenes, tmp_path / "t", *extra))
    assert result.epochs_run == 1 and result.history[0]["loss"] > 0


@pytest.mark.parametrize("moment", ["written", "renamed new", "old moved aside", "swapped"])
def test_a_kill_at_any_moment_of_a_checkpoint_swap_loses_no_epoch_and_no_best(
    scenes: Path, tmp_path: Path, moment: str
) -> None:
    """A Ctrl-C between renaming last to last.old and the new one into place had left no last/: the next
    run started at epoch 1, wrote over best/, then failed on the leftover last.old at every epoch's end.
    Each moment of `save_whole` is left as a kill leaves it; the next run resumes after the right epoch."""
    import shutil

    extra = ["train.epochs=2", "data.val_images=2"]
    out = tmp_path / "k"
    train(_recipe(scenes, out, *extra), stop_after_epochs=1)
    last, new, old = out / "last", out / "last.new", out / "last.old"
    # epoch 2's checkpoint, written beside epoch 1's, then the swap stopped part way
    done = train(_recipe(scenes, tmp_path / "twin", *extra))
    shutil.copytree(tmp_path / "twin" / "last", out / "last.tmp")
    if moment != "written":
        (out / "last.tmp").rename(new)
    if moment in ("old moved aside", "swapped"):
        last.rename(old)
    if moment == "swapped":
        new.rename(last)
    events: list[TrainEvent] = []
    again = train(_recipe(scenes, out, *extra), progress=events.append)
    resumed = [e.epoch for e in events if e.kind == "resumed"]
    assert resumed == [1 if moment == "written" else 2], (moment, resumed)
    assert again.epochs_run == 2 and again.history == done.history
    assert sorted(p.name for p in out.iterdir()) == ["best", "last"]  # nothing left over


def test_a_run_resumed_on_a_corpus_of_other_words_is_refused_before_encoding(
    scenes: Path, tmp_path: Path
) -> None:
    """data.corpus may change between a run and its resumption, not its words: another vocabulary had
    been refused only after its images were encoded (hours on COCO)."""
    import json

    from multicap.errors import DataError

    out = tmp_path / "v"
    train(_recipe(scenes, out, "train.epochs=2", "data.val_images=2"), stop_after_epochs=1)
    doc = json.loads((scenes / "karpathy.json").read_text())
    for image in doc["images"]:
        image["filename"] = str(scenes / "images" / Path(image["filename"]).name)
        for sentence in image["sentences"]:
            sentence["raw"] = "zebra " + sentence["raw"]  # a word the first corpus never had
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc))
    events: list[TrainEvent] = []
    with pytest.raises(DataError, match="the checkpoint's vocabulary differs from this corpus"):
        train(_recipe(other, out, "train.epochs=2", "data.val_images=2"), progress=events.append)
    assert not [e for e in events if e.kind == "features"]  # refused before any image was encoded


def test_a_damaged_or_missing_checkpoint_file_is_named_and_nothing_is_trained(
    scenes: Path, tmp_path: Path
) -> None:
    """A truncated trainer.pt or model.safetensors had said torch's or safetensors' words, naming no file;
    a deleted trainer.pt had restarted the run at epoch 1 over best/, unsaid."""
    from multicap.errors import DataError

    extra = ["train.epochs=2", "data.val_images=2"]
    out = tmp_path / "d"
    train(_recipe(scenes, out, *extra), stop_after_epochs=1)
    best = (out / "best" / "model.safetensors").read_bytes()
    for name in ("trainer.pt", "model.safetensors", "metrics.json"):
        path = out / "last" / name
        kept = path.read_bytes()
        path.write_bytes(kept[: len(kept) // 3])
        with pytest.raises(DataError, match=rf"{path} is damaged \(.*\): restore it"):
            train(_recipe(scenes, out, *extra))
        if name == "trainer.pt":  # text, not a zip: torch's unpickler (its advice: an unsafe load)
            path.write_bytes(b"garbage\n")
            with pytest.raises(DataError, match=rf"{path} is damaged \(Weights only load failed\): restore"):
                train(_recipe(scenes, out, *extra))
        path.unlink()
        with pytest.raises(DataError, match=rf"{path} is missing, so the run cannot resume"):
            train(_recipe(scenes, out, *extra))
        path.write_bytes(kept)
    assert (out / "best" / "model.safetensors").read_bytes() == best  # untouched
    shutil_last = out / "last"
    shutil_last.rename(tmp_path / "elsewhere")
    with pytest.raises(DataError, match="holds best/ but no last/ checkpoint to resume"):
        train(_recipe(scenes, out, *extra))


def test_a_run_resumes_under_another_spelling_of_its_folders(
    scenes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "train.out=r4" from the run's parent folder had been "another recipe (train.out differ)"."""
    extra = ["train.epochs=2", "data.val_images=2"]
    train(_recipe(scenes, tmp_path / "r4", *extra), stop_after_epochs=1)
    monkeypatch.chdir(tmp_path)
    events: list[TrainEvent] = []
    again = train(_recipe(Path(f"{scenes}/."), Path("r4"), *extra), progress=events.append)
    assert [e.epoch for e in events if e.kind == "resumed"] == [1] and again.epochs_run == 2


@pytest.mark.parametrize("where", ["afile", "afile/sub", "/proc/multicap-run"])
def test_a_train_out_that_cannot_be_made_is_refused_before_any_work(
    scenes: Path, tmp_path: Path, where: str
) -> None:
    """A file in the way, or /proc (which root's access check passes), had been found after an epoch."""
    from multicap.errors import ConfigError

    (tmp_path / "afile").write_text("x")
    events: list[TrainEvent] = []
    with pytest.raises(ConfigError, match="the run folder cannot be made there"):
        train(_recipe(scenes, tmp_path / where, "train.epochs=1"), progress=events.append)
    assert events == []  # no features cached, no step
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # and nothing made


def test_a_kill_between_the_checkpoint_and_the_best_bundle_loses_neither(
    scenes: Path, tmp_path: Path
) -> None:
    """The first epoch had a window (its best/ written, its last/ not yet) after which the run could not
    resume. last/ is written first now; killed before best/, the next run writes best/ from it."""
    extra = ["train.epochs=2", "data.val_images=2"]
    straight = train(_recipe(scenes, tmp_path / "a", *extra))
    out = tmp_path / "b"
    train(_recipe(scenes, out, *extra), stop_after_epochs=1)
    import shutil

    shutil.rmtree(out / "best")  # as a kill after last/ and before best/ leaves it (epoch 1 is the best)
    train(_recipe(scenes, out, "train.epochs=1", "data.val_images=2"))  # resumes, trains nothing
    assert (out / "best" / "model.safetensors").read_bytes() == (
        out / "last" / "model.safetensors"
    ).read_bytes()
    assert not (out / "best" / "trainer.pt").exists()
    again = train(_recipe(scenes, out, *extra))
    assert again.history == straight.history
    a, b = (tmp_path / "a" / "best" / "model.safetensors"), (out / "best" / "model.safetensors")
    assert a.read_bytes() == b.read_bytes()


def test_a_second_run_into_the_same_train_out_is_refused(scenes: Path, tmp_path: Path) -> None:
    """Two runs into one train.out had both trained, writing over each other's last/ and best/, and each
    said "best bundle: runs/p/best" of a score the other had replaced."""
    import subprocess
    import sys

    from multicap.errors import ConfigError

    out = tmp_path / "p"
    holder = subprocess.Popen(  # another process holding the run folder, as a run in progress does
        [sys.executable, "-c", "import sys, time\nfrom multicap.captioning.train import _only_run\n"
         "from pathlib import Path\nwith _only_run(Path(sys.argv[1])):\n    print('held', flush=True)\n"
         "    time.sleep(60)\n", str(out)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        events: list[TrainEvent] = []
        with pytest.raises(ConfigError, match="is being trained by another run: wait"):
            train(_recipe(scenes, out, "train.epochs=1", "data.val_images=2"), progress=events.append)
        assert events == []  # refused before any work
    finally:
        holder.kill()
        holder.wait()
    result = train(_recipe(scenes, out, "train.epochs=1", "data.val_images=2"))  # its lock went with it
    assert result.epochs_run == 1 and result.best.is_dir()


def test_a_missing_corpus_or_split_names_the_setting_to_change(scenes: Path, tmp_path: Path) -> None:
    """ "data/scenes: no such file or folder" (the recipe's default, in a folder without it) and "no images
    in split 'train'" had named neither the setting nor how to fill it."""
    from multicap.errors import DataError

    missing = tmp_path / "data" / "scenes"
    with pytest.raises(DataError, match=rf"data.corpus {missing}: .* `multicap data scenes --out {missing}`"):
        train(_recipe(missing, tmp_path / "r", "train.epochs=1"))
    karpathy = tmp_path / "data" / "coco" / "dataset_coco.json"  # no `data scenes` makes it (a docs check)
    with pytest.raises(DataError, match=r"no such file or folder; give a caption file") as err:
        train(_recipe(karpathy, tmp_path / "r", "train.epochs=1"))
    assert "data scenes" not in str(err.value) and "data.image_root=PATH" in str(err.value)
    with pytest.raises(
        DataError, match=r"no images in split 'nope' to train on \(it has: .*--set data.train_split"
    ):
        train(_recipe(scenes, tmp_path / "r", "train.epochs=1", "data.train_split=nope"))
