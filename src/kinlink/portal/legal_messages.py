# ruff: noqa: E501  (the texts must equal the rules file word for word)
"""Legal rule titles and jurisdiction names from ``registry/data/legal_rules.json``, marked for translation.

The rules are data, so ``makemessages`` cannot see their texts; this list puts them in the catalogues.
A test checks that it names every title in the rules file.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

LEGAL_TEXTS = (
    gettext_noop(
        "Russia: participants of hostilities and residents of affected territories (Federal Laws 120-FZ and 118-FZ of 2023)"
    ),
    gettext_noop(
        "Certificate of the circumstances of disappearance is due from the authorities (Government Decree 1421 of 2023)"
    ),
    gettext_noop("A court may recognise him as missing (6 months without news)"),
    gettext_noop("A court may declare him dead (3 months after recognition as missing)"),
    gettext_noop("Russia: general rules (Civil Code arts. 42 and 45)"),
    gettext_noop("A court may recognise him as missing (Civil Code art. 42: 1 year without news)"),
    gettext_noop("A court may declare him dead (Civil Code art. 45: 5 years without news)"),
    gettext_noop(
        "Missing in military action: a court may declare him dead 2 years after hostilities end (art. 45)"
    ),
    gettext_noop("Ukraine (Civil Code arts. 43 and 46)"),
    gettext_noop("A court may recognise him as missing (Civil Code art. 43: 1 year without news)"),
    gettext_noop("A court may declare him dead (Civil Code art. 46: 3 years without news)"),
    gettext_noop(
        "Missing in connection with hostilities: a court may declare him dead 2 years after they end (art. 46)"
    ),
    gettext_noop(
        "Identified by DNA: the death can be registered at the civil registry office (ZAGS) on the basis of the medical certificate of death or a court decision establishing the fact of death (Federal Law 143-FZ “On acts of civil status”, arts. 64-67)"
    ),
    gettext_noop(
        "Identified by DNA: the death can be registered at the civil registry office on the basis of the medical certificate of death or a court decision establishing the fact of death (Law of Ukraine “On state registration of acts of civil status”)"
    ),
)
