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

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Where each name of the package lives: imported on first use (PEP 562), so that importing one module
#: of the package (the registry reads ``aggregates.MISSING``) does not import SciPy and statsmodels.
_LAZY = {
    "CaptureData": "capture",
    "CaptureDataError": "capture",
    "histories_from_memberships": "capture",
    "linkage_sensitivity": "capture",
    "merge_lists": "capture",
    "perturb_linkage": "capture",
    "read_capture_csv": "capture",
    "ModelError": "loglinear",
    "check_model": "loglinear",
    "fit_loglinear": "loglinear",
    "METHODS": "mse",
    "MseResult": "mse",
    "estimate_mse": "mse",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


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
