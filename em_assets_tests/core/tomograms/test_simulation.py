"""The simulated tomograms obey the physics they model, measured on small volumes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from em_assets.core.errors import InputError
from em_assets.core.tomograms.simulation import (
    TomogramSpec,
    quantise,
    simulate_tilt_series,
    simulate_tomogram,
)

SMALL = {"shape": (48, 64, 96), "particles": 20, "vesicles": 2}


def _power_by_angle_from_beam(volume: np.ndarray, low: float, high: float) -> float:
    """Mean 3-D power at 0.08-0.35 cycles/voxel whose (kz, kx) direction is low..high degrees from kz."""
    power = np.abs(np.fft.fftn(volume)) ** 2
    kz = np.fft.fftfreq(volume.shape[0])[:, None, None]
    kx = np.fft.fftfreq(volume.shape[2])[None, None, :]
    angle = np.degrees(np.arctan2(np.abs(kx), np.abs(kz)))
    radius = np.hypot(kz, kx)
    selected = np.broadcast_to((radius > 0.08) & (radius < 0.35) & (angle >= low) & (angle <= high), power.shape)
    return float(power[selected].mean())


@pytest.mark.parametrize(("tilt_range", "wedge_is_empty"), [(60.0, True), (80.0, False)])
def test_missing_wedge_follows_the_tilt_range(tilt_range: float, wedge_is_empty: bool) -> None:
    # Tilts to ±θ about y measure Fourier planes whose (kz, kx) direction lies at least 90°-θ from kz:
    # ±60° leaves 10-25° from kz unmeasured, ±80° measures all of it (it misses only 0-10°).
    volume = simulate_tomogram(TomogramSpec(**SMALL, tilt_range=tilt_range))
    ratio = _power_by_angle_from_beam(volume, 10, 25) / _power_by_angle_from_beam(volume, 45, 90)
    if wedge_is_empty:
        assert ratio < 0.05
    else:
        assert ratio > 0.3


def test_vacuum_above_and_below_the_lamella_is_near_empty() -> None:
    # Lamella half the depth (24 voxels), its centre jittered by at most a quarter of the 24 vacuum
    # voxels (±6) and its faces soft over one voxel: z < 4 and z >= 44 are always vacuum,
    # 19 <= z < 29 always lamella. Vacuum holds only back-projected noise and streaks; shot noise
    # is white per projection, so a one-voxel smoothing keeps the lamella's structure and
    # averages the noise away.
    volume = ndimage.gaussian_filter(simulate_tomogram(TomogramSpec(**SMALL, lamella_fraction=0.5)), 1.0)
    vacuum = np.concatenate([volume[:4], volume[44:]])
    lamella = volume[19:29]
    assert vacuum.var() < lamella.var() / 3


def _noise_to_signal(dose: float, reference: np.ndarray) -> float:
    """N/S of the tomogram at `dose` from its correlation c with a noise-free one: 1/c² - 1."""
    volume = simulate_tomogram(TomogramSpec(**SMALL, dose=dose))
    correlation = np.corrcoef(volume.ravel(), reference.ravel())[0, 1]
    return 1.0 / correlation**2 - 1.0


def test_signal_to_noise_grows_in_proportion_to_dose() -> None:
    # The seed fixes the phantom whatever the dose, so 10⁷ e/Å² gives the same specimen without
    # noise to speak of. Poisson noise variance per electron count falls as 1/dose, hence N/S too.
    reference = simulate_tomogram(TomogramSpec(**SMALL, dose=1e7))
    low, high = _noise_to_signal(10.0, reference), _noise_to_signal(100.0, reference)
    assert high < low
    assert 8.0 < low / high < 12.5


def test_same_seed_gives_identical_bytes_and_other_seeds_differ() -> None:
    spec = TomogramSpec(**SMALL)
    first, again = simulate_tomogram(spec), simulate_tomogram(spec)
    other = simulate_tomogram(TomogramSpec(**SMALL, seed=1))
    assert first.dtype == np.float32 and first.shape == spec.shape
    assert first.tobytes() == again.tobytes()
    assert abs(np.corrcoef(first.ravel(), other.ravel())[0, 1]) < 0.2


def _first_ctf_zero(defocus_um: float) -> float:
    """1/Å where sin(chi) + eta*cos(chi) first vanishes, at 300 kV, Cs 2.7 mm, amplitude contrast 0.07.

    The wavelength 0.019687 Å is the relativistic one at 300 kV, h / sqrt(2 m e V (1 + eV / 2mc²)).
    """
    wavelength, cs, eta = 0.019687, 2.7e7, 0.07 / np.sqrt(1 - 0.07**2)
    k = np.linspace(1e-4, 0.1, 200_000)
    chi = np.pi * wavelength * defocus_um * 1e4 * k**2 - 0.5 * np.pi * cs * wavelength**3 * k**4
    return float(k[np.argmax(chi >= np.pi - np.arctan(eta))])


def _radial_power(images: np.ndarray) -> np.ndarray:
    """Radially averaged power spectrum of square images, averaged over the stack, per frequency bin."""
    size = images.shape[-1]
    window = np.outer(np.hanning(size), np.hanning(size))
    power = (np.abs(np.fft.fft2((images - images.mean(axis=(1, 2), keepdims=True)) * window)) ** 2).mean(axis=0)
    frequency = np.fft.fftfreq(size)
    bins = np.rint(np.hypot(frequency[:, None], frequency[None, :]) * size).astype(int)
    return np.bincount(bins.ravel(), power.ravel()) / np.bincount(bins.ravel())


@pytest.mark.parametrize("defocus", [2.5, 4.0])
def test_first_ctf_zero_in_projections_sits_where_the_defocus_puts_it(defocus: float) -> None:
    # A dose far above a real one lowers the white shot-noise floor under the CTF's zeros.
    size, voxel = 128, 5.0
    spec = TomogramSpec(
        shape=(32, size, size), voxel_size=voxel, defocus=defocus, dose=30000.0, particles=60, vesicles=1, tilt_step=6.0
    )
    profile = _radial_power(simulate_tilt_series(spec))
    zero_bin = _first_ctf_zero(defocus) * size * voxel
    search = np.arange(int(0.75 * zero_bin), int(1.25 * zero_bin) + 1)
    measured = search[np.argmin(profile[search])]
    assert abs(measured - zero_bin) <= 1.0
    # sin(chi) + eta*cos(chi) is largest where chi = 3π/2 - atan(eta); chi grows as k² here (the Cs
    # term is under 0.01 rad), so that next peak lies sqrt((3π/2 - atan eta) / (π - atan eta)) times
    # farther out than the zero. A zero transfers no signal, so the dip is deep.
    shift = np.arctan(0.07 / np.sqrt(1 - 0.07**2))
    peak_bin = int(round(zero_bin * np.sqrt((1.5 * np.pi - shift) / (np.pi - shift))))
    assert profile[measured] < 0.3 * profile[peak_bin]


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint8])
def test_quantise_fills_the_integer_type_and_keeps_the_order(dtype: type) -> None:
    volume = np.random.default_rng(0).normal(size=(16, 32, 32)).astype(np.float32)
    stored = quantise(volume, dtype)
    info = np.iinfo(dtype)
    assert stored.dtype == np.dtype(dtype) and stored.shape == volume.shape
    # The 0.1 % tails saturate at the type's ends.
    assert stored.min() == info.min and stored.max() == info.max
    assert np.all(np.diff(stored.ravel()[np.argsort(volume.ravel())].astype(np.int64)) >= 0)


def test_quantise_passes_float32_through_and_rejects_other_types() -> None:
    volume = np.linspace(-1, 1, 64, dtype=np.float32).reshape(4, 4, 4)
    assert np.array_equal(quantise(volume, np.float32), volume)
    assert quantise(volume, "float32").dtype == np.float32
    with pytest.raises(InputError, match="int8, int16, uint8 or float32"):
        quantise(volume, np.float64)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"dose": -5.0}, "dose"),
        ({"tilt_range": 95.0}, "tilt_range"),
        ({"shape": (64, 64)}, "shape"),
        ({"tilt_step": 0.0}, "tilt_step"),
        ({"lamella_fraction": 1.5}, "lamella_fraction"),
    ],
)
def test_nonsense_specs_raise_a_clear_input_error(change: dict, named: str) -> None:
    with pytest.raises(InputError, match=named):
        TomogramSpec(**change)
