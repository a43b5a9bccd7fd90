"""ISO 18626 (Interlibrary Loan Transactions) version 1.2: messages, codec and schema.

Pure protocol: this package imports nothing from the rest of fedcat, so the transport and the
tests can use it alike. See docs/iso18626.md.
"""
