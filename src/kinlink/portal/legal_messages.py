# ruff: noqa: E501  (the texts must equal the rules file word for word)
"""Texts of ``registry/data/legal_rules.json`` marked for translation: jurisdiction names, rule titles
(caseworkers), plain words (families), what a step waits for, and the inquiries' reply rules.

The rules are data, so ``makemessages`` cannot see their texts; these lists put them in the catalogues. A
test checks that they name every such text in the rules file. The plain words that speak of the person have
one form per grammatical gender (``registry.services.grammar``).
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, pgettext_lazy

LEGAL_TEXTS = (
    gettext_noop(
        "Russia: participants of hostilities and residents of affected territories (Federal Laws 120-FZ and 118-FZ of 2023)"
    ),
    gettext_noop("Russia: general rules (Civil Code arts. 42 and 45)"),
    gettext_noop("Ukraine (Civil Code arts. 43 and 46)"),
    gettext_noop(
        "Ask the unit (or the body where the person served) for the certificate of the circumstances of disappearance; it is issued within 30 days"
    ),
    gettext_noop("Certificate of the circumstances of disappearance is due (30 days after the request)"),
    gettext_noop("Recognition as missing: 6 months without news (participants, 120-FZ)"),
    gettext_noop(
        "Recognition as missing under the general rule before 120-FZ took effect: 1 year without news"
    ),
    gettext_noop(
        "Declaration of death: 3 months after the recognition as missing took effect (participants, 120-FZ)"
    ),
    gettext_noop(
        "Declaration of death: missing in circumstances threatening death, 6 months without news (Civil Code art. 45 para. 1, for participants from 15 May 2023)"
    ),
    gettext_noop(
        "The unit reported the death: the commander issues the certificate of death (Government Decree 1421) where no medical certificate of death can be issued"
    ),
    gettext_noop(
        "The death can be registered at the civil registry office on the basis of the command's certificate of death"
    ),
    gettext_noop(
        "The court's decision takes effect when the one-month appeal period has passed without an appeal"
    ),
    gettext_noop(
        "Identified by DNA: the death can be registered at the civil registry office on the basis of the medical certificate of death"
    ),
    gettext_noop(
        "Declared dead: the court decision in force is the basis for registering the death at the civil registry office"
    ),
    gettext_noop("State insurance of servicemen: the beneficiaries can claim the insurance sum"),
    gettext_noop("One-off allowance to the family of a serviceman who died in service"),
    gettext_noop(
        "One-off payment of 5 million roubles in equal shares to the family (Presidential Decree 98)"
    ),
    gettext_noop("Recognition as missing: 1 year without news (Civil Code art. 42)"),
    gettext_noop(
        "Declaration of death: missing in circumstances threatening death, 6 months without news (Civil Code art. 45 para. 1)"
    ),
    gettext_noop(
        "Declaration of death: a serviceman missing in connection with military action, not earlier than 2 years after the end of hostilities (Civil Code art. 45 para. 2)"
    ),
    gettext_noop("Declaration of death: 5 years without news (Civil Code art. 45 para. 1)"),
    gettext_noop("Recognition as missing: 1 year without news (Civil Code of Ukraine art. 43)"),
    gettext_noop(
        "Declaration of death: missing in circumstances threatening death, 6 months without news (Civil Code of Ukraine art. 46)"
    ),
    gettext_noop(
        "Declaration of death: missing in connection with hostilities, 2 years after they end (Civil Code of Ukraine art. 46)"
    ),
    gettext_noop("Declaration of death: 3 years without news (Civil Code of Ukraine art. 46)"),
    gettext_noop(
        "Ask the military unit for a certificate of the circumstances of the disappearance; it is evidence for the court."
    ),
    gettext_noop("The certificate of the circumstances of the disappearance is due by this day."),
    gettext_noop(
        "The military unit has reported the death: ask its commander for the certificate of death, which the civil registry office needs."
    ),
    gettext_noop(
        "The death can be registered at the civil registry office (ZAGS), which issues the death certificate."
    ),
    gettext_noop("The court's decision takes effect on this day if nobody appeals against it."),
    gettext_noop("The family can apply for the state insurance payment."),
    gettext_noop("The family can apply for the one-off payment."),
    gettext_noop("after the recognition as missing takes effect"),
    gettext_noop("after the end of hostilities"),
    gettext_noop("after the death is registered"),
    gettext_noop(
        "A written appeal is answered within 30 days of its registration, extendable once by 30 days with notice to the applicant"
    ),
    gettext_noop("The certificate of the circumstances of disappearance is due within 30 days"),
    gettext_noop("No statutory reply deadline"),
)

#: Plain words that speak of the person: translated through ``grammar.gendered``.
GENDERED_TEXTS = (
    gettext_noop("From this day you can ask a court to recognise him as missing."),
    gettext_noop("From this day you can ask a court to declare him dead."),
)

_GENDERED_FORMS = (
    pgettext_lazy("male", "From this day you can ask a court to recognise him as missing."),
    pgettext_lazy("female", "From this day you can ask a court to recognise him as missing."),
    pgettext_lazy("unknown", "From this day you can ask a court to recognise him as missing."),
    pgettext_lazy("male", "From this day you can ask a court to declare him dead."),
    pgettext_lazy("female", "From this day you can ask a court to declare him dead."),
    pgettext_lazy("unknown", "From this day you can ask a court to declare him dead."),
)
