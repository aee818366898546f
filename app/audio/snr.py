"""Blind signal-to-noise estimate of a speech recording: WADA-SNR (Kim & Stern, Interspeech 2008).

The idea: clean speech amplitudes follow a gamma distribution (shape 0.4), noise is Gaussian.
The statistic G = log(E|z|) - E[log|z|] of the mixture z grows monotonically with the SNR, from
about 0.41 (pure Gaussian noise) to about 1.64 (pure gamma speech), so measuring G on a
recording and reading the SNR off the G-versus-SNR curve estimates the SNR without a reference.

We use the published curve, `_G_TABLE`, as shipped with the authors' MATLAB code (the
`Alpha0.400000.mat` of Chanwoo Kim's `wada_snr`, also in LabROSA's `snreval`) and copied by the
common Python ports, rather than recomputing it: our numbers then mean what everyone else's
WADA-SNR numbers mean. `tests/audio/test_snr.py` re-derives a few points by a fixed-seed
Monte-Carlo simulation of the model above to show the table is what it claims to be.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_DB_TABLE = np.arange(-20, 101, dtype=np.float64)
# Expected G for gamma(0.4) speech plus Gaussian noise at each SNR in _DB_TABLE (-20..100 dB).
# fmt: off
_G_TABLE = np.array([
    0.40974774, 0.40986926, 0.40998566, 0.40969089, 0.40986186, 0.40999006, 0.41027138,
    0.41052627, 0.41101024, 0.41143264, 0.41231718, 0.41337272, 0.41526426, 0.41781920,
    0.42077252, 0.42452799, 0.42918886, 0.43510373, 0.44234195, 0.45161485, 0.46221153,
    0.47491647, 0.48883809, 0.50509236, 0.52353709, 0.54372088, 0.56532427, 0.58847532,
    0.61346212, 0.63954496, 0.66750818, 0.69583724, 0.72454762, 0.75414799, 0.78323148,
    0.81240985, 0.84219775, 0.87166406, 0.90030504, 0.92880418, 0.95655449, 0.98353490,
    1.01047155, 1.03620950, 1.06136425, 1.08579312, 1.10948190, 1.13277995, 1.15472826,
    1.17627308, 1.19703503, 1.21671694, 1.23535898, 1.25364313, 1.27103891, 1.28718029,
    1.30302865, 1.31839527, 1.33294817, 1.34700935, 1.36057270, 1.37345513, 1.38577122,
    1.39733504, 1.40856397, 1.41959619, 1.42983624, 1.43958467, 1.44902176, 1.45804831,
    1.46669568, 1.47486938, 1.48269965, 1.49034339, 1.49748214, 1.50435106, 1.51076426,
    1.51698915, 1.52290970, 1.52857800, 1.53389835, 1.53912110, 1.54390650, 1.54858517,
    1.55310776, 1.55744391, 1.56164927, 1.56566348, 1.56938671, 1.57307767, 1.57654764,
    1.57980083, 1.58304129, 1.58602496, 1.58880681, 1.59162477, 1.59419690, 1.59693155,
    1.59944600, 1.60185011, 1.60408668, 1.60627134, 1.60826199, 1.61004547, 1.61192472,
    1.61369656, 1.61534074, 1.61688905, 1.61838916, 1.61985374, 1.62135878, 1.62268119,
    1.62390423, 1.62513143, 1.62632463, 1.62740270, 1.62842767, 1.62945532, 1.63033070,
    1.63128026, 1.63204102,
])
# fmt: on

# Magnitudes below this count as this: log(0) would make E[log|z|] minus infinity.
_EPS = 1e-10


def wada_g(samples: npt.NDArray[np.floating]) -> float:
    """The WADA statistic log(E|z|) - E[log|z|] of peak-normalised `samples`.

    Raises ValueError if `samples` is empty or all zeros (the statistic is undefined).
    """
    magnitudes = np.abs(np.asarray(samples, dtype=np.float64))
    peak = float(magnitudes.max()) if magnitudes.size else 0.0
    if not peak > 0.0:
        raise ValueError("WADA statistic of an empty or all-zero signal")
    magnitudes = np.maximum(magnitudes / peak, _EPS)
    return float(np.log(max(_EPS, float(magnitudes.mean()))) - np.log(magnitudes).mean())


def g_for_snr(snr_db: float) -> float:
    """The expected WADA statistic at `snr_db`, read off the published curve (for tests)."""
    return float(np.interp(snr_db, _DB_TABLE, _G_TABLE))


def wada_snr(samples: npt.NDArray[np.floating]) -> float | None:
    """Estimate the SNR in dB of a speech signal, clamped to the table's -20..100 dB.

    Returns None when it cannot be computed: no samples, digital silence, or non-finite
    values. Raises nothing.
    """
    if samples.size == 0 or not np.all(np.isfinite(samples)):
        return None
    try:
        g = wada_g(samples)
    except ValueError:
        return None
    # Like the reference code: the last table entry below G, then linear interpolation to the
    # next one. The first few entries are not monotonic (simulation noise near pure noise),
    # which is why this is not a plain np.interp.
    below = np.flatnonzero(g > _G_TABLE)
    if below.size == 0:
        return float(_DB_TABLE[0])
    i = int(below.max())
    if i == len(_DB_TABLE) - 1:
        return float(_DB_TABLE[-1])
    step = (g - _G_TABLE[i]) / (_G_TABLE[i + 1] - _G_TABLE[i])
    return float(_DB_TABLE[i] + step * (_DB_TABLE[i + 1] - _DB_TABLE[i]))
