"""The partners' health for staff at /staff/health: per partner its records, recent runs,
metadata quality and flags (harvester.health, the same report as `fedcat health`).

Any staff member or operator may read it: it says how each partner's harvest goes, nothing of
patrons or requests. What partners sent (refusal reasons quote their records) is shown as
text, escaped like all partner data.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from harvester.checkpoints import Checkpoints
from harvester.health import PartnerHealth, partner_health
from search_ui.auth import require
from search_ui.extension import fedcat

blueprint = Blueprint("staff_health", __name__, url_prefix="/staff")


def partner_health_now() -> list[PartnerHealth]:
    """Every partner's health from the run history in the data directory, read now."""
    settings = fedcat().settings
    checkpoints = Checkpoints(settings.state_db, reports_dir=settings.data_dir / "reports")
    try:
        return partner_health(
            checkpoints,
            [p.id for p in fedcat().partners],
            stale_days=settings.stale_days,
            quality_drop=settings.quality_drop,
            volume_change=settings.volume_change,
        )
    finally:
        checkpoints.close()


@blueprint.get("/health")
@require("staff", "operator")
def health() -> str:
    rows = partner_health_now()
    names = {p.id: p.name for p in fedcat().partners}
    flagged = sum(1 for row in rows if row.flags)
    return render_template(
        "staff/health.html", rows=rows, names=names, flagged=flagged, partners=fedcat().partners
    )
