r"""Finite mixtures of normal distributions, and their conjugate update.

A prior :math:`\pi(\theta) = \sum_c w_c\, N(\theta \mid m_c, s_c^2)` combined
with one normal estimate :math:`y \sim N(\theta, \sigma^2)` gives a posterior
of the same form (e.g. Schmidli et al. 2014, section 2): each component is
updated as a normal prior would be, and its weight is multiplied by how well it
predicted the estimate,

.. math::
    w_c' \propto w_c\, N(y \mid m_c, s_c^2 + \sigma^2), \qquad
    \frac{1}{s_c'^2} = \frac{1}{s_c^2} + \frac{1}{\sigma^2}, \qquad
    m_c' = s_c'^2 \Bigl(\frac{m_c}{s_c^2} + \frac{y}{\sigma^2}\Bigr).

A component that predicted the estimate badly loses weight: this is how a
robust mixture prior "lets go" of past data that conflict with the new estimate.

References
----------
Schmidli, H., Gsteiger, S., Roychoudhury, S., O'Hagan, A., Spiegelhalter, D. and
Neuenschwander, B. (2014). Robust meta-analytic-predictive priors in clinical
trials with historical control information. *Biometrics* 70(4), 1023-1032.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special, stats

from helpers._mixture import _invert, _normal_mixture
from helpers._validation import as_float_array, as_float_vector, as_scalar, same_length

__all__ = ["NormalMixture", "normal_mixture"]


class NormalMixture(NamedTuple):
    r"""The distribution :math:`\sum_c w_c N(m_c, s_c^2)`.

    ``weights`` (summing to 1), ``means`` and ``sds`` are arrays of the same
    length, one entry per component. Build one with :func:`normal_mixture`,
    which checks its inputs.
    """

    weights: np.ndarray
    means: np.ndarray
    sds: np.ndarray

    @property
    def mean(self) -> float:
        r""":math:`\sum_c w_c m_c`."""
        return float(np.sum(self.weights * self.means))

    @property
    def sd(self) -> float:
        r"""Square root of :math:`\sum_c w_c (s_c^2 + m_c^2) - (\sum_c w_c m_c)^2`."""
        second = np.sum(self.weights * (self.sds**2 + self.means**2))
        return float(np.sqrt(second - self.mean**2))

    def _cdf_pdf(self):
        """Return the mixture's CDF and density in the form the shared root-finder takes."""
        return _normal_mixture(self.means[None, :], self.sds[None, :], self.weights)

    def _at(self, x, name: str):
        x = as_float_array(x, name)
        cdf, pdf = self._cdf_pdf()(x.reshape(1, -1), np.arange(1))
        return x, cdf.reshape(x.shape), pdf.reshape(x.shape)

    def pdf(self, x):
        """Density at ``x`` (a number or an array)."""
        _, _, pdf = self._at(x, "x")
        return float(pdf) if np.ndim(pdf) == 0 else pdf

    def cdf(self, x):
        """Distribution function at ``x`` (a number or an array)."""
        _, cdf, _ = self._at(x, "x")
        return float(cdf) if np.ndim(cdf) == 0 else cdf

    def ppf(self, q):
        """Quantile function: the ``x`` with ``cdf(x) = q``, for ``q`` in (0, 1)."""
        q = as_float_array(q, "q")
        if np.any((q <= 0) | (q >= 1)):
            raise ValueError("q must lie strictly between 0 and 1")
        flat = q.ravel()
        shape = (1, flat.size)
        lo = np.full(shape, np.min(self.means - 40 * self.sds))
        hi = np.full(shape, np.max(self.means + 40 * self.sds))
        x0 = np.full(shape, self.mean)
        x = _invert(self._cdf_pdf(), flat, lo, hi, x0, tol=1e-12).reshape(q.shape)
        return float(x) if x.ndim == 0 else x

    def update(self, estimate, sigma) -> NormalMixture:
        r"""Posterior mixture after one estimate :math:`y \sim N(\theta, \sigma^2)`.

        Parameters
        ----------
        estimate : float
            The new estimate :math:`y` (finite).
        sigma : float
            Its standard error :math:`\sigma > 0`.

        Returns
        -------
        NormalMixture
            Components in the same order as the prior's, with the updated
            weights, means and sds of the module docstring's formula.
        """
        y = as_scalar(estimate, "estimate")
        sigma = as_scalar(sigma, "sigma", low=0.0, low_open=True)
        predictive_sd = np.sqrt(self.sds**2 + sigma**2)
        with np.errstate(divide="ignore"):  # a component of weight 0 keeps weight 0
            log_w = np.log(self.weights) + stats.norm.logpdf(y, self.means, predictive_sd)
        weights = np.exp(log_w - special.logsumexp(log_w))
        var = 1.0 / (1.0 / self.sds**2 + 1.0 / sigma**2)
        means = var * (self.means / self.sds**2 + y / sigma**2)
        return NormalMixture(weights, means, np.sqrt(var))


def normal_mixture(weights, means, sds) -> NormalMixture:
    r"""Build the mixture :math:`\sum_c w_c N(m_c, s_c^2)`, checking every input.

    Parameters
    ----------
    weights : array_like
        Component weights :math:`w_c \ge 0`, summing to 1 (within 1e-9).
    means : array_like
        Component means :math:`m_c` (finite), as many as ``weights``.
    sds : array_like
        Component sds :math:`s_c > 0`, as many as ``weights``.

    Returns
    -------
    NormalMixture
    """
    weights = as_float_vector(weights, "weights")
    means = as_float_vector(means, "means")
    sds = as_float_vector(sds, "sds")
    same_length(weights=weights, means=means, sds=sds)
    if np.any(weights < 0) or abs(weights.sum() - 1.0) > 1e-9:
        raise ValueError("weights must be non-negative and sum to 1")
    if np.any(sds <= 0):
        raise ValueError("sds must be strictly positive")
    return NormalMixture(weights, means, sds)
