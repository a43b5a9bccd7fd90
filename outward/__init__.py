"""fedcat outward: the union catalogue in other systems' formats and protocols.

Pure logic over the payloads the indexer stores (`indexer.payloads.WorkPayload`): exports
(RIS, BibTeX, CSL-JSON, MARCXML with holdings), Dublin Core and MODS, the CQL of SRU and the
OAI-PMH provider's rules. It reads the indexer's types and never imports the web app; the
web app's blueprints (search_ui.exports, search_ui.sru, search_ui.oai) serve it.
"""
