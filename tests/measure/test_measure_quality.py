"""Quality per variant: PSNR and SSIM on known images, and the --quality-prompts plumbing."""

from __future__ import annotations

import math

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("torch")

from measure_helpers import measure, problems, rows  # noqa: E402

from guide_builder.measure import quality  # noqa: E402


def test_identical_images_have_infinite_psnr_and_ssim_one():
    img = np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    assert quality.psnr_db(img, img) == math.inf
    assert quality.ssim(img, img) == pytest.approx(1.0, abs=1e-12)
    assert quality.compare(img, img) == {
        "psnr_db": None,
        "ssim": pytest.approx(1.0),
        "identical": "true",
    }


@pytest.mark.parametrize("d", [1, 5, 20])
def test_known_noise_gives_known_psnr(d):
    base = np.full((32, 32, 3), 128, dtype=np.int16)
    signs = np.where(np.indices((32, 32)).sum(axis=0) % 2 == 0, 1, -1)[:, :, None]
    noisy = (base + d * signs).astype(np.uint8)  # every pixel off by exactly d: MSE = d^2
    assert quality.psnr_db(base.astype(np.uint8), noisy) == pytest.approx(20 * math.log10(255 / d))


def test_ssim_of_flat_images_is_the_luminance_term():
    a = np.full((16, 16, 3), 100, dtype=np.uint8)
    b = np.full((16, 16, 3), 105, dtype=np.uint8)
    c1 = (0.01 * 255) ** 2
    expected = (2 * 100 * 105 + c1) / (100**2 + 105**2 + c1)  # no variance: the contrast term is 1
    assert quality.ssim(a, b) == pytest.approx(expected, rel=1e-9)


def test_ssim_falls_as_noise_grows():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (64, 64, 3)).astype(np.int16)
    values = [
        quality.ssim(
            img.astype(np.uint8),
            np.clip(img + rng.normal(0, s, img.shape), 0, 255).astype(np.uint8),
        )
        for s in (2, 10, 40)
    ]
    assert 1 > values[0] > values[1] > values[2] > 0


def test_png_round_trip_keeps_every_pixel():
    img = np.random.default_rng(2).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    assert (quality.read_png(quality.png_bytes(img)) == img).all()


def test_quality_prompts_write_images_and_valid_rows(tmp_path):
    res = measure(
        tmp_path,
        *("--device", "cpu", "--weights", "tiny", "--workloads", "zimage-turbo-1024"),
        *("--warmup", "0", "--min-iterations", "1", "--min-seconds", "0", "--no-probes"),
        *("--variants", "gguf_q8_0,plain,text_encoder_unload", "--quality-prompts"),
    )
    assert res.returncode == 0, res.stderr
    folder = tmp_path / "b"
    assert problems(folder) == []
    got = rows(folder, "quality.csv")
    n = len(quality.PROMPTS)
    assert len(got) == 2 * n  # plain is the reference: no rows of its own
    for r in got:
        assert (folder / r["image"]).is_file() and r["reference_variant"] == "plain"
        if r["variant"] == "text_encoder_unload":  # the same arithmetic: the same pixels
            assert r["identical"] == "true" and r["psnr_db"] == "" and float(r["ssim"]) == 1.0
        else:
            assert r["identical"] == "false" and 20 < float(r["psnr_db"]) < 100
            assert 0 < float(r["ssim"]) < 1
    assert sorted(p.name for p in (folder / "images/zimage-turbo-1024/plain").iterdir()) == [
        f"{i}.png" for i in range(n)
    ]
    # plain ran first even though it was named second
    assert rows(folder)[0]["variant"] == "plain"


def test_quality_prompts_need_real_weights_and_plain(tmp_path):
    from click.testing import CliRunner

    from guide_builder.measure.command import measure_command

    for args, message in (
        (["--weights", "synthetic"], "needs --weights real"),
        (["--device", "cpu", "--variants", "fp8"], "add plain"),
    ):
        res = CliRunner().invoke(
            measure_command, [*args, "--quality-prompts", "--out", str(tmp_path)]
        )
        assert res.exit_code == 2 and message in res.output, res.output
