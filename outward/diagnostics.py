"""SRU diagnostics: every refusal of /sru, with its number from the SRU diagnostics list."""

from __future__ import annotations

DIAGNOSTIC_PREFIX = "info:srw/diagnostic/1/"
#: The diagnostics fedcat sends, and their messages (from the SRU diagnostics list).
MESSAGES = {
    1: "General system error",
    2: "System temporarily unavailable",
    4: "Unsupported operation",
    5: "Unsupported version",
    6: "Unsupported parameter value",
    7: "Mandatory parameter not supplied",
    8: "Unsupported parameter",
    10: "Query syntax error",
    16: "Unsupported index",
    19: "Unsupported relation",
    20: "Unsupported relation modifier",
    23: "Too many characters in term",
    27: "Empty term unsupported",
    28: "Masking character not supported",
    31: "Anchoring character not supported",
    37: "Unsupported boolean operator",
    38: "Too many boolean operators in query",
    46: "Unsupported boolean modifier",
    48: "Query feature unsupported",
    60: "Result set not created: too many matching records",
    61: "First record position out of range",
    66: "Unknown schema for retrieval",
    71: "Unsupported record packing",
    84: "Too many sort keys to sort",
    88: "Unsupported path for sort",
    90: "Unsupported direction",
    110: "Stylesheets not supported",
}


class SruDiagnostic(Exception):
    """A request /sru refuses; answered as the diagnostic `code` with `details`."""

    def __init__(self, code: int, details: str = "") -> None:
        super().__init__(f"{MESSAGES.get(code, 'Error')}: {details}" if details else MESSAGES[code])
        self.code = code
        self.details = details

    @property
    def uri(self) -> str:
        return f"{DIAGNOSTIC_PREFIX}{self.code}"

    @property
    def message(self) -> str:
        return MESSAGES.get(self.code, "Error")
