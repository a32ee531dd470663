"""Grounded attention: words tied to the objects they describe, cells tied to boxes, and the loss."""

from __future__ import annotations

import torch

from multicap.captioning.grounding import align_words, object_cells, scene_cells
from multicap.captioning.model import Captioner, CaptionerConfig, LossConfig
from multicap.facts.scene import SceneFacts, SceneObject
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


def _trained(alpha_g: float, steps: int = 30) -> float:
    """A tiny captioner trained `steps` steps on one caption whose first word is about cell 3 of a 2 x 2 grid,
    from seed 0 whatever `alpha_g`; → the attention mass on cell 3 when it says that word."""
    torch.manual_seed(0)
    cfg = CaptionerConfig(
        feature_dim=8, grid_hw=(2, 2), vocab_size=10, embed_dim=16, value_dim=16,
        attention_dim=8, hidden_dim=16, dropout=0.0,
    )  # fmt: skip
    model = Captioner(cfg)
    grid = torch.randn(4, 4, 8)
    captions = torch.tensor([[3, 5, 6, 1]] * 4)
    regions = torch.zeros(4, 3, 4, dtype=torch.bool)
    regions[:, 0, 3] = True  # the first word is about cell 3
    objective = LossConfig(label_smoothing=0.0, alpha_c=0.0, alpha_g=alpha_g)
    optim = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        _, loss = model(grid, captions, regions=regions, objective=objective)
        assert loss is not None
        optim.zero_grad()
        loss.backward()
        optim.step()
    with torch.no_grad():
        values, keys = model.encode_grid(grid)
        _, _, alpha, _ = model.step(model.init_state(values, captions[:, 0]), values, keys)
    return float(alpha[:, 3].mean())


def test_the_grounding_loss_pulls_attention_onto_the_named_cells() -> None:
    """Trained alike from one seed, only the model with the grounding term looks at the named cell: the
    cross-entropy alone has no reason to (its attention stays near a quarter per cell)."""
    grounded, plain = _trained(alpha_g=1.0), _trained(alpha_g=0.0)
    assert grounded > 0.9 and plain < 0.5, (grounded, plain)


def test_the_grounding_gradient_raises_the_named_cells_energies_and_lowers_the_others() -> None:
    """∂loss/∂e of the attention energies: negative on the named object's cells, positive on the others (a
    descent step moves attention into the box), on grounded steps only; zero with alpha_g = 0."""
    model = Captioner(CaptionerConfig(feature_dim=8, grid_hw=(2, 2), vocab_size=10))
    energies = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(3)).requires_grad_()
    logits = torch.randn(2, 3, 10, requires_grad=True)
    targets = torch.tensor([[5, 6, 1], [5, 1, 0]])
    regions = torch.zeros(2, 3, 4, dtype=torch.bool)
    regions[0, 0, [1, 3]] = True  # caption 0's first word is about cells 1 and 3
    regions[1, 1, 2] = True  # caption 1's second target (<eos>) about cell 2

    def gradient(alpha_g: float) -> torch.Tensor:
        objective = LossConfig(label_smoothing=0.0, alpha_c=0.0, alpha_g=alpha_g)
        loss = model.loss(logits, energies.softmax(dim=-1), targets, regions, objective)
        (grad,) = torch.autograd.grad(loss, energies, allow_unused=True, materialize_grads=True)
        return grad

    grad = gradient(1.0)
    assert (grad[regions] < 0).all() and (grad[regions.any(-1, keepdim=True) & ~regions] > 0).all()
    assert (grad[~regions.any(-1)] == 0).all()  # steps naming no object are left alone
    assert not gradient(0.0).any()
