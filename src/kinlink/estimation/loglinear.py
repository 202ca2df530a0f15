"""Log-linear (Poisson GLM) models for multiple-systems estimation, with the extended MLE.

The model: the expected count of history ``h`` is ``exp(x_h · β)`` where ``x_h`` has an intercept, one main
effect per list and one column per interaction term (a product of list indicators). It is fitted to all
``2**t - 1`` observable cells, zero cells included. The all-zero cell has ``x = (1, 0, ..., 0)``, so the
estimated number of people on no list (the *dark figure*) is ``exp(intercept)`` and
``N̂ = n + exp(intercept)``.

Extended MLE (Chan, Silverman and Vincent 2021): when the lists of a term share no case, its parameter is
−∞; the cells containing the term are dropped and so is the term. Before fitting, a model is checked for
identifiability (rank of the reduced design matrix) and for existence of the MLE (the linear programme of
Fienberg and Rinaldo 2012: the observed margins must be reproducible by strictly positive cell means).

The fitting is a hand-written Newton/IRLS in numpy that fits many models (or many data sets) at once; it is
cross-checked against statsmodels in the tests.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special, stats

from kinlink.estimation.capture import CaptureData, history_matrix

Term = tuple[int, ...]
"""An interaction term: sorted indices of two or more lists."""

HETEROGENEITY_COLUMNS = ("darroch", "poisson")


class ModelError(ValueError):
    """A model that cannot be fitted to the data (not identifiable, no MLE, bad term)."""


def normalise_terms(terms: Sequence[Sequence[int]]) -> tuple[Term, ...]:
    """Sorted, de-duplicated terms of order two or more."""
    out = set()
    for term in terms:
        t = tuple(sorted({int(i) for i in term}))
        if len(t) < 2:
            raise ModelError(f"an interaction term needs two or more lists, got {term}")
        out.add(t)
    return tuple(sorted(out, key=lambda t: (len(t), t)))


def parse_terms(spec: str, lists: Sequence[str]) -> tuple[Term, ...]:
    """Parse ``"A:B,B:C"`` (commas or spaces between terms, colons within a term) into terms."""
    index = {name: j for j, name in enumerate(lists)}
    terms: list[Term] = []
    for chunk in spec.replace(",", " ").replace("+", " ").split():
        names = chunk.split(":")
        for name in names:
            if name not in index:
                raise ModelError(f"term {chunk!r}: unknown list {name!r} (lists: {', '.join(lists)})")
        terms.append(tuple(index[n] for n in names))
    return normalise_terms(terms)


def term_name(term: Term, lists: Sequence[str]) -> str:
    return ":".join(lists[i] for i in term)


def model_name(terms: Sequence[Term], lists: Sequence[str], heterogeneity: str | None = None) -> str:
    """Human name of a model: its interaction terms, or ``main effects``."""
    name = " ".join(term_name(t, lists) for t in terms) if terms else "main effects"
    if heterogeneity:
        name += f" + {heterogeneity} heterogeneity"
    return name


def hierarchical_closure(terms: Sequence[Term]) -> tuple[Term, ...]:
    """Add every lower-order interaction implied by the terms (hierarchy principle)."""
    out: set[Term] = set()
    for t in terms:
        for k in range(2, len(t) + 1):
            out.update(itertools.combinations(t, k))
    return normalise_terms(list(out))


def design_matrix(
    n_lists: int, terms: Sequence[Term], heterogeneity: str | None = None, include_zero_cell: bool = False
) -> NDArray[np.float64]:
    """Columns: intercept, main effects, interaction terms, optional heterogeneity column.

    Rows: the non-zero histories in code order (and, first, the all-zero history when
    ``include_zero_cell``).
    """
    h = history_matrix(n_lists).astype(np.float64)
    if include_zero_cell:
        h = np.vstack([np.zeros((1, n_lists)), h])
    cols = [np.ones(len(h)), *(h[:, j] for j in range(n_lists))]
    cols.extend(np.prod(h[:, list(t)], axis=1) for t in terms)
    if heterogeneity is not None:
        k = h.sum(axis=1)
        if heterogeneity == "darroch":
            cols.append(k**2 / 2)
        elif heterogeneity == "poisson":
            cols.append(2.0**k - 1)
        else:
            raise ModelError(
                f"unknown heterogeneity column {heterogeneity!r}; use one of {HETEROGENEITY_COLUMNS}"
            )
    return np.stack(cols, axis=1)


def empty_terms(data: CaptureData, terms: Sequence[Term]) -> tuple[Term, ...]:
    """Terms whose lists share no observed case: their parameter is −∞ under the extended MLE."""
    return tuple(t for t in terms if data.overlap(t) == 0)


def kept_cells(n_lists: int, removed: Sequence[Term]) -> NDArray[np.bool_]:
    """Cells that survive after dropping every cell that contains one of the removed terms."""
    h = history_matrix(n_lists)
    keep = np.ones(len(h), dtype=bool)
    for t in removed:
        keep &= ~np.all(h[:, list(t)] == 1, axis=1)
    return keep


@dataclass(frozen=True)
class ModelCheck:
    """Verdict on a model for given data, before fitting."""

    identifiable: bool
    exists: bool
    empty_terms: tuple[Term, ...]
    rank_deficiency: int

    @property
    def ok(self) -> bool:
        return self.identifiable and self.exists

    def reason(self) -> str:
        parts = []
        if not self.exists:
            parts.append("the maximum likelihood estimate does not exist (linear-programme test)")
        if not self.identifiable:
            parts.append(f"the model is not identifiable (design rank deficient by {self.rank_deficiency})")
        return "; ".join(parts) if parts else "ok"


def _reduced_design(
    data: CaptureData, terms: Sequence[Term], heterogeneity: str | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], tuple[Term, ...], tuple[Term, ...]]:
    empty = empty_terms(data, terms)
    kept_terms = tuple(t for t in terms if t not in empty)
    keep = kept_cells(data.n_lists, empty)
    x = design_matrix(data.n_lists, kept_terms, heterogeneity)[keep]
    return x, data.counts[keep], keep, kept_terms, empty


def mle_exists(x: NDArray[np.float64], y: NDArray[np.float64]) -> bool:
    """Fienberg–Rinaldo test: is there a strictly positive ``m`` with ``xᵀm = xᵀy``?

    Solves ``max s`` subject to ``xᵀm = xᵀy``, ``m ≥ s``, ``m ≥ 0``; the MLE exists when ``s > 0``.
    """
    if np.all(y > 0):
        return True
    c, p = x.shape
    scale = max(float(y.sum()), 1.0)
    a_eq = np.hstack([x.T, np.zeros((p, 1))])
    b_eq = x.T @ (y / scale)
    a_ub = np.hstack([-np.eye(c), np.ones((c, 1))])
    b_ub = np.zeros(c)
    obj = np.zeros(c + 1)
    obj[-1] = -1.0
    res = optimize.linprog(obj, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:
        return False
    return bool(-res.fun > 1e-9)


_CHECK_CACHE: dict[tuple[int, tuple[Term, ...], str | None, bytes], ModelCheck] = {}
_CHECK_CACHE_SIZE = 100_000


def check_model(data: CaptureData, terms: Sequence[Term], heterogeneity: str | None = None) -> ModelCheck:
    """Identifiability (rank) and existence (linear programme) of the extended MLE of a model.

    Both depend on the data only through which cells are positive, so verdicts are cached on that pattern
    (the bootstrap asks the same questions many times).
    """
    terms = normalise_terms(terms)
    key = (data.n_lists, terms, heterogeneity, np.packbits(data.counts > 0).tobytes())
    cached = _CHECK_CACHE.get(key)
    if cached is not None:
        return cached
    x, y, _, _, empty = _reduced_design(data, terms, heterogeneity)
    rank = int(np.linalg.matrix_rank(x)) if len(x) else 0
    deficiency = x.shape[1] - rank
    exists = mle_exists(x, y) if len(x) else False
    verdict = ModelCheck(
        identifiable=deficiency == 0, exists=exists, empty_terms=empty, rank_deficiency=deficiency
    )
    if len(_CHECK_CACHE) >= _CHECK_CACHE_SIZE:
        _CHECK_CACHE.clear()
    _CHECK_CACHE[key] = verdict
    return verdict


# ---------------------------------------------------------------------------------------------------------
# Newton / IRLS for many Poisson log-linear fits at once


@dataclass
class BatchFit:
    """Results of :func:`irls_poisson` for ``M`` fits: coefficients, means, and the inverse information."""

    beta: NDArray[np.float64]  # (M, p)
    mu: NDArray[np.float64]  # (M, c), zero on masked cells
    cov: NDArray[np.float64]  # (M, p, p), zero rows/cols for inactive columns
    active: NDArray[np.bool_]  # (M, p): columns with support among the kept cells
    converged: NDArray[np.bool_]  # (M,)
    iterations: int


def irls_poisson(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    cell_mask: NDArray[np.bool_] | None = None,
    max_iter: int = 100,
    tol: float = 1e-11,
    beta0: NDArray[np.float64] | None = None,
) -> BatchFit:
    """Fit Poisson log-linear models by Newton's method (IRLS), vectorised over a batch.

    ``x`` is (M, c, p) or (c, p); ``y`` is (M, c) or (c,); ``cell_mask`` (M, c) selects the cells each fit
    uses. Columns without support among a fit's cells are inactive (parameter −∞ in the limit, here 0 with
    their cells' means forced to zero only if the column is a −∞ main effect; callers drop such cells).
    Convergence: relative change in deviance below ``tol`` (as in R's glm, but tighter). ``beta0`` (M, p)
    restarts from given coefficients.
    """
    if x.ndim == 2:
        x = x[None]
    m_fits, c, p = x.shape
    y2 = np.ascontiguousarray(np.broadcast_to(y, (m_fits, c)), dtype=np.float64)
    mask = np.ones((m_fits, c), dtype=bool) if cell_mask is None else np.broadcast_to(cell_mask, (m_fits, c))
    w_mask = mask.astype(np.float64)
    xt = np.ascontiguousarray(np.swapaxes(x, 1, 2))  # (M, p, c)
    active = ((xt * xt) @ w_mask[..., None])[..., 0] > 0
    if beta0 is None:
        mu = np.where(mask, y2 + 0.1, 1.0)
        eta = np.log(mu)
    else:
        eta = np.clip((x @ beta0[..., None])[..., 0], -700, 700)
        mu = np.where(mask, np.exp(eta), 1.0)
    eye = np.eye(p)[None]
    inactive_diag = eye * (~active)[:, None, :]
    beta = np.zeros((m_fits, p))
    converged = np.zeros(m_fits, dtype=bool)
    # working set: the fits still iterating (compacted when enough of them have converged)
    live = np.arange(m_fits)
    xl, xtl, yl, wm, mul, etal = x, xt, y2, w_mask, mu.copy(), eta.copy()
    diag_l, act_l, mask_l = inactive_diag, active, mask
    dev_old = np.full(m_fits, np.inf)
    done_l = np.zeros(m_fits, dtype=bool)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        w = mul * wm
        z = etal + (yl - mul) / mul
        xtw = xtl * w[:, None, :]
        info = xtw @ xl + diag_l
        # a relative ridge of 1e-12 keeps rank-deficient (non-identifiable) fits solvable; callers reject them
        info += eye * (1e-12 * np.trace(info, axis1=1, axis2=2) / p)[:, None, None]
        rhs = xtw @ z[..., None]
        b = np.linalg.solve(info, rhs)[..., 0]
        b[~np.all(np.isfinite(b), axis=1)] = 0.0
        b = np.where(act_l, b, 0.0)
        etal = np.clip((xl @ b[..., None])[..., 0], -700, 700)
        mul = np.where(mask_l, np.exp(etal), 1.0)
        dev = poisson_deviance(yl * wm, mul * wm)
        done_l |= np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < tol
        dev_old = dev
        beta[live], eta[live], mu[live] = b, etal, mul
        converged[live[done_l]] = True
        if np.all(done_l):
            break
        if done_l.mean() > 0.3:
            keep = ~done_l
            live = live[keep]
            xl, xtl, yl, wm, mul, etal = xl[keep], xtl[keep], yl[keep], wm[keep], mul[keep], etal[keep]
            diag_l, act_l, mask_l, dev_old = diag_l[keep], act_l[keep], mask_l[keep], dev_old[keep]
            done_l = np.zeros(len(live), dtype=bool)
    w = mu * w_mask
    info = (xt * w[:, None, :]) @ x + inactive_diag
    info = info + eye * (1e-12 * np.trace(info, axis1=1, axis2=2) / p)[:, None, None]
    cov = np.linalg.inv(info)
    cov = cov * (active[:, :, None] & active[:, None, :])
    return BatchFit(beta=beta, mu=mu * w_mask, cov=cov, active=active, converged=converged, iterations=it)


def irls_masked(
    x_all: NDArray[np.float64],
    y: NDArray[np.float64],
    col_mask: NDArray[np.bool_],
    cell_mask: NDArray[np.bool_],
    max_iter: int = 100,
    tol: float = 1e-11,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Many models that share one design matrix and differ by columns and cells (the BIC search).

    Same Newton iteration as :func:`irls_poisson`, written as matrix products over the shared design:
    the information matrix of model ``m`` is ``Σ_c w_mc x_c x_cᵀ`` restricted to its columns, one GEMM
    for the whole batch. Returns (beta, mu, converged); ``mu`` is zero on masked cells.
    """
    m_fits = col_mask.shape[0]
    c, p = x_all.shape
    outer = (x_all[:, :, None] * x_all[:, None, :]).reshape(c, p * p)
    w_mask = cell_mask.astype(np.float64)
    colf = col_mask.astype(np.float64)
    pair = (colf[:, :, None] * colf[:, None, :]).reshape(m_fits, p * p)
    eye = np.eye(p)[None]
    inactive = eye * (~col_mask)[:, None, :]
    mu = np.where(cell_mask, y[None, :] + 0.1, 1.0)
    eta = np.log(mu)
    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)) - y, 0.0)[None, :]
    converged = np.zeros(m_fits, dtype=bool)
    beta = np.zeros((m_fits, p))
    live = np.arange(m_fits)
    dev_old = np.full(m_fits, np.inf)
    wm, cm, cf, pr, ina = w_mask, cell_mask, colf, pair, inactive
    mu_l, eta_l = mu.copy(), eta.copy()
    for _ in range(max_iter):
        w = mu_l * wm
        z = eta_l + (y[None, :] - mu_l) / mu_l
        info = ((w @ outer) * pr).reshape(len(live), p, p) + ina
        info += eye * (1e-12 * np.trace(info, axis1=1, axis2=2) / p)[:, None, None]
        rhs = ((w * z) @ x_all) * cf
        b = np.linalg.solve(info, rhs[..., None])[..., 0]
        b[~np.all(np.isfinite(b), axis=1)] = 0.0
        b *= cf
        eta_l = np.clip(b @ x_all.T, -700, 700)
        mu_l = np.where(cm, np.exp(eta_l), 1.0)
        dev = 2 * np.sum((ylogy - y[None, :] * eta_l + mu_l) * wm, axis=1)
        # relative change as R's glm, with an absolute floor of 1e-9 (R's glm.control epsilon times 0.1):
        # near-saturated fits on the boundary (no one missing) otherwise wander in the last bits forever
        change = np.abs(dev - dev_old)
        done = (change / (np.abs(dev) + 0.1) < tol) | (change < 1e-9)
        dev_old = dev
        beta[live], mu[live] = b, mu_l
        converged[live[done]] = True
        if np.all(done):
            break
        if np.any(done):
            keep = ~done
            live = live[keep]
            wm, cm, cf, pr, ina = wm[keep], cm[keep], cf[keep], pr[keep], ina[keep]
            mu_l, eta_l, dev_old = mu_l[keep], eta_l[keep], dev_old[keep]
    return beta, mu * w_mask, converged


def irls_single(
    x: NDArray[np.float64], y: NDArray[np.float64], max_iter: int = 100, tol: float = 1e-11
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], bool]:
    """One Poisson log-linear fit (same algorithm as :func:`irls_poisson`, less overhead).

    Returns (beta, mu, covariance, active columns, converged).
    """
    _c, p = x.shape
    active = (x * x).sum(axis=0) > 0
    xa = x[:, active]
    pa = xa.shape[1]
    mu = y + 0.1
    eta = np.log(mu)
    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)) - y, 0.0)
    dev_old = np.inf
    converged = False
    ridge = np.eye(pa)
    b: NDArray[np.float64] = np.zeros(pa)
    for _ in range(max_iter):
        z = eta + (y - mu) / mu
        xtw = xa.T * mu
        info = xtw @ xa
        info += ridge * (1e-12 * np.trace(info) / pa)
        b = np.asarray(np.linalg.solve(info, xtw @ z), dtype=np.float64)
        if not np.all(np.isfinite(b)):
            b = np.zeros(pa)
            break
        eta = np.clip(xa @ b, -700, 700)
        mu = np.exp(eta)
        dev = 2 * float(np.sum(ylogy - y * eta + mu))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            converged = True
            break
        dev_old = dev
    xtw = xa.T * mu
    info = xtw @ xa
    info += ridge * (1e-12 * np.trace(info) / pa)
    cov_a = np.linalg.inv(info)
    beta = np.zeros(p)
    beta[active] = b
    cov = np.zeros((p, p))
    cov[np.ix_(active, active)] = cov_a
    return beta, mu, cov, active, converged


def poisson_loglik(y: NDArray[np.float64], mu: NDArray[np.float64]) -> NDArray[np.float64]:
    """Σ y log μ − μ − log y! over the last axis (0·log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogmu = np.where(y > 0, y * np.log(np.where(mu > 0, mu, 1.0)), 0.0)
    return np.asarray(np.sum(ylogmu - mu - special.gammaln(y + 1), axis=-1))


def poisson_deviance(y: NDArray[np.float64], mu: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / np.where(mu > 0, mu, 1.0)), 0.0) - (y - mu)
    return np.asarray(2 * np.sum(term, axis=-1))


# ---------------------------------------------------------------------------------------------------------
# Single model fit


@dataclass(frozen=True)
class LoglinearFit:
    """A fitted log-linear model and its estimate of the total.

    ``n_params`` counts the −∞ terms too (for AIC/BIC). ``fitted`` covers all non-zero histories (zero on
    cells dropped by the extended MLE). ``se_log_dark`` is the standard error of the intercept.
    """

    lists: tuple[str, ...]
    terms: tuple[Term, ...]
    empty_terms: tuple[Term, ...]
    heterogeneity: str | None
    observed: float
    intercept: float
    se_log_dark: float
    coefficients: dict[str, float]
    fitted: NDArray[np.float64] = field(repr=False)
    deviance: float
    df: int
    loglik: float
    n_params: int
    converged: bool

    @property
    def dark(self) -> float:
        """Estimated number of people on no list."""
        return math.exp(self.intercept)

    @property
    def estimate(self) -> float:
        return self.observed + self.dark

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.n_params

    @property
    def bic(self) -> float:
        return -2 * self.loglik + math.log(self.observed) * self.n_params

    @property
    def model(self) -> str:
        return model_name(self.terms, self.lists, self.heterogeneity)

    @property
    def se_estimate(self) -> float:
        """Standard error of N̂ conditional on the model, as Rcapture gives it: √(f₀ + f₀² Var(intercept))."""
        return math.sqrt(self.dark + self.dark**2 * self.se_log_dark**2)

    def wald_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Normal interval on the log dark figure, conditional on the model (SparseMSE
        ``estimatepopulation.0``)."""
        z = stats.norm.ppf(0.5 + level / 2)
        return (
            self.observed + math.exp(self.intercept - z * self.se_log_dark),
            self.observed + math.exp(self.intercept + z * self.se_log_dark),
        )


def fit_loglinear(
    data: CaptureData, terms: Sequence[Term] = (), heterogeneity: str | None = None, check: bool = True
) -> LoglinearFit:
    """Fit one model by extended maximum likelihood.

    With ``check`` the model is first tested for identifiability and existence, and :class:`ModelError`
    explains a failure.
    """
    terms = normalise_terms(terms)
    if data.observed <= 0:
        raise ModelError("no one is on any list")
    if check:
        verdict = check_model(data, terms, heterogeneity)
        if not verdict.ok:
            raise ModelError(f"model {model_name(terms, data.lists, heterogeneity)}: {verdict.reason()}")
    x, y, keep, kept_terms, empty = _reduced_design(data, terms, heterogeneity)
    beta, mu, cov, active, converged = irls_single(x, y)
    names = ["(intercept)", *data.lists, *(term_name(t, data.lists) for t in kept_terms)]
    if heterogeneity:
        names.append(heterogeneity)
    coefs = {n: float(b) if a else -math.inf for n, b, a in zip(names, beta, active, strict=True)}
    for t in empty:
        coefs[term_name(t, data.lists)] = -math.inf
    fitted = np.zeros(len(data.counts))
    fitted[keep] = mu
    n_params = x.shape[1] + len(empty)
    return LoglinearFit(
        lists=data.lists,
        terms=terms,
        empty_terms=empty,
        heterogeneity=heterogeneity,
        observed=data.observed,
        intercept=float(beta[0]),
        se_log_dark=float(math.sqrt(max(cov[0, 0], 0.0))),
        coefficients=coefs,
        fitted=fitted,
        deviance=float(poisson_deviance(y, mu)),
        df=int(len(y) - int(active.sum())),
        loglik=float(poisson_loglik(y, mu)),
        n_params=n_params,
        converged=bool(converged),
    )


def fit_many(
    data: CaptureData, models: Sequence[Sequence[Term]], chunk: int = 512, normalised: bool = False
) -> list[tuple[tuple[Term, ...], tuple[Term, ...], float, float, float, bool]]:
    """Fit many models to one data set in vectorised batches.

    Returns, per model: (terms, empty terms, estimate, loglik, n_params, ok) where ``ok`` is False for a
    model that is not identifiable or did not converge. Where the MLE does not exist the fit converges to
    the extended MLE on the closure (as R's glm and Rcapture do); the exact existence test (a linear
    programme per model) is left to the caller for the models it uses. Used by the exhaustive BIC search.
    ``normalised`` promises that every model's terms are already as :func:`normalise_terms` returns them.
    """
    t = data.n_lists
    norm_models = [tuple(m) for m in models] if normalised else [normalise_terms(m) for m in models]
    all_terms = sorted({tt for m in norm_models for tt in m}, key=lambda s: (len(s), s))
    term_index = {tt: k for k, tt in enumerate(all_terms)}
    x_all = design_matrix(t, all_terms)
    y = data.counts
    h = history_matrix(t)
    n_terms = len(all_terms)
    is_empty = np.array([data.overlap(tt) == 0 for tt in all_terms], dtype=bool)
    # cells that contain each term (dropped when the term is empty)
    term_cells = np.array(
        [np.all(h[:, list(tt)] == 1, axis=1) for tt in all_terms], dtype=np.float64
    ).reshape(n_terms, len(y))
    incidence = np.zeros((len(norm_models), n_terms), dtype=bool)
    for i, m in enumerate(norm_models):
        incidence[i, [term_index[tt] for tt in m]] = True
    out: list[tuple[tuple[Term, ...], tuple[Term, ...], float, float, float, bool]] = []
    for start in range(0, len(norm_models), chunk):
        inc = incidence[start : start + chunk]
        m_fits = len(inc)
        col_mask = np.ones((m_fits, x_all.shape[1]), dtype=bool)
        col_mask[:, 1 + t :] = inc & ~is_empty[None, :]
        empty_inc = inc & is_empty[None, :]
        cell_mask = (empty_inc.astype(np.float64) @ term_cells) == 0
        beta, mu, converged = irls_masked(x_all, y, col_mask, cell_mask)
        ll = poisson_loglik(np.where(cell_mask, y, 0.0), mu)
        # identifiable when the Gram matrix of the kept cells is non-singular on the model's columns
        p_all = x_all.shape[1]
        outer = (x_all[:, :, None] * x_all[:, None, :]).reshape(len(y), p_all * p_all)
        colf = col_mask.astype(np.float64)
        pair = (colf[:, :, None] * colf[:, None, :]).reshape(m_fits, p_all * p_all)
        gram = ((cell_mask.astype(np.float64) @ outer) * pair).reshape(m_fits, p_all, p_all)
        gram += np.eye(p_all)[None] * (~col_mask)[:, None, :]
        eig = np.linalg.eigvalsh(gram)
        identifiable = eig[:, 0] > 1e-9 * eig[:, -1]
        n_params = col_mask.sum(axis=1) + empty_inc.sum(axis=1)
        for i in range(m_fits):
            k = start + i
            terms = norm_models[k]
            empties = tuple(tt for tt in terms if is_empty[term_index[tt]])
            est = data.observed + math.exp(beta[i, 0])
            ok = bool(identifiable[i] and converged[i])
            out.append((terms, empties, est, float(ll[i]), float(n_params[i]), ok))
    return out
