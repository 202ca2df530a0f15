"""One entry point for every multiple-systems estimator, with a uniform result.

``estimate_mse(data, method)`` runs ``stepwise``, ``bic``, ``bic-downhill``, ``main`` (log-linear, extended
MLE), ``dga``
(Bayesian model averaging), ``chapman`` (two lists) or ``lcmcr`` (latent classes) and returns the estimate,
its interval and what kind of interval it is, plus the estimates of competing models for the sensitivity
report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.loglinear import ModelError, Term, fit_loglinear, model_name, normalise_terms

if TYPE_CHECKING:
    from kinlink.estimation.intervals import BootstrapInterval

METHODS = ("stepwise", "bic", "main", "dga", "chapman", "lcmcr", "bic-downhill")
LOGLINEAR = ("stepwise", "bic", "main", "bic-downhill")


@dataclass(frozen=True)
class MseResult:
    """An estimate of the total and its interval; ``competing`` lists (model, estimate) of other models."""

    method: str
    model: str
    observed: float
    estimate: float
    interval: tuple[float, float]
    interval_kind: str
    competing: tuple[tuple[str, float], ...] = field(default=())
    # what a sum over strata needs (not published): the bootstrap, the model of a profile interval, or the
    # posterior of the total (values and their probabilities)
    bootstrap: BootstrapInterval | None = field(default=None, repr=False, compare=False)
    profile_model: tuple[Term, ...] | None = field(default=None, repr=False, compare=False)
    posterior: tuple[NDArray[np.float64], NDArray[np.float64]] | None = field(
        default=None, repr=False, compare=False
    )
    #: the Bayesian methods' second point estimate: E[1/N] / E[1/N²], the Bayes estimate under relative
    #: squared error (Madigan and York 1997; dga's ``dga()`` summary); ``estimate`` is the posterior median
    bayes_estimate: float | None = None

    def as_json(self) -> dict[str, Any]:
        """The six published keys; an unbounded interval end is ``null``."""

        def num(v: float) -> float | None:
            return None if not math.isfinite(v) else round(v, 3)

        return {
            "method": self.method,
            "model": self.model,
            "observed": round(self.observed),
            "estimate": num(self.estimate),
            "interval": [num(self.interval[0]), num(self.interval[1])],
            "interval_kind": self.interval_kind,
        } | ({"bayes_estimate": num(self.bayes_estimate)} if self.bayes_estimate is not None else {})


def _loglinear_estimator(
    method: str, terms: Sequence[Term] | None, p_threshold: float
) -> Callable[[CaptureData], float]:
    from kinlink.estimation.selection import estimate_total

    if terms is not None:
        fixed = normalise_terms(terms)
        return lambda d: fit_loglinear(d, fixed, check=False).estimate
    return lambda d: estimate_total(d, method, p_threshold)


def competing_models(data: CaptureData, p_threshold: float = 0.02, top: int = 5) -> list[tuple[str, float]]:
    """Estimates of the main-effects, stepwise, downhill-BIC and best-BIC models side by side (model choice
    matters)."""
    from kinlink.estimation.selection import bic_ranking, downhill_search, stepwise_terms

    out: list[tuple[str, float]] = []
    main = fit_loglinear(data, (), check=False)
    out.append((f"main: {main.model}", main.estimate))
    step = fit_loglinear(data, stepwise_terms(data, p_threshold), check=False)
    out.append((f"stepwise: {step.model}", step.estimate))
    if data.n_lists <= 6:
        down = downhill_search(data)
        out.append(
            (f"bic-downhill (BIC {down.bic:.2f}): {model_name(down.terms, data.lists)}", down.estimate)
        )
        for k, r in enumerate(bic_ranking(data)[:top], start=1):
            out.append((f"bic #{k} (BIC {r.criterion:.2f}): {r.name}", r.estimate))
    return out


def estimate_mse(
    data: CaptureData,
    method: str = "stepwise",
    terms: Sequence[Term] | None = None,
    delta: float | None = None,
    n_boot: int = 0,
    seed: int | None = None,
    level: float = 0.95,
    p_threshold: float = 0.02,
    with_competing: bool = False,
    progress: Callable[[range], range] | None = None,
) -> MseResult:
    """Estimate the total by ``method``; see the module docstring and docs/methods/estimation.md."""
    if method not in METHODS:
        raise ModelError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if data.observed <= 0:
        raise ModelError("no one is on any list")
    pct = f"{round(level * 100)}%"
    if terms is not None and method not in LOGLINEAR:
        raise ModelError(f"--terms applies to the log-linear methods ({', '.join(LOGLINEAR)}), not {method}")

    if method in LOGLINEAR:
        from kinlink.estimation.intervals import bootstrap_bca, profile_interval
        from kinlink.estimation.selection import select_model

        if terms is not None:
            fit = fit_loglinear(data, terms)
            label = "fixed"
        else:
            fit = select_model(data, method, p_threshold).fit
            label = method
        competing = tuple(competing_models(data, p_threshold)) if with_competing else ()
        if n_boot > 0:
            boot = bootstrap_bca(
                data, _loglinear_estimator(method, terms, p_threshold), n_boot, seed, level, progress
            )
            kind = (
                f"BCa bootstrap {pct} ({n_boot} replicates, model choice repeated in each)"
                if terms is None
                else f"BCa bootstrap {pct} ({n_boot} replicates, fixed model)"
            )
            return MseResult(
                label,
                fit.model,
                data.observed,
                fit.estimate,
                (boot.lo, boot.hi),
                kind,
                competing,
                bootstrap=boot,
            )
        prof = profile_interval(data, fit.terms, level, start=fit.estimate)
        kind = f"profile likelihood {pct}, conditional on the chosen model"
        return MseResult(
            label,
            fit.model,
            data.observed,
            fit.estimate,
            (prof.lo, prof.hi),
            kind,
            competing,
            profile_model=fit.terms,
        )

    if method == "chapman":
        from kinlink.estimation.chapman import chapman

        c = chapman(data, level)
        return MseResult(
            "chapman",
            "two independent lists",
            data.observed,
            c.estimate,
            (c.lo, c.hi),
            f"log-normal {pct} (Chao 1987) on the Chapman variance; "
            "a lower bound if the lists depend positively",
        )

    if method == "dga":
        from kinlink.estimation.dga import dga

        r = dga(data, delta=delta)
        tops = tuple((f"{name} (posterior {prob:.3f})", est) for name, prob, est in r.top_models(5))
        d = 2.0**-data.n_lists if delta is None else delta
        return MseResult(
            "dga",
            f"average over {len(r.graphs)} decomposable graphs (delta {d:g}; top: {tops[0][0]})",
            data.observed,
            r.median,
            r.credible_interval(level),
            f"posterior {pct} credible interval, model-averaged; estimate is the posterior median "
            "(bayes_estimate: E[1/N]/E[1/N^2])",
            tops,
            posterior=(r.totals, r.posterior),
            bayes_estimate=r.bayes_estimate,
        )

    from kinlink.estimation.lcmcr import lcmcr

    res = lcmcr(data, seed=seed)
    return MseResult(
        "lcmcr",
        f"latent classes (Dirichlet process, at most {res.max_classes} classes)",
        data.observed,
        res.median,
        res.credible_interval(level),
        f"posterior {pct} credible interval; estimate is the posterior median "
        "(bayes_estimate: E[1/N]/E[1/N^2])",
        posterior=(res.totals, np.full(len(res.totals), 1.0 / len(res.totals))),
        bayes_estimate=float(np.mean(1.0 / res.totals) / np.mean(1.0 / res.totals**2)),
    )


def describe(result: MseResult) -> str:
    """Plain-text report with the competing models side by side."""
    lo, hi = result.interval
    lines = [
        f"method:    {result.method}",
        f"model:     {result.model}",
        f"observed:  {result.observed:,.0f}",
        f"estimate:  {result.estimate:,.0f}",
        f"interval:  [{lo:,.0f}, {hi:,.0f}]  ({result.interval_kind})",
    ]
    if result.bayes_estimate is not None:
        lines.insert(4, f"bayes:     {result.bayes_estimate:,.0f}  (E[1/N]/E[1/N^2], Madigan and York)")
    if result.competing:
        lines.append("other models (the choice of model can change the estimate a lot):")
        width = max(len(name) for name, _ in result.competing)
        lines.extend(f"  {name:<{width}}  {est:>12,.0f}" for name, est in result.competing)
    return "\n".join(lines)


__all__ = ["METHODS", "MseResult", "competing_models", "describe", "estimate_mse", "model_name"]
