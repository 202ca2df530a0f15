"""The field pages of the caseworker console: a grave from the comrade's testimony, its exhumation, the
remains, their custody chain and lab sample, post-mortem and ante-mortem data, the ranked non-DNA
candidates with their explanations and remembered exclusions, repatriation batches, and the family form's
"what would help recognise him". Another organisation's site, remains and case answer 404."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kinlink.field import actions as field_actions
from kinlink.field.models import BodyMark, ComparisonDecision, CustodyEvent, ExhumationStep, PhysicalProfile
from kinlink.identification.actions import register_sample
from kinlink.registry.models import Claim, Organisation, Remains, RepatriationBatch, Site, Source
from tests.portal.portal_world import Side, World, request_form_token, verified_client

D = dt.date


def _staff(side: Side, role: str = "caseworker") -> Client:
    return verified_client(side.users[role], side.devices[role])


def _comrade(world: World) -> Source:
    return Source.objects.get(name="Comrade testimony")


def _site(world: World, **kwargs: Any) -> Site:
    return field_actions.record_site(
        None,
        name="Field grave by the stream",
        kind=Site.Kind.FIELD_GRAVE,
        reported_by=_comrade(world),
        latitude=50.58,
        longitude=30.21,
        precision_m=300,
        buried_count=4,
        buried_on="2022-04",
        buried_by="local residents",
        **kwargs,
    )


def _remains(site: Site, code: str = "R-2023-001") -> Remains:
    return field_actions.recover_remains(None, code=code, site=site, recovered_on=D(2023, 7, 1), by="team")


def _text(response: Any) -> str:
    return str(response.content.decode())


# --- sites ----------------------------------------------------------------------------------------------


def test_a_grave_recorded_from_the_comrades_testimony(world: World) -> None:
    client = _staff(world.a)
    comrade = _comrade(world)
    case_page = _text(client.get(f"/en/staff/cases/{world.a.case.pk}/"))
    link = f"/en/staff/field/sites/new?source={comrade.pk}"
    assert "Record the grave this testimony describes" in case_page and link in case_page
    assert f"/en/staff/cases/{world.a.case.pk}/antemortem" in case_page

    form = _text(client.get(link))
    assert "Comrade testimony" in form and "locals buried the bodies" in form  # the testimony's words
    assert 'name="reporter"' not in form  # the testimony is the source: nobody to name

    # latitude without longitude: refused, every value kept
    bad = client.post(
        link, {"name": "Grave by the stream", "kind": "field_grave", "latitude": "50.58", "buried_count": "4"}
    )
    assert bad.status_code == 400
    page = _text(bad)
    assert "Give both latitude and longitude, or neither." in page
    assert 'value="Grave by the stream"' in page and 'value="4"' in page
    assert not Site.objects.filter(name="Grave by the stream").exists()

    response = client.post(
        link,
        {
            "name": "Grave by the stream",
            "kind": "field_grave",
            "latitude": "50.58",
            "longitude": "30.21",
            "precision_m": "300",
            "buried_count": "4",
            "buried_on": "04.2022",
            "buried_by": "local residents",
        },
    )
    site = Site.objects.get(name="Grave by the stream")
    assert response.status_code == 302 and response["Location"] == f"/en/staff/field/sites/{site.pk}/"
    assert (site.reported_by, site.buried_count, site.buried_on, site.precision_m) == (
        comrade,
        4,
        "2022-04",
        300,
    )
    page = _text(client.get(response["Location"]))
    assert "Comrade testimony" in page and "locals buried the bodies" in page
    assert world.a.person.primary_name() in page  # whom the testimony speaks of, for a staff who follows him
    assert 'class="marker site"' in page and "± 300" in page
    listing = _text(client.get("/en/staff/field/sites/"))
    assert "Grave by the stream" in listing and "reported" in listing


def test_a_grave_reported_outside_a_case_names_its_reporter(world: World) -> None:
    client = _staff(world.a)
    bad = client.post("/en/staff/field/sites/new", {"name": "Orchard grave", "kind": "field_grave"})
    assert bad.status_code == 400 and "Who reported it" in _text(bad)
    response = client.post(
        "/en/staff/field/sites/new",
        {
            "reporter": "Village head, Lukashivka",
            "reporter_kind": "testimony",
            "reported_on": "2023",
            "name": "Orchard grave",
            "kind": "field_grave",
            "buried_count": "2",
        },
    )
    assert response.status_code == 302
    site = Site.objects.get(name="Orchard grave")
    assert site.reported_by is not None and site.reported_by.organisation == world.a.org
    # the reporting organisation's staff sees it; the other organisation's does not
    assert _staff(world.a).get(f"/en/staff/field/sites/{site.pk}/").status_code == 200
    assert _staff(world.b).get(f"/en/staff/field/sites/{site.pk}/").status_code == 404
    assert "Orchard grave" not in _text(_staff(world.b).get("/en/staff/field/sites/"))


def test_exhumation_offers_only_the_allowed_steps(world: World) -> None:
    site = _site(world)
    client = _staff(world.a)
    url = f"/en/staff/field/sites/{site.pk}/"
    page = _text(client.get(url))
    options = re.findall(r'<option value="(\w+)"', page.split('id="exhumation-step"')[1].split("</form>")[0])
    assert options == ["located", "requested", "exhumed"]
    refused = client.post(url + "exhumation", {"status": "permitted", "on": "2023-05-01"})
    assert refused.status_code == 400 and "Select a valid choice" in _text(refused)
    assert (
        client.post(
            url + "exhumation", {"status": "requested", "on": "2023-05-01", "by": "the family"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            url + "exhumation", {"status": "permitted", "on": "2023-06-01", "by": "prosecutor"}
        ).status_code
        == 302
    )
    early = client.post(url + "exhumation", {"status": "exhumed", "on": "2023-05-20", "note": "dug"})
    assert early.status_code == 400
    assert "A step cannot be dated before the previous step." in _text(early) and 'value="dug"' in _text(
        early
    )
    assert (
        client.post(
            url + "exhumation", {"status": "exhumed", "on": "2023-07-01", "by": "search team"}
        ).status_code
        == 302
    )
    site.refresh_from_db()
    assert site.exhumation_status == "exhumed"
    assert list(ExhumationStep.objects.filter(site=site).values_list("status", "by")) == [
        ("requested", "the family"),
        ("permitted", "prosecutor"),
        ("exhumed", "search team"),
    ]
    page = _text(client.get(url))
    assert "exhumation permitted" in page and "prosecutor" in page and "caseworker-a" in page


def test_remains_recovered_from_the_site(world: World) -> None:
    site = _site(world)
    _remains(site)
    client = _staff(world.a)
    url = f"/en/staff/field/sites/{site.pk}/remains"
    taken = client.post(url, {"code": "R-2023-001", "recovered_on": "2023-07-01", "sex_estimate": "M"})
    assert taken.status_code == 400 and "already registered" in _text(taken)
    response = client.post(
        url,
        {
            "code": "R-2023-002",
            "recovered_on": "2023-07-01",
            "by": "search team",
            "sex_estimate": "M",
            "age_estimate": "20–30",
            "condition": "partial skeleton",
        },
    )
    remains = Remains.objects.get(code="R-2023-002")
    assert response.status_code == 302 and response["Location"] == f"/en/staff/field/remains/{remains.pk}/"
    assert (remains.site, remains.sex_estimate, remains.condition) == (site, "M", "partial skeleton")
    page = _text(client.get(response["Location"]))
    assert "Field grave by the stream" in page and "recovery" in page and "search team" in page
    site_page = _text(client.get(f"/en/staff/field/sites/{site.pk}/"))
    assert "R-2023-001" in site_page and "R-2023-002" in site_page


# --- remains --------------------------------------------------------------------------------------------


def test_tie_the_labs_sample_and_see_the_custody_chain(world: World) -> None:
    remains = _remains(_site(world))
    client = _staff(world.a)
    url = f"/en/staff/field/remains/{remains.pk}/"
    unknown = client.post(url + "sample", {"barcode": "NO-SUCH", "on": "2023-07-03"})
    assert unknown.status_code == 400 and "No sample with this barcode" in _text(unknown)
    reference = client.post(url + "sample", {"barcode": world.a.sample.code, "on": "2023-07-03"})
    assert reference.status_code == 400 and "Only a remains sample" in _text(reference)
    register_sample(None, world.a.lab, "BC-R-0001", "remains")
    assert (
        client.post(
            url + "sample", {"barcode": "BC-R-0001", "on": "2023-07-03", "by": "examiner"}
        ).status_code
        == 302
    )
    assert remains.samples.get().code == "BC-R-0001"

    page = _text(client.get(url))
    assert 'value="sample:' in page  # the sample is now a subject of the custody form
    sample_pk = remains.samples.get().pk
    early = client.post(
        url + "custody", {"subject": f"sample:{sample_pk}", "step": "lab", "on": "2023-01-01"}
    )
    assert early.status_code == 400 and "before the first link of the custody chain" in _text(early)
    ok = client.post(
        url + "custody",
        {
            "subject": f"sample:{sample_pk}",
            "step": "lab",
            "on": "2023-07-10",
            "from_party": "morgue",
            "to_party": "central lab",
        },
    )
    assert ok.status_code == 302
    assert (
        client.post(
            url + "custody",
            {
                "subject": f"remains:{remains.pk}",
                "step": "transfer",
                "on": "2023-07-12",
                "to_party": "forensic centre",
            },
        ).status_code
        == 302
    )
    steps = list(CustodyEvent.objects.filter(remains=remains).values_list("step", flat=True))
    assert steps == ["recovery", "sampling", "transfer"]
    page = _text(client.get(url))
    chain = page.split('id="custody"')[1].split("</table>")[0]
    for text in (
        "recovery",
        "sampling",
        "received by the laboratory",
        "sample BC-R-0001",
        "central lab",
        "forensic centre",
    ):
        assert text in chain, text


def _antemortem(world: World) -> None:
    field_actions.save_profile(
        None,
        person=world.a.person,
        values={"height_min_cm": 178, "height_max_cm": 178, "tag_number": "АБ-123456"},
        sources={"tag_number": "mother", "height_min_cm": "military record"},
        marks=[field_actions.MarkInput("tattoo", "left_arm", "eagle", "mother")],
    )


def test_postmortem_data_and_the_ranked_candidates(world: World) -> None:
    _antemortem(world)
    remains = _remains(_site(world))
    client = _staff(world.a)
    url = f"/en/staff/field/remains/{remains.pk}/"
    post = {
        "sex": "M",
        "age_min": "30",
        "age_max": "20",
        "height_min_cm": "172",
        "height_max_cm": "182",
        "tag_number": "АБ 123456",
        "src_tag_number": "examiner",
        "marks-TOTAL_FORMS": "2",
        "marks-INITIAL_FORMS": "0",
        "marks-MIN_NUM_FORMS": "0",
        "marks-MAX_NUM_FORMS": "30",
        "marks-0-kind": "tattoo",
        "marks-0-region": "left_arm",
        "marks-0-description": "bird",
        "marks-1-description": "a scar somewhere",
    }
    bad = client.post(url + "profile", post)
    assert bad.status_code == 400
    page = _text(bad)
    assert "The upper bound is below the lower bound." in page and "Say where on the body it is." in page
    assert 'value="АБ 123456"' in page and 'value="bird"' in page  # what was typed is kept
    assert not PhysicalProfile.objects.filter(remains=remains).exists()

    post.update({"age_min": "20", "age_max": "30", "marks-1-description": ""})
    assert client.post(url + "profile", post).status_code == 302
    profile = PhysicalProfile.objects.get(remains=remains)
    assert profile.sources["tag_number"] == "examiner" and profile.tag_number == "АБ 123456"
    assert [(m.kind, m.region) for m in profile.marks.all()] == [("tattoo", "left_arm")]

    page = _text(client.get(url))
    candidates = page.split('id="candidates"')[1].split('id="excluded"')[0]
    assert world.a.person.primary_name() in candidates
    assert f"/en/staff/cases/{world.a.case.pk}/" in candidates
    assert "The same identity tag number: АБ 123456." in candidates
    assert "A mark in the same place: tattoo, left arm (eagle)." in candidates
    assert "Height 178 cm fits the estimate 172–182 cm (± 7)." in candidates
    assert "2 near-unique agreements" in candidates
    # the other organisation's missing person is counted, never named
    assert "Petrenko" not in page and "1 more possible person is followed by another organisation." in page


def test_an_exclusion_needs_a_reason_and_is_remembered(world: World) -> None:
    remains = _remains(_site(world))
    client = _staff(world.a)
    url = f"/en/staff/field/remains/{remains.pk}/candidates/{world.a.person.pk}"
    refused = client.post(url, {"decision": "excluded", f"p{world.a.person.pk}-reason": " "})
    assert refused.status_code == 400 and "This field is required." in _text(refused)
    assert not ComparisonDecision.objects.exists()
    possible = client.post(url, {"decision": "possible", f"p{world.a.person.pk}-reason": "same unit"})
    assert possible.status_code == 302
    page = _text(client.get(f"/en/staff/field/remains/{remains.pk}/"))
    assert "possible: ask for DNA" in page and "same unit" in page
    assert (
        client.post(
            url, {"decision": "excluded", f"p{world.a.person.pk}-reason": "dental record differs"}
        ).status_code
        == 302
    )
    page = _text(client.get(f"/en/staff/field/remains/{remains.pk}/"))
    ranked, excluded = page.split('id="candidates"')[1].split('id="excluded"')
    assert world.a.person.primary_name() not in ranked
    assert world.a.person.primary_name() in excluded and "dental record differs" in excluded
    # another organisation's staff cannot decide on A's person
    other = _staff(world.b).post(url, {"decision": "excluded", f"p{world.a.person.pk}-reason": "x"})
    assert other.status_code == 404


def test_a_sex_difference_is_listed_apart_with_its_reason(world: World) -> None:
    remains = _remains(_site(world))
    field_actions.save_profile(None, remains=remains, values={"sex": "F"})
    page = _text(_staff(world.a).get(f"/en/staff/field/remains/{remains.pk}/"))
    ranked, excluded = page.split('id="candidates"')[1].split('id="excluded"')
    assert world.a.person.primary_name() not in ranked
    assert "Remains: female; the missing person: male." in excluded


# --- ante-mortem ----------------------------------------------------------------------------------------


def test_antemortem_page_of_the_case(world: World) -> None:
    client = _staff(world.a)
    url = f"/en/staff/cases/{world.a.case.pk}/antemortem"
    page = _text(client.get(url))
    assert "Tattoos, scars and other marks" in page and 'name="src_dental"' in page
    assert 'name="age_min"' not in page  # his age comes from his date of birth
    data = {
        "height_min_cm": "175",
        "height_max_cm": "180",
        "src_height_min_cm": "mother",
        "dental": "crown on 26",
        "src_dental": "dental record",
        "call_sign": "Grom",
        "src_call_sign": "comrade",
        "marks-TOTAL_FORMS": "2",
        "marks-INITIAL_FORMS": "0",
        "marks-MIN_NUM_FORMS": "0",
        "marks-MAX_NUM_FORMS": "30",
        "marks-0-kind": "scar",
        "marks-0-region": "abdomen",
        "marks-0-description": "appendix operation",
        "marks-0-source": "mother",
    }
    assert client.post(url, data).status_code == 302
    profile = PhysicalProfile.objects.get(person=world.a.person)
    assert (profile.height_min_cm, profile.call_sign, profile.sources["dental"]) == (
        175,
        "Grom",
        "dental record",
    )
    assert BodyMark.objects.get(profile=profile).source == "mother"
    page = _text(client.get(url))
    assert 'value="Grom"' in page and 'value="comrade"' in page and "appendix operation" in page
    assert _staff(world.b).get(url).status_code == 404


# --- batches --------------------------------------------------------------------------------------------


def test_batch_import_reports_rows_and_columns_and_keeps_the_form(world: World) -> None:
    client = _staff(world.a)
    bad_csv = "code,sex,tag_number,colour\nB-1,M,AA-1,\nB-1,X,,\n,F,,\n"
    response = client.post(
        "/en/staff/field/batches/import",
        {
            "csv_file": SimpleUploadedFile("handover.csv", bad_csv.encode()),
            "code": "REP-2023-07",
            "received_on": "2023-07-20",
            "handed_over_by": "the other side",
            "received_by": "forensic centre",
        },
    )
    assert response.status_code == 400
    page = _text(response)
    table = page.split('class="import-errors"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", table)
    assert (
        ("1", "colour") in rows and ("3", "code") in rows and ("3", "sex") in rows and ("4", "code") in rows
    )
    assert 'value="REP-2023-07"' in page and 'value="the other side"' in page and 'value="2023-07-20"' in page
    assert (
        not RepatriationBatch.objects.exists() and not Remains.objects.filter(code__startswith="B-").exists()
    )

    good = "code,sex,age,tag_number,documents,effects\nB-1,M,25-35,AA-1,military ID Ivanov,cross\nB-2,,,,,\n"
    response = client.post(
        "/en/staff/field/batches/import",
        {
            "csv_file": SimpleUploadedFile("handover.csv", good.encode()),
            "code": "REP-2023-07",
            "received_on": "2023-07-20",
            "received_by": "forensic centre",
        },
    )
    assert response.status_code == 302
    batch = RepatriationBatch.objects.get(code="REP-2023-07")
    assert sorted(batch.remains.values_list("code", flat=True)) == ["B-1", "B-2"]
    listing = _text(client.get("/en/staff/field/batches/"))
    assert "REP-2023-07" in listing and "forensic centre" in listing and "B-2" in listing
    # a batch is an official handover: every caseworker may work its remains
    b1 = Remains.objects.get(code="B-1")
    page = _text(_staff(world.b).get(f"/en/staff/field/remains/{b1.pk}/"))
    assert "REP-2023-07" in page and "transfer" in page
    assert world.a.person.primary_name() not in page  # A's person is named only to A's staff


# --- access ---------------------------------------------------------------------------------------------


def test_another_organisation_gets_404_and_the_lab_403(world: World) -> None:
    site = _site(world)
    remains = _remains(site)
    urls = [
        f"/en/staff/field/sites/{site.pk}/",
        f"/en/staff/field/remains/{remains.pk}/",
        f"/en/staff/field/sites/new?source={_comrade(world).pk}",
        f"/en/staff/cases/{world.a.case.pk}/antemortem",
    ]
    other, lab, own = _staff(world.b), _staff(world.a, "lab_analyst"), _staff(world.a)
    for url in urls:
        assert own.get(url).status_code == 200, url
        assert other.get(url).status_code == 404, url
        assert lab.get(url).status_code == 403, url
    for url, data in (
        (f"/en/staff/field/sites/{site.pk}/exhumation", {"status": "located", "on": "2023-01-01"}),
        (f"/en/staff/field/sites/{site.pk}/remains", {"code": "X-1", "recovered_on": "2023-01-01"}),
        (f"/en/staff/field/remains/{remains.pk}/sample", {"barcode": "BC-b-001", "on": "2023-07-03"}),
        (f"/en/staff/field/remains/{remains.pk}/custody", {"subject": f"remains:{remains.pk}"}),
        (f"/en/staff/field/remains/{remains.pk}/profile", {}),
    ):
        assert other.post(url, data).status_code == 404, url
    assert ExhumationStep.objects.count() == 0 and not Remains.objects.filter(code="X-1").exists()
    assert "Field grave by the stream" not in _text(other.get("/en/staff/field/sites/"))


def test_the_pages_speak_russian_and_ukrainian(world: World) -> None:
    _antemortem(world)
    site = _site(world)
    remains = _remains(site)
    field_actions.save_profile(None, remains=remains, values={"tag_number": "АБ-123456"})
    client = _staff(world.a)
    ru = _text(client.get(f"/ru/staff/field/remains/{remains.pk}/"))
    assert "Цепочка хранения" in ru and "Тот же номер жетона: АБ-123456." in ru
    uk = _text(client.get(f"/uk/staff/field/sites/{site.pk}/"))
    assert "Ексгумація" in uk


# --- the family form ------------------------------------------------------------------------------------


def _family_post(org: Organisation, **extra: str) -> dict[str, Any]:
    return {
        "surname": "Коваленко",
        "given_name": "Андрей",
        "sex": "M",
        "enquirer_name": "Коваленко Ольга",
        "relationship": "mother",
        "contact": "+7 900 111 22 33",
        "consent_organisations": [str(org.pk)],
        **extra,
    }


def test_the_family_says_what_would_help_recognise_him(world: World) -> None:
    client = Client()
    page = _text(client.get("/ru/request/new"))
    assert '<details class="recognise">' in page  # collapsed until opened
    bad = client.post(
        "/en/request/new",
        _family_post(world.a.org, am_mark1_kind="tattoo", am_mark1_description="eagle", am_tag="АБ-777")
        | {"form_token": request_form_token(client, "en")},
    )
    assert bad.status_code == 200 and "Say where on the body it is." in _text(bad)
    assert '<details class="recognise" open>' in _text(bad) and 'value="АБ-777"' in _text(bad)
    response = client.post(
        "/en/request/new",
        _family_post(
            world.a.org,
            am_height="181",
            am_build="slim",
            am_eyes="grey",
            am_tag="АБ-777",
            am_call_sign="Kedr",
            am_medical="broken left arm 2015",
            am_mark1_kind="tattoo",
            am_mark1_region="left_arm",
            am_mark1_description="eagle",
        )
        | {"form_token": request_form_token(client, "en")},
    )
    assert response.status_code == 200 and 'id="request-number"' in _text(response)
    claim = Claim.objects.filter(person__names__surname="Коваленко").first()
    person = claim.person if claim else PhysicalProfile.objects.get(tag_number="АБ-777").person
    profile = PhysicalProfile.objects.get(person=person)
    assert (profile.height_min_cm, profile.height_max_cm, profile.build, profile.call_sign) == (
        181,
        181,
        "slim",
        "Kedr",
    )
    assert profile.sources["tag_number"] == "family" and profile.sources["medical"] == "family"
    assert [(m.kind, m.region, m.description, m.source) for m in profile.marks.all()] == [
        ("tattoo", "left_arm", "eagle", "family")
    ]


def test_a_family_form_without_those_details_stores_no_profile(world: World) -> None:
    before = PhysicalProfile.objects.count()
    client = Client()
    response = client.post(
        "/en/request/new", _family_post(world.a.org) | {"form_token": request_form_token(client, "en")}
    )
    assert response.status_code == 200 and 'id="request-number"' in _text(response)
    assert PhysicalProfile.objects.count() == before
