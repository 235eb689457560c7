"""Weaver e-cology 9 (泛微 E9) OA extractor: workflow requests, approval logs, operator rows,
form main tables and the HRM directory (``extractors.oa.extract`` says how each is read)."""

from __future__ import annotations

from extractors.landing import ExtractContext, resource
from extractors.oa.extract import HRM_DEPARTMENT, HRM_RESOURCE, OaRun, page_functions
from extractors.oa.forms import FORM_SPECS
from extractors.oa.specs import (
    WORKFLOW_REQUEST_LOGS,
    WORKFLOW_REQUEST_OPERATORS,
    WORKFLOW_REQUESTS,
)
from extractors.records import EntitySpec

ENTITIES: dict[str, EntitySpec] = {
    s.name: s
    for s in (
        WORKFLOW_REQUESTS,
        WORKFLOW_REQUEST_LOGS,
        WORKFLOW_REQUEST_OPERATORS,
        *FORM_SPECS.values(),
        HRM_RESOURCE,
        HRM_DEPARTMENT,
    )
}


def resources(ctx: ExtractContext, names: list[str]) -> list:
    """dlt resources landing ``names``; they share one login and one pool of worker threads."""
    run = OaRun(ctx, names)
    pages = page_functions(run)

    def finishing(fn):
        def wrapped(cursor_in: dict, cursor_out: dict):
            try:
                yield from fn(cursor_in, cursor_out)
            finally:
                run.done()

        return wrapped

    return [resource(ctx, ENTITIES[n], finishing(pages[n])) for n in names]
