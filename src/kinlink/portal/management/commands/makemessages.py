"""``makemessages`` that also collects ``N_("...")``: the fate engine's explanation templates."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
