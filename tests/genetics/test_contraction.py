"""The elimination plans' contractions as matrix products equal numpy's einsum."""

from __future__ import annotations

import string

import numpy as np
import pytest

from kinlink.genetics import contraction
from kinlink.genetics.contraction import contract

# The calls that cost most in dvir's icmp dataset (see bench/dvi.py), and the shapes they come with.
PLAN_CALLS = [
    ("Zabc,Zabd,Zabe->Zcde", [(13, 9, 9, 9)] * 3),
    ("Zadc,Zbdc->Zabc", [(13, 9, 2, 2), (13, 9, 2, 2)]),
    ("Zcd,Zabc->Zabd", [(13, 2, 2), (13, 9, 9, 2)]),
    ("Zagf,Zabcde->Zbcdefg", [(13, 9, 2, 9), (13, 9, 9, 2, 2, 2)]),
    ("Zabd,Zabe,Zabc->Zcde", [(7, 7, 7, 7)] * 3),
    ("Zafe,Zabcdef->Zbcde", [(5, 9, 2, 2), (5, 9, 9, 2, 2, 2, 2)]),
    ("Zab,Zab->Z", [(4, 12, 12), (4, 12, 12)]),
    ("Zab->Zba", [(3, 24, 24)]),
    ("Zabc->Zca", [(3, 9, 9, 9)]),
    ("Za,Zb,Zc,Zabc->Z", [(2, 9), (2, 9), (2, 9), (2, 9, 9, 9)]),
]


@pytest.mark.parametrize(("subscripts", "shapes"), PLAN_CALLS, ids=[c[0] for c in PLAN_CALLS])
def test_plan_calls_equal_einsum(subscripts: str, shapes: list[tuple[int, ...]]) -> None:
    rng = np.random.default_rng(7)
    operands = [rng.random(shape) for shape in shapes]
    expected = np.einsum(subscripts, *operands)
    got = contract(subscripts, *operands)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)


def _random_call(rng: np.random.Generator) -> tuple[str, list[tuple[int, ...]]]:
    """Up to four operands over up to six variables (sizes 1, 2, 3 or 7), the batch axis Z first; the
    output keeps a random subset."""
    letters = string.ascii_lowercase[: int(rng.integers(1, 7))]
    size = {x: int(rng.choice([1, 2, 3, 7])) for x in letters}
    terms = []
    for _ in range(int(rng.integers(1, 5))):
        picked = [x for x in letters if rng.random() < 0.6] or [str(rng.choice(list(letters)))]
        order = [str(x) for x in rng.permutation(picked)]
        terms.append("".join(order))
    used = sorted(set("".join(terms)))
    out = "".join(str(x) for x in rng.permutation([x for x in used if rng.random() < 0.4]))
    batch = int(rng.integers(1, 4))
    shapes = [(batch, *(size[x] for x in t)) for t in terms]
    return ",".join("Z" + t for t in terms) + "->Z" + out, shapes


@pytest.mark.parametrize("seed", range(60))
def test_random_calls_equal_einsum(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call goes through the matrix products (no small call left to einsum)."""
    monkeypatch.setattr(contraction, "EINSUM_UP_TO", 0)
    contraction._recipe.cache_clear()
    rng = np.random.default_rng(seed)
    subscripts, shapes = _random_call(rng)
    operands = [rng.random(shape) + 0.1 for shape in shapes]
    expected = np.einsum(subscripts, *operands)
    got = contract(subscripts, *operands)
    assert got.shape == expected.shape, subscripts
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=subscripts)
    contraction._recipe.cache_clear()


def test_small_calls_and_diagonals_go_to_einsum() -> None:
    assert contraction._recipe("Zab,Zbc->Zac", ((2, 2), (2, 2))) is None  # a loop of 8 products
    assert contraction._recipe("Zaa->Za", ((30, 30),)) is None  # a repeated index
    assert contraction._recipe("Zab,Zbc->Zac", ((9, 9), (9, 9))) is not None
    rng = np.random.default_rng(1)
    x = rng.random((2, 30, 30))
    np.testing.assert_allclose(contract("Zaa->Za", x), np.einsum("Zaa->Za", x))
