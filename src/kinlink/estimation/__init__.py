"""Estimation: safe public aggregates and multiple-systems estimates of the total number missing.

A pure library (no Django, no registry). Entry points:

* :func:`kinlink.estimation.mse.estimate_mse`: one call for every estimator (``stepwise``, ``bic``, ``main``,
  ``dga``, ``chapman``, ``lcmcr``) returning the estimate, its interval and what kind of interval it is;
* :mod:`kinlink.estimation.capture`: capture histories from CSV or from linked persons, derived-list merging,
  linkage-error perturbation;
* :mod:`kinlink.estimation.aggregates`: counts and cross-tabulations with small-cell and complementary
  suppression, optionally with differential-privacy noise;
* :mod:`kinlink.estimation.strata`: per-stratum estimates and their sum.

See docs/methods/estimation.md for the models, assumptions and how to read the results.
"""

from __future__ import annotations

from kinlink.estimation.capture import (
    CaptureData,
    CaptureDataError,
    histories_from_memberships,
    linkage_sensitivity,
    merge_lists,
    perturb_linkage,
    read_capture_csv,
)
from kinlink.estimation.loglinear import ModelError, check_model, fit_loglinear
from kinlink.estimation.mse import METHODS, MseResult, estimate_mse

__all__ = [
    "METHODS",
    "CaptureData",
    "CaptureDataError",
    "ModelError",
    "MseResult",
    "check_model",
    "estimate_mse",
    "fit_loglinear",
    "histories_from_memberships",
    "linkage_sensitivity",
    "merge_lists",
    "perturb_linkage",
    "read_capture_csv",
]
