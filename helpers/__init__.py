r"""Numerical helpers for the Borrowing Strength course.

One module per concept. The group estimates and their standard errors are
``y`` and ``sigma`` everywhere (:math:`y_j \sim N(\theta_j, \sigma_j^2)`), and
results are NamedTuples with scipy's field names (``statistic``, ``pvalue``).

- :mod:`helpers.data` -- the course's small data sets.
- :mod:`helpers.borrowing` -- how much a new group borrows: shrinkage weights,
  power priors, the predictive of a new group, prior-data conflict checks and
  the planning prior handed to the next experiment.
- :mod:`helpers.classical` -- classical (frequentist) reference computations,
  one submodule per family: ``anova``, ``meta``, ``effect_sizes``,
  ``random_effects``, ``meta_regression``.
- :mod:`helpers.exact` -- the exact posterior of the normal hierarchical model
  (eight schools): its factorisation, a grid sampler and exact quantiles, also
  for many data sets at once (private numerics in ``_tau_grid`` and ``_mixture``).
- :mod:`helpers.priors` -- priors on tau stated once, for PyMC and the exact grid.
- :mod:`helpers.diagnostics` -- MCMC convergence checks, and MCMC set against
  the exact posterior in Monte Carlo standard errors.
- :mod:`helpers.mixtures` -- finite normal mixtures (robust priors): density,
  CDF, quantiles and the conjugate update.
- :mod:`helpers.planning` -- power, assurance and sample size of the next experiment.
- :mod:`helpers.models` -- PyMC models shared by the chapters: normal and binomial
  hierarchical models.
- :mod:`helpers.plots` -- forest and shrinkage plots (drawing only, no statistics).
- :mod:`helpers.simulate` -- simulators of the experiments the chapters analyse,
  and the course's eight markets (``course_markets``).
- :mod:`helpers.style` -- the one plotting/interval-style entry point, and the
  course constants ``CI_PROB``, ``CI_KIND`` and ``Z_95``.
"""

__version__ = "0.2.0"
#: Marks this package as the course's own ``helpers`` (the Colab set-up cell looks
#: for it, so that another module named ``helpers`` is recognised, not used).
__course__ = "borrowing-strength"
