"""Mail to the operator (FEDCAT_OPERATOR_EMAIL) when a harvest leaves a partner newly
flagged by `fedcat health`: which partner, which flag and why, and what to run.

The CLI wires the layers: the flags come from harvester.health, what is new from
harvester.alerts, the mail goes through ill.notify's SMTP code (FEDCAT_SMTP_*). One mail per
harvest lists every new flag; a mail that could not be sent is tried again after the next
harvest, with whatever is new by then.
"""

from __future__ import annotations

import smtplib

from config.settings import Settings
from harvester.alerts import AlertLog
from harvester.health import PartnerHealth
from ill.notify import SmtpSettings, send_mail


def alert_operator(settings: Settings, rows: list[PartnerHealth]) -> str | None:
    """Record the flags standing now and mail the new ones; a line for the terminal, or None
    when there was nothing new to tell."""
    log = AlertLog(settings.state_db)
    try:
        log.update(rows)
        due = log.due()
        if not due:
            return None
        if not settings.operator_email:  # no alerts asked for: the flags are in fedcat health
            return None
        if not settings.smtp_host:
            return f"{len(due)} new health flags; no alert mail (FEDCAT_SMTP_HOST is not set)"
        smtp = SmtpSettings(settings.smtp_host, settings.smtp_port, settings.smtp_from)
        try:
            send_mail(smtp, settings.operator_email, _subject(due), _body(due))
        except (smtplib.SMTPException, OSError) as exc:
            return f"alert mail not sent ({type(exc).__name__}); it goes after the next harvest"
        log.sent(due)
        return f"alert mail sent to the operator: {len(due)} new health flags"
    finally:
        log.close()


def _subject(due: list[tuple[str, str]]) -> str:
    partners = sorted({partner_id for partner_id, _ in due})
    return f"[fedcat] partner health: {', '.join(partners)} flagged"


def _body(due: list[tuple[str, str]]) -> str:
    lines = ["A harvest left these partners newly flagged:", ""]
    lines += [f"  {partner_id}: {flag}" for partner_id, flag in due]
    lines += ["", "See fedcat health (or /staff/health) for each partner's runs and quality."]
    return "\n".join(lines) + "\n"
