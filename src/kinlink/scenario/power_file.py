"""Moved to :mod:`kinlink.genetics.power_file` (the product reads the match-power file; the synthetic
generator only writes it). Re-exported here for ``kinlink.commands.dna_screen`` until it imports the
engine module directly; nothing new should import this module."""

from __future__ import annotations

from kinlink.genetics.power_file import (
    CONFIGURATION_NAMES,
    IDENTIFICATION_POSTERIOR,
    POWER_FILE_FORMAT,
    PowerFileError,
    check_sampling_power,
    identification_lr,
    sampling_power_file,
    threshold_label,
)

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
