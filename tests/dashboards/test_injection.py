"""SQL-injection strings in every text filter of the archive, billing, AR aging and
reconciliation pages: no exception, no extra rows (the text is matched literally, LIKE
wildcards included), and the serving file is byte-for-byte unchanged."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from tests.dashboards.conftest import errors, open_page

pytestmark = pytest.mark.xdist_group("portal")

PAYLOADS = (
    "x' or 1=1 --",
    "%' union select * from marts.dim_user_access --",
    "'; drop table marts.fct_contracts; --",
    "\\' or ''='",
    "%",
    "_",
    "') or true or ('",
    '" or ""="',
    "1; attach '/tmp/evil.duckdb' as evil; --",
)

# page, widget key, a metric that counts or sums the page's rows, the table to count
TEXT_FILTERS = (
    ("contracts", "c_number", "合同数"),
    ("contracts", "c_name", "合同数"),
    ("contracts", "c_customer", "合同数"),
    ("billing", "b_customer", "已发货未开票"),
    ("billing", "b_contract", "已开票未收款"),
    ("ar_aging", "ar_customer", "应收余额"),
    ("reconciliation", "r_text", "未解决问题"),
)
ZERO = {
    "合同数": "0",
    "已发货未开票": "¥0.0万",
    "已开票未收款": "¥0.0万",
    "应收余额": "¥0.0万",
    "未解决问题": "0",
}


def literal_issue_count(con, text: str, login: str) -> int:
    """Issues the viewer may see whose searched columns contain ``text`` literally."""
    from dashboards.lib.queries_recon import _SEARCHED

    cond = " or ".join(f"instr(lower({c}), lower(?)) > 0" for c in _SEARCHED)
    visible = "(select visible_employee_code from marts.dim_user_access where viewer_login_id = ?)"
    everything = con.execute(
        "select bool_or(sees_everything) from marts.dim_user_access where viewer_login_id = ?",
        [login],
    ).fetchone()[0]
    scope = "true" if everything else f"responsible_employee_code in {visible}"
    return con.execute(
        f"select count(*) from marts.rpt_reconciliation_issues where ({cond}) and {scope}",
        [text.strip()] * len(_SEARCHED) + ([] if everything else [login]),
    ).fetchone()[0]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def serving_file(served):
    return (served / "serving" / "current").resolve()


@pytest.fixture(scope="module")
def mart_con(serving_file):
    con = duckdb.connect(str(serving_file), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize(("page_id", "key", "label"), TEXT_FILTERS)
@pytest.mark.parametrize("role", ["executive", "sales"])
def test_text_filters_resist_injection(
    portal_data, role_user, serving_file, mart_con, page_id, key, label, role
):
    login = role_user[role]
    if role == "sales" and page_id == "reconciliation":
        login = role_user["assistant"]  # sales may not open reconciliation
    before = digest(serving_file)
    at = open_page(login, page_id)
    assert not errors(at), errors(at)
    for payload in PAYLOADS:
        at.text_input(key=key).input(payload).run()
        assert not errors(at), (payload, errors(at))
        value = [m.value for m in at.metric if m.label == label]
        if page_id == "reconciliation":
            # issue ids hold "_" and ":" literally: exactly the literal matches, no more
            expected = literal_issue_count(mart_con, payload, login)
            assert value == [f"{expected:,}"], (payload, value)
            continue
        assert value == [ZERO[label]], (payload, value)
        if page_id in ("contracts", "reconciliation", "ar_aging"):
            # every table of these pages is filtered by the text: none lists a row
            assert all(len(d.value) == 0 for d in at.dataframe), payload
    at.text_input(key=key).input("").run()
    assert not errors(at)
    assert digest(serving_file) == before
    con = duckdb.connect(str(serving_file), read_only=True)
    try:
        assert con.execute("select count(*) from marts.fct_contracts").fetchone()[0] > 0
    finally:
        con.close()


def test_query_functions_bind_every_value(portal_data, role_user, serving_file, mart_con):
    """The query modules directly, for a scoped and an unscoped viewer: every payload in every
    text parameter (the exact-number detail lookup too) returns nothing."""
    from dashboards.lib import access, queries_ar, queries_billing, queries_contracts, queries_recon

    before = digest(serving_file)
    snapshot = queries_ar.snapshots()["snapshot_date"].iloc[0]
    for role in ("executive", "sales", "director"):
        scope = access.scope_for(role_user[role])
        for p in PAYLOADS:
            for field in ("number", "name", "customer"):
                f = queries_contracts.ContractFilters(**{field: p})
                assert queries_contracts.search(scope, f).empty, (role, field, p)
            assert queries_contracts.contract(scope, p).empty
            assert queries_contracts.invoices(scope, p).empty
            assert queries_contracts.claims(scope, p).empty
            for field in ("customer", "contract"):
                f = queries_billing.BillingFilters(**{field: p})
                assert queries_billing.contracts(scope, f, "dni").empty
                assert queries_billing.order_lines(scope, f, "inc").empty
                assert queries_billing.unapplied(scope, f).empty
            assert queries_billing.unclaimed(
                scope, queries_billing.BillingFilters(customer=p)
            ).empty
            assert queries_ar.invoices(scope, snapshot, p).empty
            found = queries_recon.issues(scope, queries_recon.ReconFilters(text=p))
            assert len(found) == literal_issue_count(mart_con, p, role_user[role]), (role, p)
    # region multiselect values are bound too: an injected region matches nothing
    scope = access.scope_for(role_user["executive"])
    f = queries_billing.BillingFilters(regions=("华东' or 1=1 --",))
    assert queries_billing.contracts(scope, f, "inc").empty
    assert digest(serving_file) == before


def test_identifier_whitelists_reject_unknown_keys(portal_data, role_user):
    """Group-by, bucket view, metric and dimension come from dicts: anything else fails."""
    from dashboards.lib import access, queries_ar, queries_billing, queries_process

    scope = access.scope_for(role_user["executive"])
    with pytest.raises(KeyError):
        queries_ar.buckets(scope, None, "customer_name; drop table x", "due")
    with pytest.raises(KeyError):
        queries_billing.contracts(scope, queries_billing.BillingFilters(), "1=1")
    with pytest.raises(KeyError):
        queries_process.efficiency(scope, queries_process.ProcessFilters(), "node_name --")
