"""Fixtures for portal tests (the world itself is built in portal_world.py)."""

from __future__ import annotations

import pytest

from tests.portal.portal_world import World, build_world


@pytest.fixture
def world(db: None) -> World:
    """Two organisations' worlds; the seed conflict is on A's person."""
    return build_world()
