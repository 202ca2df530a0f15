"""The demo's organisations and staff accounts (accounts are not domain transitions: made here directly)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from kinlink.registry.models import Membership, Organisation, Role


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: str
    username: str
    password: str
    organisation: str
    note: str = ""


#: (role, username, organisation slug) of the demo's staff.
STAFF = (
    (Role.CASEWORKER, "caseworker", "poisk"),
    (Role.SUPERVISOR, "supervisor", "poisk"),
    (Role.CASEWORKER, "caseworker2", "nadezhda"),
    (Role.LAB_ANALYST, "lab", "central-lab"),
    (Role.ADMINISTRATOR, "admin", "poisk"),
)
#: The labs each demo organisation works with (``Organisation.labs``).
ORGANISATION_LABS = {"poisk": ("central-lab",), "nadezhda": ("central-lab",)}


def organisations() -> dict[str, Organisation]:
    specs = [
        ("poisk", "Поисковая группа «Поиск»", "RU", False),
        ("nadezhda", "Благодійний фонд «Надія»", "UA", False),
        ("central-lab", "Центральная лаборатория судебно-генетической экспертизы", "", True),
    ]
    orgs = {
        slug: Organisation.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "country": country, "is_lab": is_lab, **ISSUER_DETAILS[slug]},
        )[0]
        for slug, name, country, is_lab in specs
    }
    for slug, labs in ORGANISATION_LABS.items():
        orgs[slug].labs.add(*(orgs[lab] for lab in labs))
    return orgs


#: The issuer's details every document of the organisation's cases prints (invented, for the demo only).
ISSUER_DETAILS: dict[str, dict[str, str]] = {
    "poisk": {
        "address": "305000, г. Курск, ул. Ленина, д. 12, офис 4",
        "registration": "ОГРН 1024600000012, ИНН 4632000012",
        "signatory_name": "Смирнова Елена Викторовна",
        "signatory_position": "Руководитель группы розыска",
        "phone": "+7 4712 00-00-12",
        "email": "info@poisk.example.org",
    },
    "nadezhda": {
        "address": "61000, м. Харків, вул. Сумська, буд. 25, офіс 7",
        "registration": "Код ЄДРПОУ 40000025",
        "signatory_name": "Коваленко Олена Миколаївна",
        "signatory_position": "Голова правління",
        "phone": "+380 57 000-00-25",
        "email": "info@nadezhda.example.org",
    },
    "central-lab": {
        "address": "125000, г. Москва, ул. Примерная, д. 3",
        "registration": "Аттестат аккредитации RA.RU.000001",
        "signatory_name": "Орлов Дмитрий Сергеевич",
        "signatory_position": "Заведующий лабораторией",
        "phone": "+7 495 000-00-03",
        "email": "lab@central-lab.example.org",
    },
}


def create_demo_accounts(orgs: dict[str, Organisation]) -> list[DemoLogin]:
    """One staff account per role, each with a TOTP authenticator; passwords are for the local demo only.

    Staff sign in with the password and then a six-digit code: ``kinlink totp USERNAME`` prints the
    current one, or add the printed secret (or otpauth URI) to any authenticator app, or run
    ``oathtool --totp -b SECRET``.
    """
    from base64 import b32encode

    from django_otp.plugins.otp_totp.models import TOTPDevice

    user_model = get_user_model()
    logins: list[DemoLogin] = []
    for role, username, org_slug in STAFF:
        password = f"demo-{username}-2026"
        user, created = user_model.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
        # The administrator is an organisation's administrator, not a superuser: the admin site with
        # view rights only, and the contacts of the requests the family consented to that organisation.
        user.is_staff = role == Role.ADMINISTRATOR
        user.is_superuser = False
        user.save()
        if role == Role.ADMINISTRATOR:
            user.user_permissions.set(admin_view_permissions())
        Membership.objects.get_or_create(user=user, organisation=orgs[org_slug], defaults={"role": role})
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="demo authenticator", confirmed=True)
        secret = b32encode(device.bin_key).decode("ascii")
        note = f"TOTP secret {secret}  {device.config_url}"
        logins.append(DemoLogin(str(role), username, password, orgs[org_slug].name, note))
    return logins


def admin_view_permissions() -> list[Any]:
    """The "view" permissions on kinlink's models (the admin is read-only for registry data anyway)."""
    from django.contrib.auth.models import Permission

    return list(
        Permission.objects.filter(
            codename__startswith="view_",
            content_type__app_label__in=(
                "registry",
                "identification",
                "documents",
                "matching",
                "field",
                "api",
            ),
        )
    )


def staff(username: str) -> Any:
    """A demo staff member, by username."""
    return get_user_model().objects.get(username=username)
