"""``kinlink field import-batch``: a repatriation batch from a CSV list of bodies; errors by row and column,
exit status 1 and nothing written; the same file again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinlink.cli import main
from kinlink.field.models import CustodyEvent, PhysicalProfile
from kinlink.registry.models import AuditEntry, Remains, RepatriationBatch

pytestmark = pytest.mark.django_db


def _args(path: Path, *extra: str) -> list[str]:
    return ["field", "import-batch", str(path), "--code", "REP-7", "--received-on", "2023-07-20", *extra]


def test_import_batch_records_each_body(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "handover.csv"
    path.write_text(
        "code,sex,age,tag_number,documents,effects\n"
        "B-1,M,25-35,АБ-1,военный билет Иванова,крестик\n"
        "B-2,ж,,,,\n",
        encoding="utf-8",
    )
    assert main(_args(path, "--handed-over-by", "the other side", "--received-by", "forensic centre")) == 0
    assert "batch REP-7: 2 remains recorded, 0 already known." in capsys.readouterr().out
    batch = RepatriationBatch.objects.get(code="REP-7")
    assert (batch.handed_over_by, batch.received_by, str(batch.received_on)) == (
        "the other side",
        "forensic centre",
        "2023-07-20",
    )
    b1, b2 = Remains.objects.order_by("code")
    assert (b1.sex_estimate, b1.age_estimate, b2.sex_estimate) == ("M", "25-35", "F")
    assert PhysicalProfile.objects.get(remains=b1).tag_number == "АБ-1"
    transfer = CustodyEvent.objects.get(remains=b1)
    assert (transfer.step, transfer.from_party, transfer.to_party) == (
        "transfer",
        "the other side",
        "forensic centre",
    )
    assert AuditEntry.objects.filter(action="record_batch", actor_label="cli").count() == 1
    # the same file again: nothing changes
    assert main(_args(path)) == 0
    assert "0 remains recorded, 2 already known." in capsys.readouterr().out
    assert Remains.objects.count() == 2


def test_import_batch_reports_rows_and_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("code,sex,colour\nB-1,X,\n,M,\nB-1,M,\n", encoding="utf-8")
    assert main(_args(path)) == 1
    err = capsys.readouterr().err
    assert "bad.csv: row 1, column 'colour': unknown column" in err
    assert "bad.csv: row 2, column 'sex': use M, F or leave it empty" in err
    assert "bad.csv: row 3, column 'code': empty" in err
    assert "bad.csv: row 4, column 'code': the same code twice in the file" in err
    assert "nothing was written" in err
    assert not RepatriationBatch.objects.exists() and not Remains.objects.exists()


def test_import_batch_refuses_a_bad_date_and_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("code\nB-1\n", encoding="utf-8")
    assert main(["field", "import-batch", str(path), "--code", "C", "--received-on", "20.07.2023"]) == 1
    assert "write the date as YYYY-MM-DD" in capsys.readouterr().err
    assert main(_args(tmp_path / "nope.csv")) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(_args(path, "--event", "999999")) == 1
    assert "no event with id 999999" in capsys.readouterr().err
    assert not Remains.objects.exists()
