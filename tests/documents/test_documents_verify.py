"""Verification: the register, the CLI and the public page confirm a genuine file, reject an altered one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kinlink.cli import main
from kinlink.documents.actions import issue_document
from kinlink.documents.models import IssuedDocument
from kinlink.documents.services import verify_pdf
from kinlink.registry.models import Case

pytestmark = pytest.mark.django_db


def altered(pdf: bytes) -> bytes:
    """Change one character of the visible metadata title, as a forger editing the file would."""
    index = pdf.index(b"/Title")
    return pdf[: index + 8] + bytes([pdf[index + 8] ^ 0x01]) + pdf[index + 9 :]


@pytest.fixture
def issued(history_case: Case) -> IssuedDocument:
    return issue_document("certificate", history_case, "ru", user=None)


def test_register_confirms_genuine_and_rejects_altered_and_unknown(issued: IssuedDocument) -> None:
    pdf = bytes(issued.pdf)
    assert verify_pdf(pdf).genuine
    result = verify_pdf(altered(pdf))
    assert not result.genuine and result.reason.startswith("altered") and issued.number in result.reason
    foreign = pdf.replace(issued.number.encode(), b"KL-C-2026-ZZZZZZZZZZ")
    unknown = verify_pdf(foreign)
    assert not unknown.genuine and "never issued" in unknown.reason
    assert verify_pdf(b"hello").reason == "not a PDF file"


def test_cli_case_list_render_and_verify(
    history_case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: object
) -> None:
    assert main(["case", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [row["id"] for row in listed] == [history_case.pk]
    assert listed[0]["number"] == "CASE-2024-0042" and listed[0]["person"] == "Кузнецов Алексей Петрович"

    out = tmp_path / "certificate.pdf"
    code = main(
        [
            "documents",
            "render",
            "certificate",
            "--case",
            str(history_case.pk),
            "--lang",
            "en",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert out.read_bytes().startswith(b"%PDF-")
    capsys.readouterr()
    assert main(["documents", "verify", str(out)]) == 0
    assert "genuine" in capsys.readouterr().out

    forged = tmp_path / "forged.pdf"
    forged.write_bytes(altered(out.read_bytes()))
    assert main(["documents", "verify", str(forged)]) == 1
    assert "altered" in capsys.readouterr().err

    assert main(["documents", "render", "dossier", "--case", "999999", "--out", str(out)]) == 1
    assert "no case with id 999999" in capsys.readouterr().err


def test_verification_page_confirms_and_rejects_without_revealing_the_case(issued: IssuedDocument) -> None:
    client = Client()
    page = client.get(f"/ru/documents/verify/{issued.number}?c={issued.content_sha256}")
    body = page.content.decode()
    assert page.status_code == 200
    assert issued.number in body and 'id="content-match"' in body
    for secret in ("Кузнецов", "CASE-2024-0042", "TR-2024-0042", "Поиск пропавших"):
        assert secret not in body

    genuine = client.post(
        f"/en/documents/verify/{issued.number}",
        {"document": SimpleUploadedFile("doc.pdf", bytes(issued.pdf), "application/pdf")},
    )
    assert 'class="ok" id="result"' in genuine.content.decode()
    forged = client.post(
        f"/en/documents/verify/{issued.number}",
        {"document": SimpleUploadedFile("doc.pdf", altered(bytes(issued.pdf)), "application/pdf")},
    )
    forged_body = forged.content.decode()
    assert 'class="bad" id="result"' in forged_body and "altered" in forged_body

    wrong_hash = client.get(f"/en/documents/verify/{issued.number}?c={'0' * 64}")
    assert 'id="content-mismatch"' in wrong_hash.content.decode()
    missing = client.get("/en/documents/verify/KL-C-2026-ZZZZZZZZZZ")
    assert missing.status_code == 404 and 'id="not-issued"' in missing.content.decode()

    upload_any = client.post(
        "/en/documents/verify/",
        {"document": SimpleUploadedFile("x.pdf", bytes(issued.pdf), "application/pdf")},
    )
    assert "Genuine and unaltered." in upload_any.content.decode()


def test_oversized_upload_is_refused_before_it_is_read(issued: IssuedDocument) -> None:
    response = Client().post(
        f"/en/documents/verify/{issued.number}",
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(2 * 1024**3),
    )
    body = response.content.decode()
    assert 'class="bad" id="result"' in body and "larger than any document" in body


def test_cli_renders_a_dna_report_from_a_genetics_case_json(
    history_case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kinlink.registry.models import Sample

    Sample.objects.create(
        code="RS-0101",
        kind="reference",
        relationship="mother",
        tracing_request=history_case.person.tracing_requests.get(),
    )
    kinship_case = {
        "id": "RM-0007",
        "markers": {
            "D3S1358": {"alleles": {"14": 0.1, "15": 0.25, "16": 0.25, "17": 0.4}},
            "TH01": {"alleles": {"6": 0.2, "7": 0.2, "9": 0.3, "9.3": 0.3}},
        },
        "pedigree": [
            {"id": "F", "sex": "male", "father": None, "mother": None},
            {"id": "RS-0101", "sex": "female", "father": None, "mother": None},
            {"id": "MP", "sex": "male", "father": "F", "mother": "RS-0101"},
        ],
        "missing": "MP",
        "genotypes": {"RS-0101": {"D3S1358": ["15", "16"], "TH01": ["9.3", "9.3"]}},
        "poi": {"D3S1358": ["15", "17"], "TH01": ["9.3", "6"]},
    }
    case_json = tmp_path / "case.json"
    case_json.write_text(json.dumps(kinship_case), encoding="utf-8")
    out = tmp_path / "dna.pdf"
    code = main(
        ["documents", "render", "dna-report", "--case", str(history_case.pk), "--lang", "ru",
         "--out", str(out), "--kinship-case", str(case_json), "--prior", "0.5", "--lab", "Лаборатория"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["documents", "verify", str(out)]) == 0
    document = IssuedDocument.objects.get(kind="dna-report")
    assert document.case == history_case and document.audience == "caseworker"
    # By hand: D3S1358 POI 15/17, mother 15/16 → (1/2 · p17) / (2 · p15 · p17) = 0.2 / 0.2 = 1;
    # TH01 POI 9.3/6, mother 9.3/9.3 → (1 · p6) / (2 · p9.3 · p6) = 0.2 / 0.12 = 1.667; prior 1/2 → 0.625.
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert (
        "1,667" in text and "0,625000" in text and "RS-0101" in text and "мать" in text
    )  # the role, in Russian; numbers with the Russian decimal comma
    assert main(["documents", "render", "dna-report", "--case", str(history_case.pk), "--out", str(out)]) == 1
    assert "no DNA comparison result" in capsys.readouterr().err
