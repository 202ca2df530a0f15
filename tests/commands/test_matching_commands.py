"""``kinlink link-registry``: re-running list linkage by hand."""

from __future__ import annotations

import pytest

from kinlink.cli import main
from kinlink.registry.models import Source
from tests.factories import WriteList, person_row


@pytest.mark.django_db
def test_link_registry_reports_each_list_and_refuses_unknown_sources(
    write_list: WriteList, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_list([person_row(1), person_row(2, surname="Коваленко")])
    assert main(["import-list", str(path), "--source-kind", "obituary", "--source-name", "Obituaries"]) == 0
    capsys.readouterr()
    source = Source.objects.get(name="Obituaries")
    assert main(["link-registry", "--source", str(source.pk)]) == 0
    # Nothing else is in the registry yet: two records, nobody to compare them with.
    assert "'Obituaries': 2 record(s) against 0 person(s); 0 proposed" in capsys.readouterr().out
    assert main(["link-registry", "--source", str(source.pk + 100)]) == 1
    assert f"no imported list has source id {source.pk + 100}" in capsys.readouterr().err
    assert main(["link-registry", "--threshold", "1.5"]) == 1
    assert "between 0 and 1" in capsys.readouterr().err
