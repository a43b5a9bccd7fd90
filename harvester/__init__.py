"""The OAI-PMH harvester: partner feeds in, batches of records out to a sink.

Entry points: `harvester.runner.harvest` (many partners, concurrent, resumable) and
`harvester.checkpoints.Checkpoints` (state and `status()`). The harvester knows nothing of the
indexer; the CLI passes the catalog in as the sink.
"""

from harvester.errors import (
    BadResumptionToken,
    HarvestError,
    MalformedResponse,
    OAIProtocolError,
    RefusedResponse,
    TransportError,
    UnknownSet,
)
from harvester.sink import HarvestedRecord, RecordSink, Rejection, SinkResult

__all__ = [
    "BadResumptionToken",
    "HarvestError",
    "HarvestedRecord",
    "MalformedResponse",
    "OAIProtocolError",
    "RecordSink",
    "RefusedResponse",
    "Rejection",
    "SinkResult",
    "TransportError",
    "UnknownSet",
]
