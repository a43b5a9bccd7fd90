"""Partners that run their own ILL system, taking part over ISO 18626 (the `iso18626` package).

`relay` turns changes of a request into messages for them, `inbound` turns their messages into
actions of the request flow, `sender` sends the queue in order with retries, `store` is the
queue and the message log, and `wiring` builds the service with all of it from the registry.
"""
