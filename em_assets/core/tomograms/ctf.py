"""Image formation in the electron microscope: relativistic wavelength, phase shift and the CTF.

A projection is imaged as a thin object (projection approximation): the exit wave is
``exp((i - eta) * sigma * Vp)`` for projected potential Vp (V·Å), interaction constant sigma and
``eta = A / sqrt(1 - A**2)`` for amplitude contrast A. The objective lens multiplies the wave's
spectrum by ``exp(i * chi(k))`` with ``chi = pi * lambda * df * k**2 - pi/2 * Cs * lambda**3 * k**4``
(df > 0 underfocus), and the detector records ``|wave|**2``. For a weak object this gives the usual
``1 - 2 * sigma * Vp (*) [sin(chi) + eta * cos(chi)]``, so dense matter is dark at low frequency.
"""

from __future__ import annotations

import numpy as np
from scipy import constants, fft


def electron_wavelength(voltage_kv: float) -> float:
    """Relativistic electron wavelength, h / sqrt(2 m e V (1 + eV / 2mc²)).

    Parameters
    ----------
    voltage_kv : float
        Accelerating voltage in kV.

    Returns
    -------
    float
        Wavelength in Å (0.0197 Å at 300 kV).
    """
    energy = constants.e * voltage_kv * 1e3
    rest = constants.m_e * constants.c**2
    momentum = np.sqrt(2 * constants.m_e * energy * (1 + energy / (2 * rest)))
    return float(constants.h / momentum * 1e10)


def interaction_constant(voltage_kv: float) -> float:
    """Phase shift per unit projected potential, 2π/(λV)·(mc²+eV)/(2mc²+eV), for electrons of `voltage_kv`.

    Parameters
    ----------
    voltage_kv : float
        The accelerating voltage in kV.

    Returns
    -------
    float
        sigma in rad/(V·Å) (6.5e-4 at 300 kV).
    """
    volts = voltage_kv * 1e3
    rest_volts = constants.m_e * constants.c**2 / constants.e
    relativistic = (rest_volts + volts) / (2 * rest_volts + volts)
    return float(2 * np.pi / (electron_wavelength(voltage_kv) * volts) * relativistic)


def aberration_phase(frequency: np.ndarray, voltage_kv: float, defocus_um: float, cs_mm: float) -> np.ndarray:
    """The wave aberration chi of the objective lens.

    Parameters
    ----------
    frequency : numpy.ndarray
        Spatial frequencies in 1/Å.
    voltage_kv, defocus_um, cs_mm : float
        Accelerating voltage (kV), underfocus (µm, positive) and spherical aberration (mm).

    Returns
    -------
    numpy.ndarray
        chi in rad, shaped like `frequency`.
    """
    wavelength = electron_wavelength(voltage_kv)
    k2 = np.square(frequency)
    return np.pi * wavelength * defocus_um * 1e4 * k2 - 0.5 * np.pi * cs_mm * 1e7 * wavelength**3 * k2**2


def image_intensity(
    projected_potential: np.ndarray,
    voxel_size: float,
    voltage_kv: float,
    defocus_um: float,
    cs_mm: float,
    amplitude_contrast: float,
) -> np.ndarray:
    """Image intensity, relative to the incident beam, of each (y, x) projection in a stack.

    Parameters
    ----------
    projected_potential : numpy.ndarray
        (tilt, y, x) projected potential in V·Å.
    voxel_size : float
        Pixel size in Å.
    voltage_kv, defocus_um, cs_mm, amplitude_contrast : float
        Accelerating voltage, underfocus, spherical aberration and amplitude contrast ratio.

    Returns
    -------
    numpy.ndarray
        float32 (tilt, y, x) intensity, 1 where the beam passes unscattered.
    """
    sigma = interaction_constant(voltage_kv)
    eta = amplitude_contrast / np.sqrt(1.0 - amplitude_contrast**2)
    phase = (sigma * projected_potential).astype(np.float32)
    wave = np.exp(-eta * phase) * np.exp(1j * phase)
    ky = fft.fftfreq(projected_potential.shape[-2], d=voxel_size)
    kx = fft.fftfreq(projected_potential.shape[-1], d=voxel_size)
    chi = aberration_phase(np.hypot(ky[:, None], kx[None, :]), voltage_kv, defocus_um, cs_mm)
    spectrum = fft.fft2(wave.astype(np.complex64), workers=2)
    spectrum *= np.exp(1j * chi).astype(np.complex64)
    image = fft.ifft2(spectrum, workers=2)
    return (image.real**2 + image.imag**2).astype(np.float32)
