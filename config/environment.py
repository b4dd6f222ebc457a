"""Environment variables the configuration names (a page token, the webhook URL, the SMTP password).

Each part that reads one declares it once, as a :class:`collectors.base.NeededVariable` (there
because collectors must not import config/): the Facebook collector in collectors/facebook_options.py,
the alert channels here. The part reads its value through
:meth:`NeededVariable.resolve`, and ``Config.unset_variables`` (what `schedule` warns about at its
start and `status` lists) asks the same method, so the two cannot disagree about what counts as unset.
Messages name a variable through ``NeededVariable.shown``: a value of a `*_env` key that does not look
like a variable name (it may be the secret itself) is never shown, its key is named instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.base import NeededVariable

# -- the alert channels (ops/alerts.py delivers through these) ------------------------------------


def webhook_variable(alerts: Mapping[str, Any]) -> NeededVariable | None:
    """The variable named by webhook_url_env, with webhook_url beside it as the fallback; None when
    webhook_url_env is not set (webhook_url alone needs no variable)."""
    name = alerts.get("webhook_url_env")
    if not name:
        return None
    fallback = alerts.get("webhook_url")
    return NeededVariable(
        str(name),
        "the webhook alerts (webhook_url_env)",
        fallback=str(fallback) if fallback else None,
        key="[alerts] webhook_url_env",
    )


def smtp_password_variable(alerts: Mapping[str, Any]) -> NeededVariable | None:
    """The password of smtp_user, from the variable named by smtp_password_env (sent as it is, empty
    too); None without smtp_user (no login)."""
    if not alerts.get("smtp_user"):
        return None
    return NeededVariable(
        str(alerts.get("smtp_password_env") or ""),
        "the e-mail alerts (smtp_password_env, the password of smtp_user)",
        verbatim=True,
        unnamed="smtp_user is set but smtp_password_env is not",
        key="[alerts] smtp_password_env",
    )


def alert_channels(alerts: Mapping[str, Any]) -> list[str]:
    """The channels the [alerts] table configures, in delivery order."""
    found = []
    if alerts.get("webhook_url") or alerts.get("webhook_url_env"):
        found.append("webhook")
    if alerts.get("smtp_host") and alerts.get("mail_to"):
        found.append("email")
    return found


# channel -> the variables its delivery reads
CHANNEL_VARIABLES = {"webhook": webhook_variable, "email": smtp_password_variable}


def alert_variables(alerts: Mapping[str, Any]) -> list[NeededVariable]:
    """The variables the configured alert channels read, in delivery order."""
    found = (CHANNEL_VARIABLES[channel](alerts) for channel in alert_channels(alerts))
    return [variable for variable in found if variable is not None]
