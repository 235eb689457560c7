"""Huilianyi (汇联易) expense extractor: ``expenseReport`` and its ``approvalHistory``.

Token by client credentials, ``expenseReport/v2`` paged in id order over a modification-time
window with overlap, deletes by status 1010 (upsert + tombstone), approval history embedded in
the same call (``withApprovalHistory``) or from ``expenseReport/detail`` where it is not.
Details in ``pages`` and ``client``.
"""

from __future__ import annotations

from extractors.expense.pages import history_pages, report_pages
from extractors.expense.specs import APPROVAL_HISTORY, EXPENSE_REPORT
from extractors.landing import ExtractContext, resource
from extractors.records import EntitySpec

ENTITIES: dict[str, EntitySpec] = {
    EXPENSE_REPORT.name: EXPENSE_REPORT,
    APPROVAL_HISTORY.name: APPROVAL_HISTORY,
}
_PAGES = {EXPENSE_REPORT.name: report_pages, APPROVAL_HISTORY.name: history_pages}


def resources(ctx: ExtractContext, names: list[str]) -> list:
    """One dlt resource per selected entity, each with its own cursor."""
    return [resource(ctx, ENTITIES[n], _PAGES[n](ctx)) for n in names]
