"""Direct matching of remains with a reference of the missing person himself (a toothbrush, a stored
sample), as dvir's direct matching does: LR = 1 / P(genotype) per marker when the genotypes agree, 0 when
they differ; with allele dropout, the identity ratio of the re-association. Every LR here is computed by
hand from the frequency table below."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from kinlink.genetics.markers import FrequencyDatabase, read_frequency_table
from kinlink.genetics.reassociation import ReassociationError, direct_match


@pytest.fixture
def db(tmp_path: Path) -> FrequencyDatabase:
    path = tmp_path / "f.csv"
    path.write_text("locus,allele,freq\nA,10,0.1\nA,11,0.2\nA,12,0.7\nB,7,0.25\nB,8,0.25\nB,9,0.5\n")
    return read_frequency_table(str(path))


def test_identity_lr_is_one_over_the_genotype_frequency(db: FrequencyDatabase) -> None:
    remains = {"RS-1": {"A": ["10", "11"], "B": ["9", "9"]}}
    own = {"TOOTHBRUSH": {"A": ["11", "10"], "B": ["9", "9"]}}
    [match], notes = direct_match(remains, own, db, threshold=10)
    # A: heterozygote 1 / (2 * 0.1 * 0.2) = 25; B: homozygote 1 / 0.5^2 = 4; total 100
    assert match.per_marker["A"] == pytest.approx(math.log10(25))
    assert match.per_marker["B"] == pytest.approx(math.log10(4))
    assert match.log10_lr == pytest.approx(2.0) and match.markers == 2 and notes == []


def test_a_different_genotype_excludes_without_dropout(db: FrequencyDatabase) -> None:
    remains = {"RS-1": {"A": ["10", "11"], "B": ["9", "9"]}}
    assert direct_match(remains, {"OWN": {"A": ["10", "12"], "B": ["9", "9"]}}, db, threshold=1.01)[0] == []
    # a homozygous-looking call against a heterozygote: excluded without dropout ...
    assert direct_match({"RS-1": {"B": ["9", "9"]}}, {"OWN": {"B": ["8", "9"]}}, db, threshold=1e-9)[0] == []


def test_dropout_keeps_a_lost_allele_possible_with_the_hand_computed_ratio(db: FrequencyDatabase) -> None:
    """Remains show only allele 9 at B, the toothbrush 8/9. With dropout d per allele copy:
    P(one individual) = 2 p8 p9 (1-d)^2 d(1-d); P(remains) = p9^2 (1-d^2) + 2 p9 (1-p9) d(1-d);
    P(reference) = 2 p8 p9 (1-d)^2; LR = d(1-d) / (p9^2 (1-d^2) + 2 p9 (1-p9) d(1-d)) = 0.09 / 0.2925."""
    d = 0.1
    remains = {"RS-1": {"A": ["10", "11"], "B": ["9", "-"]}}
    own = {"OWN": {"A": ["10", "11"], "B": ["8", "9"]}}
    [match], _ = direct_match(remains, own, db, dropout=d, threshold=1.0)
    assert 10 ** match.per_marker["B"] == pytest.approx(0.09 / 0.2925, rel=1e-12)
    # the heterozygote typed in both: still 1 / (2 p q), dropout or not
    assert 10 ** match.per_marker["A"] == pytest.approx(25.0, rel=1e-12)


def test_partial_profiles_and_unknown_markers(db: FrequencyDatabase) -> None:
    remains = {"RS-1": {"A": ["10", "11"], "XX": ["1", "2"]}, "RS-2": {}}
    own = {"OWN": {"A": ["10", "11"], "B": ["9", "9"]}}
    [match], notes = direct_match(remains, own, db, threshold=10)
    assert match.remains == "RS-1" and match.markers == 1 and match.log10_lr == pytest.approx(math.log10(25))
    assert notes and "XX" in notes[0]
    with pytest.raises(ReassociationError, match="both remains and references"):
        direct_match({"S": {}}, {"S": {}}, db)
    with pytest.raises(ReassociationError, match="dropout"):
        direct_match(remains, own, db, dropout=1.0)
