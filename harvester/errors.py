"""The harvester's exceptions: one hierarchy, each raised with the partner that caused it."""

from __future__ import annotations


class HarvestError(Exception):
    """A partner could not be harvested (or not completely); the message says why."""

    def __init__(self, partner_id: str, message: str):
        super().__init__(f"{partner_id}: {message}")
        self.partner_id = partner_id
        self.message = message


class TransportError(HarvestError):
    """The partner's server did not answer usefully over HTTP, even after retries."""


class MalformedResponse(HarvestError):
    """The partner sent XML that could not be read (or salvaged)."""


class RefusedResponse(MalformedResponse):
    """The partner sent what is refused on sight (a DTD or entities, a page over the size
    bound): asking again would not help, so it is neither retried nor salvaged."""


class UnknownSet(HarvestError):
    """The partner's configured set is not among the sets its ListSets offers."""

    def __init__(self, partner_id: str, set_spec: str, offered: list[str]):
        if offered:
            shown = ", ".join(offered[:20]) + (", ..." if len(offered) > 20 else "")
            why = f"ListSets offers {len(offered)}: {shown}"
        else:
            why = "the repository has no sets"
        super().__init__(partner_id, f"configured set {set_spec!r} is not offered ({why})")
        self.set_spec = set_spec
        self.offered = offered


class OAIProtocolError(HarvestError):
    """The partner answered with an OAI-PMH <error>, e.g. cannotDisseminateFormat."""

    def __init__(self, partner_id: str, code: str, message: str):
        super().__init__(partner_id, f"OAI-PMH error {code}: {message}")
        self.code = code


class BadResumptionToken(OAIProtocolError):
    """The resumption token expired or was rejected: the list must be asked for again."""


class RemovalHeld(HarvestError):
    """A complete full harvest would remove more of the partner's records than allowed: none
    were removed, and the run waits for the operator's confirmation (or a fixed feed)."""

    def __init__(self, partner_id: str, removal: dict):
        share, limit = removal["share_percent"], removal["limit_percent"]
        sample = ", ".join(removal["sample"])
        if removal["count"] > len(removal["sample"]):
            sample += ", ..."
        super().__init__(
            partner_id,
            f"held a removal of {removal['count']} of {removal['held']} records ({share:g}%, "
            f"more than the {limit:g}% allowed), e.g. {sample}; nothing was removed. If the "
            f"partner really dropped them, confirm with: fedcat harvest --allow-removal "
            f"{partner_id}",
        )
        self.removal = removal


class Interrupted(HarvestError):
    """The operator (or the service manager) asked the harvest to stop: the batch in hand was
    applied and checkpointed, and the partner's run resumes at the next harvest."""

    def __init__(self, partner_id: str, reason: str):
        super().__init__(partner_id, f"interrupted by {reason}; the next harvest resumes it")
        self.reason = reason
