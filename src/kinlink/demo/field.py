"""The seed case's field record, through the field actions, as the caseworker of the tracing group keeps it.

The comrade said the locals buried the bodies near Popasna; the seed case records that grave from his
testimony (:func:`kinlink.demo.seed_case.build_seed_case`). Here the rest of the field work follows:

* the unit's list of the men who did not come back from the withdrawal (five besides the seed case's man),
  imported as a list and tied to the event, each with a case of the tracing group, so that the event has
  six missing persons and the DNA prior of remains from the grave is counted among them, not among every
  missing person of the registry;
* the exhumation, step by step (located, requested, permitted, exhumed), dated and by whom;
* the remains recovered from the grave (the seed case's among them), each with the first link of its
  custody chain, and the transfer to the forensic centre;
* the examiner's post-mortem data on the seed case's remains, and the ante-mortem data the mother gave at
  intake (height, a tattoo on the left forearm, a scar, dental work, the call sign), so that the non-DNA
  comparison ranks him first among the event's missing and explains why; one of the others, much older,
  is excluded by age;
* a repatriation batch of bodies handed over by the other side, imported from its list.

The lab's sample of the seed case's remains is tied to them by the caseworker when the lab has registered
it (:mod:`kinlink.demo.dna`), before the lab uploads the profiles: the screening then reads this context.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

from django.utils import translation

from kinlink.demo.accounts import staff
from kinlink.field.actions import (
    MarkInput,
    import_batch,
    record_custody,
    record_exhumation_step,
    recover_remains,
    save_profile,
)
from kinlink.field.models import CustodyEvent
from kinlink.lib import csvsafe
from kinlink.lib.personlist import PERSON_LIST_COLUMNS
from kinlink.registry.actions import link_event, open_case
from kinlink.registry.models import (
    Event,
    ListRecord,
    Organisation,
    Person,
    Remains,
    Sample,
    Site,
    SourceKind,
)
from kinlink.registry.services.imports import import_list

#: The remains of the seed case's man, recovered from the field grave.
SEED_REMAINS = "R-2023-POP-001"
#: The other remains recovered from the same grave (not yet sampled).
OTHER_GRAVE_REMAINS = ("R-2023-POP-002", "R-2023-POP-003")
#: The unit's list of the men who did not come back from the withdrawal.
SEED_EVENT_LIST = "Список военнослужащих в/ч 12345, не вышедших из района Попасной"
#: (surname, given name, patronymic, birth date, birth place, rank) of the seed case man's comrades.
SEED_EVENT_COMRADES = (
    ("Ковалёв", "Дмитрий", "Сергеевич", "1996-02-11", "Псков", "рядовой"),
    ("Никитин", "Артём", "Олегович", "1999-10-03", "Великие Луки", "рядовой"),
    ("Гусейнов", "Руслан", "Маратович", "1994-05-21", "Остров", "младший сержант"),
    ("Лебедев", "Игорь", "Викторович", "1971-12-08", "Псков", "старший прапорщик"),
    ("Смирнов", "Павел", "Андреевич", "2001-01-30", "Порхов", "рядовой"),
)
#: Where the remains went after the exhumation.
FORENSIC_CENTRE = "Бюро судебно-медицинской экспертизы (Ростов-на-Дону)"
SEARCH_TEAM = "поисковый отряд «Поиск»"
EXAMINER = "судебно-медицинский эксперт Воронина Т. А."
SKELETAL = "скелетированные останки"
#: The repatriation batch, and the bodies in it, as the list that came with them.
DEMO_BATCH = "РП-2024-06"
DEMO_BATCH_ROWS = (
    ("R-2024-RP06-001", "M", "25–35", "АК-771204", "", "остатки формы, часы", SKELETAL, ""),
    ("R-2024-RP06-002", "M", "30–45", "", "военный билет (не читается)", "крестик на шнурке", SKELETAL, ""),
    ("R-2024-RP06-003", "M", "20–30", "", "", "ботинки, ремень", "неполный скелет, без черепа", ""),
    ("R-2024-RP06-004", "", "", "", "", "", "смешанные, не менее 2 человек", ""),
    ("R-2024-RP06-005", "M", "18–25", "АК-903311", "", "", SKELETAL, ""),
)


def seed_event_persons(event: Event, organisation: Organisation) -> list[Person]:
    """The unit's list of the withdrawal's missing, imported; each man tied to the event by the caseworker,
    who opens a case on each to find his family (the grave may hold him too)."""
    caseworker = staff("caseworker")
    rows = [
        {
            "record_id": f"12345-POP-{n:02d}",
            "source": "unit_roster",
            "full_name": f"{surname} {given} {patronymic}",
            "surname": surname,
            "given_name": given,
            "patronymic": patronymic,
            "birth_date": born,
            "birth_place": place,
            "unit": "в/ч 12345",
            "rank": rank,
            "event_date": "2022-03-30",
            "event_place": "Попасная",
        }
        for n, (surname, given, patronymic, born, place, rank) in enumerate(SEED_EVENT_COMRADES, start=1)
    ]
    with tempfile.TemporaryDirectory(prefix="kinlink-demo-") as folder:
        path = Path(folder) / "unit-12345-popasna.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csvsafe.DictWriter(handle, fieldnames=list(PERSON_LIST_COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
        source_id = import_list(path, SourceKind.UNIT_NOTICE, SEED_EVENT_LIST).source_id
    persons = [
        r.person
        for r in ListRecord.objects.filter(source_id=source_id).select_related("person").order_by("pk")
    ]
    for person in persons:
        link_event(caseworker, person, event, label="список в/ч 12345: не вышли из района Попасной")
        open_case(
            caseworker,
            person,
            organisation,
            reason="в списке в/ч 12345 не вышедших из района Попасной; ищем семью",
        )
    return persons


def seed_field_work(site: Site, person: Person) -> Remains:
    """The grave's exhumation, the remains recovered from it and their way to the forensic centre, the
    examiner's findings and the mother's memories. Returns the seed case's remains."""
    with translation.override("ru"):
        return _seed_field_work(site, person)


def _seed_field_work(site: Site, person: Person) -> Remains:
    caseworker = staff("caseworker")
    for status, on, by, note in (
        (
            Site.Exhumation.LOCATED,
            dt.date(2023, 4, 18),
            SEARCH_TEAM,
            "Место указали местные жители; насыпь у лесополосы, около 2 км северо-западнее Попасной.",
        ),
        (
            Site.Exhumation.REQUESTED,
            dt.date(2023, 5, 15),
            "Шевчук Н. И. (мать), через поисковое объединение «Поиск»",
            "Заявление об эксгумации и опознании.",
        ),
        (Site.Exhumation.PERMITTED, dt.date(2023, 7, 20), "военная прокуратура гарнизона", ""),
        (
            Site.Exhumation.EXHUMED,
            dt.date(2023, 8, 17),
            f"{SEARCH_TEAM}, {EXAMINER}",
            "Подняты останки трёх человек; остальных в захоронении не нашли.",
        ),
    ):
        record_exhumation_step(caseworker, site, status=status, on=on, by=by, note=note)

    recovered = dt.date(2023, 8, 17)
    remains = [
        recover_remains(
            caseworker,
            code=code,
            site=site,
            recovered_on=recovered,
            by=SEARCH_TEAM,
            sex_estimate=sex,
            age_estimate=age,
            condition=SKELETAL,
        )
        for code, sex, age in (
            (SEED_REMAINS, "M", "20–30"),
            (OTHER_GRAVE_REMAINS[0], "M", "25–40"),
            (OTHER_GRAVE_REMAINS[1], "U", ""),
        )
    ]
    for each in remains:
        record_custody(
            caseworker,
            step=CustodyEvent.Step.TRANSFER,
            on=dt.date(2023, 8, 22),
            remains=each,
            from_party=SEARCH_TEAM,
            to_party=FORENSIC_CENTRE,
            by="Гринёв И. А., водитель поискового отряда",
            note="Акт приёма-передачи № 23/08-14.",
        )
    seed = remains[0]
    examiner = "заключение судебно-медицинского эксперта № 1187"
    save_profile(
        caseworker,
        remains=seed,
        values={
            "sex": "M",
            "age_min": 20,
            "age_max": 30,
            "height_min_cm": 174,
            "height_max_cm": 182,
            "dental": "пломбы на зубах 36 и 46; зубы 18 и 28 отсутствуют",
            "clothing_effects": "остатки камуфляжной формы; нашивка с позывным «Псков»; часы «Восток»",
            "call_sign": "",
            "documents_found": "",
        },
        sources={
            "sex": examiner,
            "age_min": examiner,
            "height_min_cm": examiner,
            "dental": examiner,
            "clothing_effects": examiner,
        },
        marks=[
            MarkInput(
                "tattoo",
                "left_arm",
                "на коже левого предплечья фрагмент татуировки: голова волка",
                examiner,
            )
        ],
    )
    mother = "мать (Шевчук Н. И.), при обращении"
    save_profile(
        caseworker,
        person=person,
        values={
            "sex": "M",
            "height_min_cm": 178,
            "height_max_cm": 178,
            "build": "slim",
            "hair": "тёмно-русые",
            "eyes": "серые",
            "dental": "в 2019 году ставил пломбы на 36 и 46",
            "call_sign": "Псков",
            "clothing_effects": "часы «Восток», подарок отца",
        },
        sources={
            key: mother
            for key in (
                "sex",
                "height_min_cm",
                "build",
                "hair",
                "eyes",
                "dental",
                "call_sign",
                "clothing_effects",
            )
        },
        marks=[
            MarkInput("tattoo", "left_arm", "волк и надпись «60 RUS» на левом предплечье", mother),
            MarkInput("scar", "abdomen", "шрам после удаления аппендикса", mother),
        ],
    )
    return seed


def lab_receipt(sample: Sample, lab_name: str) -> None:
    """The forensic centre sends the sample it took to the lab: the last link before the profile."""
    record_custody(
        staff("caseworker"),
        step=CustodyEvent.Step.LAB,
        on=dt.date(2023, 9, 12),
        sample=sample,
        from_party=FORENSIC_CENTRE,
        to_party=lab_name,
        by="курьерская служба",
        note="Пломба не нарушена.",
    )


def repatriation_batch(event: Event | None) -> None:
    """Bodies handed over by the other side, with the list that came with them."""
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(["code", "sex", "age", "tag_number", "documents", "effects", "condition", "note"])
    writer.writerows(DEMO_BATCH_ROWS)
    with translation.override("ru"):
        import_batch(
            staff("caseworker"),
            code=DEMO_BATCH,
            received_on=dt.date(2024, 6, 28),
            csv_text=out.getvalue(),
            filename="rp-2024-06.csv",
            handed_over_by="представители украинской стороны",
            received_by=FORENSIC_CENTRE,
            event=event,
        )
