"""How browsers, search engines and citation tools find fedcat: an OpenSearch description
(``/opensearch.xml``, linked from every page) and schema.org JSON-LD on record pages."""

from __future__ import annotations

from flask import Blueprint, Response, request
from lxml import etree

from indexer.payloads import WorkPayload
from outward.schema_org import work_json_ld
from outward.xml import sub

OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"

blueprint = Blueprint("discovery", __name__)


@blueprint.get("/opensearch.xml")
def opensearch() -> Response:
    root_url = request.url_root
    o = f"{{{OPENSEARCH_NS}}}"
    root = etree.Element(f"{o}OpenSearchDescription", nsmap={None: OPENSEARCH_NS})
    sub(root, f"{o}ShortName", "fedcat")
    sub(root, f"{o}Description", "Search every partner library of the union catalogue at once")
    sub(root, f"{o}InputEncoding", "UTF-8")
    sub(root, f"{o}Url", type="text/html", template=f"{root_url}?q={{searchTerms}}")
    sub(
        root,
        f"{o}Url",
        type="application/json",
        template=f"{root_url}api/v1/search?q={{searchTerms}}",
    )
    sub(
        root,
        f"{o}Url",
        type="application/x-research-info-systems",
        template=f"{root_url}export/ris?q={{searchTerms}}",
    )
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(body, content_type=f"{OPENSEARCH_TYPE}; charset=utf-8")


@blueprint.app_template_filter("json_ld")
def json_ld(payload: WorkPayload) -> dict:
    """The record page's schema.org description of its work (rendered with |tojson)."""
    return work_json_ld(payload, request.base_url)
