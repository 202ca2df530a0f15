"""Two-list estimators: Lincoln–Petersen and Chapman.

With ``n1`` people on list 1, ``n2`` on list 2 and ``m`` on both:

* Lincoln–Petersen ``N̂ = n1 n2 / m``, variance ``n1 n2 (n1 − m)(n2 − m) / m³``;
* Chapman ``N̂ = (n1 + 1)(n2 + 1)/(m + 1) − 1``, variance
  ``(n1 + 1)(n2 + 1)(n1 − m)(n2 − m) / ((m + 1)² (m + 2))`` (Seber 1982), defined even when ``m = 0``.

Both assume the two lists are independent and everyone on them has the same chance of being listed. When the
lists depend positively (people on one are more likely on the other) the estimate is too low: read it as a
lower bound. The interval is Chao's (1987) log-normal interval for the unseen part, so it never goes below
the observed count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.loglinear import ModelError


@dataclass(frozen=True)
class TwoListEstimate:
    method: str
    estimate: float
    se: float
    observed: float
    lo: float
    hi: float


def _margins(data: CaptureData) -> tuple[float, float, float]:
    if data.n_lists != 2:
        raise ModelError(f"the two-list estimators need exactly two lists, got {data.n_lists}")
    only1, only2, both = (float(c) for c in data.counts)
    return only1 + both, only2 + both, both


def _log_normal_interval(observed: float, estimate: float, se: float, level: float) -> tuple[float, float]:
    unseen = estimate - observed
    if unseen <= 0 or se <= 0:
        return observed, observed
    z = stats.norm.ppf(0.5 + level / 2)
    c = math.exp(z * math.sqrt(math.log(1 + se**2 / unseen**2)))
    return observed + unseen / c, observed + unseen * c


def lincoln_petersen(data: CaptureData, level: float = 0.95) -> TwoListEstimate:
    n1, n2, m = _margins(data)
    if m == 0:
        raise ModelError("the two lists share no one: Lincoln–Petersen is infinite (use chapman)")
    est = n1 * n2 / m
    se = math.sqrt(n1 * n2 * (n1 - m) * (n2 - m) / m**3)
    lo, hi = _log_normal_interval(data.observed, est, se, level)
    return TwoListEstimate("lincoln-petersen", est, se, data.observed, lo, hi)


def chapman(data: CaptureData, level: float = 0.95) -> TwoListEstimate:
    n1, n2, m = _margins(data)
    est = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    se = math.sqrt((n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2)))
    lo, hi = _log_normal_interval(data.observed, est, se, level)
    return TwoListEstimate("chapman", est, se, data.observed, lo, hi)
