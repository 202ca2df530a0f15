"""The posterior probability of an identification and the posterior an identification needs (pure and
light: no numpy, so settings, the portal and the scenario's power file can import it).

One definition for the whole product: screening stores it on each candidate, the staff pages and the DNA
report read it, ``kinlink dna advice`` turns it into the LR an identification needs.
"""

from __future__ import annotations

import math

#: The posterior a DNA identification needs before two staff members may confirm it (99.95%). The
#: registry reads ``settings.KINLINK_IDENTIFICATION_POSTERIOR``, whose default this is.
IDENTIFICATION_POSTERIOR = 0.9995


def posterior_probability(lr: float, prior: float) -> float:
    """P(H1 | findings) = LR * prior / (LR * prior + 1 - prior), for a prior probability in (0, 1].

    Computed as posterior odds = LR * prior odds, so that an infinite LR (or a prior of 1, one family
    screened with no alternative) gives 1 and never NaN."""
    if math.isnan(lr) or lr < 0.0:
        raise ValueError(f"the LR must be a number >= 0, got {lr}")
    if not 0.0 < prior <= 1.0:
        raise ValueError(f"the prior probability must lie strictly between 0 and 1, or be 1; got {prior}")
    if prior == 1.0 or math.isinf(lr):
        return 1.0 if lr > 0.0 else 0.0
    odds = lr * prior / (1.0 - prior)
    if math.isinf(odds):
        return 1.0
    return odds / (1.0 + odds)


def identification_lr(missing_persons: int, posterior: float = IDENTIFICATION_POSTERIOR) -> float:
    """The LR that brings a prior of 1 / ``missing_persons`` to ``posterior``."""
    if missing_persons < 2:
        raise ValueError("the number of missing persons must be at least 2")
    return posterior / (1.0 - posterior) * (missing_persons - 1)
