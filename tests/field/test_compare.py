"""The non-DNA comparison: each field's rule, and the ranking."""

from __future__ import annotations

from kinlink.field.compare import CONSISTENT, EXCLUSION, UNKNOWN, Mark, Physical, compare, rank


def _outcomes(am: Physical, pm: Physical) -> dict[str, str]:
    return {f.field: f.outcome for f in compare(am, pm).fields if f.field != "marks"}


def test_sex_age_and_stature_rules() -> None:
    pm = Physical("R1", sex="M", age_min=25, age_max=35, height_min=170, height_max=178)
    fits = Physical("1", sex="M", age_min=29, age_max=30, height_min=180, height_max=180)
    out = _outcomes(fits, pm)
    assert (out["sex"], out["age"], out["stature"]) == (CONSISTENT, CONSISTENT, CONSISTENT)
    # 5 years of tolerance around the age estimate, 7 cm around the stature estimate
    assert _outcomes(Physical("2", sex="M", age_min=40, age_max=40), pm)["age"] == CONSISTENT
    assert _outcomes(Physical("3", sex="M", age_min=40.5, age_max=41), pm)["age"] == EXCLUSION
    assert _outcomes(Physical("4", sex="M", height_min=186, height_max=186), pm)["stature"] == EXCLUSION
    assert _outcomes(Physical("5", sex="F"), pm)["sex"] == EXCLUSION
    assert _outcomes(Physical("6"), pm)["sex"] == UNKNOWN


def test_tag_call_sign_marks_and_documents_are_strong() -> None:
    pm = Physical(
        "R1",
        tag_number="АА-123456",
        clothing_effects="жетон, шеврон с позывным «Гром»",
        documents_found="военный билет на имя Соколов",
        marks=(Mark("tattoo", "left_arm", "якорь"),),
    )
    am = Physical(
        "1",
        tag_number="аа 123456",
        call_sign="Гром",
        names=("Соколов",),
        marks=(Mark("tattoo", "left_arm", "якорь"), Mark("scar", "abdomen")),
    )
    result = compare(am, pm)
    codes = {f.code for f in result.fields}
    assert {"tag_number_same", "call_sign_same", "mark_found", "mark_not_found", "documents_name"} <= codes
    assert result.strong == 4 and not result.excluded
    # found inside the effects: the explanation names the call sign, not the whole list of effects
    [call_sign] = [f for f in result.fields if f.field == "call_sign"]
    assert call_sign.params == {"value": "Гром"}
    [tag] = [f for f in result.fields if f.field == "tag_number"]
    assert tag.params == {"value": "АА-123456"}
    # a different tag does not exclude: tags are exchanged
    other = compare(Physical("2", tag_number="ББ-1"), pm)
    assert [f.outcome for f in other.fields if f.field == "tag_number"] == [UNKNOWN]


def test_rank_puts_strong_agreement_first_and_excluded_apart() -> None:
    pm = Physical("R1", sex="M", age_min=20, age_max=30, tag_number="777")
    persons = [
        Physical("a", sex="M", age_min=25, age_max=25),
        Physical("b", sex="M", age_min=26, age_max=26, tag_number="777"),
        Physical("c", sex="F"),
        Physical("d"),
    ]
    ranked, excluded = rank(pm, persons)
    assert [c.antemortem for c in ranked] == ["b", "a", "d"]
    assert [c.antemortem for c in excluded] == ["c"]
