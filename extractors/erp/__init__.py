"""Kingdee K/3 Cloud (金蝶云星空) extractor: every form in ``ENTITIES`` lands under
``landing/erp/<FormId>/``.

* ``client`` — the WebAPI client: ``AuthService.ValidateUser`` cookie session (logged in again
  when K/3 Cloud says "会话信息已丢失" inside HTTP 200), ``ExecuteBillQuery`` with explicit
  FieldKeys, keyset paging on the record key, wrapped errors raised with their message.
* ``specs`` — the forms, their FieldKeys and landing types.
* ``sync`` — per form: incremental by ``FModifyDate`` with an overlap, then a key sweep over
  a creation window that tombstones documents which vanished (K/3 Cloud has no delete log).

Configuration (``extractors.settings``): ``ZHONGTAI_ERP_BASE_URL`` (ends in ``/K3Cloud``),
``ZHONGTAI_ERP_ACCT_ID`` / ``USERNAME`` / ``PASSWORD``, timeouts, retries, overlap and sweep
window; ``ZHONGTAI_ERP_PAGE_SIZE`` (≤ 2000) when passed in the settings.
"""

from __future__ import annotations

from extractors.erp.client import MAX_LIMIT, KingdeeClient
from extractors.erp.specs import ENTITIES
from extractors.erp.sync import FormSync
from extractors.landing import ExtractContext, resource

__all__ = ["ENTITIES", "resources"]


class _SharedSession:
    """One K/3 Cloud session for a run's forms (their pages are produced one at a time by
    dlt), logged out when the last form is done."""

    def __init__(self, ctx: ExtractContext, forms: int):
        self.client = KingdeeClient(ctx.settings)
        self.open = forms

    def done(self) -> None:
        self.open -= 1
        if self.open == 0:
            self.client.close()


def _page_size(ctx: ExtractContext) -> int:
    raw = ctx.settings.values.get("ZHONGTAI_ERP_PAGE_SIZE") or MAX_LIMIT
    return max(1, min(int(raw), MAX_LIMIT))


def resources(ctx: ExtractContext, names: list[str]) -> list:
    """dlt resources landing the forms ``names`` (keys of ``ENTITIES``)."""
    shared = _SharedSession(ctx, len(names))
    out = []
    for name in names:
        sync = FormSync(ctx, ENTITIES[name], shared.client, _page_size(ctx))

        def pages(cursor_in, cursor_out, sync=sync):
            try:
                yield from sync.pages(cursor_in, cursor_out)
            finally:
                shared.done()

        out.append(resource(ctx, sync.spec, pages))
    return out
