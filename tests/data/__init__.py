"""The public reference data the tests and benchmarks read, kept in the repository (see README.md here).

``DATA`` is the one name for this folder; below it the layout follows the provenance READMEs:
``genetics/{cases,dvi,familias}`` and ``estimation`` (with ``estimation/r_draws``)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent
