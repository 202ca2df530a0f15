"""The match-power file the portal's sampling advice reads (``kinlink dna advice --out``).

Pure and light (no numpy): the portal imports it at start-up. The file records the command that made it,
the date and the parameters, and per reference configuration the power and the false-positive rate at
each LR threshold (``power_1e4``, ``power_2e8``, ...; see :func:`threshold_label`).
"""

from __future__ import annotations

from collections.abc import Mapping

from kinlink.genetics.posterior import IDENTIFICATION_POSTERIOR, identification_lr

#: The reference configurations of :data:`kinlink.scenario.dna.CONFIGURATIONS`.
CONFIGURATION_NAMES = ("mother", "both_parents", "mother_sibling", "siblings", "child_mother")


def threshold_label(threshold: float) -> str:
    """The LR with three significant digits in the ``1e4`` style: ``1e4``, ``1e6``, ``2e8``, ``2.5e7``."""
    mantissa, exponent = f"{threshold:.2e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


POWER_FILE_FORMAT = "kinlink-sampling-power/1"


def sampling_power_file(
    advice: Mapping[str, Mapping[str, float]],
    *,
    command: str,
    generated_on: str,
    parameters: Mapping[str, object],
) -> dict[str, object]:
    """The shipped match-power file: format tag, how it was made, and the power per configuration."""
    data: dict[str, object] = {
        "format": POWER_FILE_FORMAT,
        "generated_by": command,
        "generated_on": generated_on,
        "parameters": dict(parameters),
        "method": (
            "For each reference configuration, families are simulated with the scenario generator "
            "(Hardy-Weinberg founders, Mendelian transmission with the stated mutation model), the missing "
            "man's remains are degraded as stated, and every remains is screened against every family with "
            "the exact screening tables. power_T = share of the missing men whose LR against their own "
            "family is at least T; false_positive_rate_T = share of unrelated (remains, family) pairs with "
            "LR at least T. Configurations are listed best first."
        ),
        "configurations": {k: dict(v) for k, v in advice.items()},
    }
    check_sampling_power(data)
    return data


class PowerFileError(ValueError):
    """A match-power file that does not have the expected form; the message names the part at fault."""


def check_sampling_power(data: object) -> None:
    """Raise :class:`PowerFileError` unless ``data`` is a complete match-power file."""
    if not isinstance(data, dict):
        raise PowerFileError("the file is not a JSON object")
    if data.get("format") != POWER_FILE_FORMAT:
        raise PowerFileError(f"format must be {POWER_FILE_FORMAT!r}, got {data.get('format')!r}")
    for key in ("generated_by", "generated_on"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise PowerFileError(f"{key} must be a non-empty string")
    params = data.get("parameters")
    if not isinstance(params, dict):
        raise PowerFileError("parameters must be an object")
    for key in (
        "families_per_configuration",
        "condition",
        "thresholds",
        "identification_lr",
        "missing_persons",
    ):
        if key not in params:
            raise PowerFileError(f"parameters.{key} is missing")
    configs = data.get("configurations")
    if not isinstance(configs, dict) or set(configs) != set(CONFIGURATION_NAMES):
        raise PowerFileError(f"configurations must be exactly {sorted(CONFIGURATION_NAMES)}")
    labels = [threshold_label(float(t)) for t in params["thresholds"]]
    for name, record in configs.items():
        for label in labels:
            for key in (f"power_{label}", f"false_positive_rate_{label}"):
                value = record.get(key) if isinstance(record, dict) else None
                if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
                    raise PowerFileError(f"configurations.{name}.{key} must be a share between 0 and 1")


__all__ = [
    "CONFIGURATION_NAMES",
    "IDENTIFICATION_POSTERIOR",
    "POWER_FILE_FORMAT",
    "PowerFileError",
    "check_sampling_power",
    "identification_lr",
    "sampling_power_file",
    "threshold_label",
]
