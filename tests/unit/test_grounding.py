"""Grounded attention: words tied to the objects they describe, cells tied to boxes, and the loss."""

from __future__ import annotations

import numpy as np
import torch

from multicap.captioning.grounding import align_words, object_cells, object_cover, scene_cells
from multicap.captioning.model import Captioner, CaptionerConfig
from multicap.levels.facts import SceneFacts, SceneObject
from multicap.text import tokenize

FACTS = SceneFacts(
    [
        SceneObject("cross", 1.0, (0.05, 0.05, 0.25, 0.25), {"colour": "red", "size": "small"}),
        SceneObject("cross", 1.0, (0.60, 0.10, 0.90, 0.40), {"colour": "purple", "size": "large"}),
        SceneObject("triangle", 1.0, (0.20, 0.60, 0.40, 0.80), {"colour": "cyan", "size": "medium"}),
    ]
)


def _grounded(text: str, spatial: bool = True) -> dict[str, tuple[int, ...]]:
    words = tokenize(text)
    return {f"{k}:{words[k]}": objs for k, objs in align_words(words, FACTS, spatial)}


def test_nouns_name_every_object_of_their_label_and_a_colour_narrows_them() -> None:
    assert _grounded("two crosses and a triangle") == {
        "0:two": (0, 1), "1:crosses": (0, 1), "4:triangle": (2,),
    }  # fmt: skip
    assert _grounded("a small red cross and a large purple cross") == {
        "1:small": (0,), "2:red": (0,), "3:cross": (0,),
        "6:large": (1,), "7:purple": (1,), "8:cross": (1,),
    }  # fmt: skip


def test_spatial_words_go_to_the_object_their_clause_introduces() -> None:
    text = "at the top left there is a red cross; right of the red cross is a purple cross on the right side"
    got = _grounded(text)
    assert got["2:top"] == got["3:left"] == (0,)
    assert got["10:right"] == (1,)  # "right of the red cross": the clause introduces the purple cross
    assert got["13:red"] == got["14:cross"] == (0,)  # the anchor keeps its own object
    assert got["21:right"] == got["22:side"] == (1,)
    assert "2:top" not in _grounded(text, spatial=False)


def test_a_noun_of_no_object_and_background_words_are_left_alone() -> None:
    assert _grounded("a red star on a gray background") == {}


def test_with_background_its_words_go_to_the_cells_no_object_covers() -> None:
    words = tokenize("a red cross and a cyan triangle on a striped gray background")
    got = {f"{k}:{words[k]}": objs for k, objs in align_words(words, FACTS, background=True)}
    assert got["9:striped"] == got["10:gray"] == got["11:background"] == (3,)  # row 3: the background
    assert got["6:triangle"] == (2,) and "8:a" not in got
    cells = scene_cells(FACTS, (4, 4))
    assert cells.shape == (4, 16)
    assert (cells[3] == ~object_cells(FACTS, (4, 4)).any(axis=0)).all() and cells[3].sum() == 16 - 6


def test_object_cells_cover_the_box_and_always_the_centre() -> None:
    cells = object_cells(FACTS, (4, 4)).reshape(3, 4, 4)
    assert cells[0].sum() == 1 and cells[0, 0, 0]  # a small box: the cell under its centre
    assert cells[1, 0:2, 2:4].all() and cells[1].sum() == 4
    tiny = SceneFacts([SceneObject("dot", 1.0, (0.51, 0.51, 0.52, 0.52))])
    assert object_cells(tiny, (4, 4)).reshape(4, 4)[2, 2]


def test_object_cover_weighs_each_cell_by_the_part_of_it_the_box_covers() -> None:
    cover = object_cover(FACTS, (4, 4)).reshape(3, 4, 4)
    assert np.isclose(cover[0, 0, 0], 0.64)  # (0.05, 0.25) covers 0.8 of the first quarter on each axis
    assert np.allclose(cover.sum(axis=(1, 2)), [0.2 * 0.2 * 16, 0.3 * 0.3 * 16, 0.2 * 0.2 * 16])
    ys, xs = np.mgrid[0:4, 0:4] + 0.5  # cell centres in cells
    centre = [(cover[1] * xs).sum() / cover[1].sum() / 4, (cover[1] * ys).sum() / cover[1].sum() / 4]
    assert np.allclose(centre, [0.75, 0.25])  # the weights' centroid is the box centre
    weights = scene_cells(FACTS, (4, 4), cover=True)
    assert weights.dtype == np.float32 and np.allclose(weights.sum(axis=0), 1.0)  # background: the rest


def _tiny_grounded(target: str) -> Captioner:
    torch.manual_seed(0)
    return Captioner(
        CaptionerConfig(
            feature_dim=8, grid_hw=(2, 2), vocab_size=10, embed_dim=16, value_dim=16, attention_dim=8,
            hidden_dim=16, dropout=0.0, alpha_c=0.0, alpha_g=1.0, ground_target=target,
        )
    )  # fmt: skip


def _first_attention(model: Captioner, grid: torch.Tensor, captions: torch.Tensor) -> torch.Tensor:
    values, keys = model.encode_grid(grid)
    _, _, alpha, _ = model.step(model.init_state(values, captions[:, 0]), values, keys)
    return alpha.detach().mean(dim=0)  # (N,)


def _fit(model: Captioner, grid: torch.Tensor, captions: torch.Tensor, regions: torch.Tensor) -> None:
    optim = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        _, loss = model(grid, captions, regions=regions)
        assert loss is not None
        optim.zero_grad()
        loss.backward()
        optim.step()


def test_the_cover_target_spreads_attention_as_the_box_covers_the_cells() -> None:
    grid, captions = torch.randn(4, 4, 8), torch.tensor([[3, 5, 6, 1]] * 4)
    regions = torch.zeros(4, 3, 4)
    regions[:, 0] = torch.tensor([0.0, 0.2, 0.2, 0.6])  # the first word's box covers cells 1-3 unevenly
    cover, mass = _tiny_grounded("cover"), _tiny_grounded("mass")
    _fit(cover, grid, captions, regions)
    _fit(mass, grid, captions, regions > 0)
    assert torch.allclose(_first_attention(cover, grid, captions), regions[0, 0], atol=0.05)
    got = _first_attention(mass, grid, captions)  # the mass target: all on the cells, spread anyhow
    assert got[0] < 0.05 and (got - regions[0, 0]).abs().max() > 0.1


def test_the_grounding_loss_pulls_attention_onto_the_named_cells() -> None:
    torch.manual_seed(0)
    cfg = CaptionerConfig(
        feature_dim=8, grid_hw=(2, 2), vocab_size=10, embed_dim=16, value_dim=16,
        attention_dim=8, hidden_dim=16, dropout=0.0, alpha_c=0.0, alpha_g=1.0,
    )  # fmt: skip
    model = Captioner(cfg)
    grid = torch.randn(4, 4, 8)
    captions = torch.tensor([[3, 5, 6, 1]] * 4)
    regions = torch.zeros(4, 3, 4, dtype=torch.bool)
    regions[:, 0, 3] = True  # the first word is about cell 3
    optim = torch.optim.Adam(model.parameters(), lr=0.05)

    def mass() -> float:
        values, keys = model.encode_grid(grid)
        state = model.init_state(values, captions[:, 0])
        _, _, alpha, _ = model.step(state, values, keys)
        return float(alpha[:, 3].mean().detach())

    before = mass()
    for _ in range(30):
        _, loss = model(grid, captions, regions=regions)
        assert loss is not None
        optim.zero_grad()
        loss.backward()
        optim.step()
    assert mass() > max(0.9, before + 0.4)
    plain = Captioner(CaptionerConfig(**{**cfg.to_dict(), "alpha_g": 0.0}))
    plain.load_state_dict(model.state_dict())
    _, with_regions = plain(grid, captions, regions=regions)
    _, without = plain(grid, captions)
    assert with_regions is not None and without is not None
    assert torch.equal(with_regions, without)  # alpha_g = 0: regions change nothing
