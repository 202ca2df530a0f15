"""Synthetic world generator (pure): soldiers, families, events, sources, lists, remains and the truth.

>>> from kinlink.scenario import generate
>>> world = generate(seed=7, size=100)
>>> len(world.soldiers)
100
"""

from __future__ import annotations

from kinlink.lib.personlist import PERSON_LIST_COLUMNS
from kinlink.scenario.model import World
from kinlink.scenario.world import LIST_NAMES, generate, person_list_rows

__all__ = ["LIST_NAMES", "PERSON_LIST_COLUMNS", "World", "generate", "person_list_rows"]
