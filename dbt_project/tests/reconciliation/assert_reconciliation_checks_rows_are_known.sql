-- Every row of the reconciliation_checks seed names a check and issue type the SQL
-- (models/intermediate/reconciliation/int_recon__*.sql) produces: adding a row does not add a
-- check, and a misspelt row would silently report nothing. Update this list with the SQL.
with known(check_code, issue_type) as (
    values
        ('crm_erp_customers', 'missing_in_erp'), ('crm_erp_customers', 'missing_in_crm'),
        ('crm_erp_customers', 'code_not_synced'), ('crm_erp_customers', 'name_mismatch'),
        ('crm_erp_customers', 'tax_number_mismatch'), ('crm_erp_customers', 'duplicate_account'),
        ('crm_erp_orders', 'missing_in_crm'), ('crm_erp_orders', 'missing_in_erp'),
        ('crm_erp_orders', 'deleted_in_erp'), ('crm_erp_orders', 'amount_mismatch'),
        ('crm_erp_orders', 'status_mismatch'), ('crm_erp_orders', 'customer_mismatch'),
        ('crm_erp_invoices', 'missing_in_crm'), ('crm_erp_invoices', 'missing_in_erp'),
        ('crm_erp_invoices', 'amount_mismatch'),
        ('oa_contracts_erp_orders', 'contract_missing_in_oa'), ('oa_contracts_erp_orders', 'contract_not_approved'),
        ('oa_contracts_erp_orders', 'order_after_termination'), ('oa_contracts_erp_orders', 'orders_exceed_contract'),
        ('oa_contracts_erp_orders', 'customer_mismatch'),
        ('oa_invoice_applications_erp_invoices', 'not_issued'), ('oa_invoice_applications_erp_invoices', 'amount_mismatch'),
        ('oa_invoice_applications_erp_invoices', 'missing_in_oa'), ('oa_invoice_applications_erp_invoices', 'issued_before_approval'),
        ('oa_claims_erp_receipts', 'not_booked'), ('oa_claims_erp_receipts', 'missing_in_oa'),
        ('oa_claims_erp_receipts', 'amount_mismatch'), ('oa_claims_erp_receipts', 'reference_mismatch'),
        ('bank_erp_receipts', 'unclaimed'), ('bank_erp_receipts', 'missing_in_bank'),
        ('bank_erp_receipts', 'amount_mismatch')
)
select s.check_code, s.issue_type, k.check_code is null as unknown_to_sql, s.check_code is null as missing_in_seed
from {{ ref('reconciliation_checks') }} as s
full join known as k using (check_code, issue_type)
where k.check_code is null or s.check_code is null
