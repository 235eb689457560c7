{#-
  The landing zone is an append-only change log: every version of every record as extracted,
  with `_op` ('upsert' | 'delete') and `_extracted_at`. Staging keeps one row per key.

  latest_versions(relation, key, keep_deleted=false)
    key           a column name or a list of them (the source's record key)
    keep_deleted  false: keys whose latest version is a tombstone disappear.
                  true:  they stay, with the attributes of their last upsert and
                         `is_deleted = true` (for history and reconciliation:
                         "deleted in ERP but live in CRM").
  Ties on `_extracted_at` (a record re-landed in the same run by the overlap window) go to
  the newer load, and a tombstone beats an upsert of the same instant.
  Every result also carries `_extracted_at` (of the version kept) and `is_deleted`.
-#}
{% macro latest_versions(relation, key, keep_deleted=false) -%}
{%- set keys = [key] if key is string else key -%}
{%- set quoted = [] -%}
{%- for k in keys %}{% do quoted.append(adapter.quote(k)) %}{% endfor -%}
{%- set partition = quoted | join(', ') -%}
{%- set order -%}
_extracted_at desc, _dlt_load_id desc, case when _op = 'delete' then 0 else 1 end
{%- endset -%}
(
    with latest as (
        select {{ partition }}, _op = 'delete' as is_deleted
        from {{ relation }}
        qualify row_number() over (partition by {{ partition }} order by {{ order }}) = 1
    ),
    last_upsert as (
        select * exclude (_op, _dlt_load_id)
        from {{ relation }}
        where _op = 'upsert'
        qualify row_number() over (partition by {{ partition }} order by {{ order }}) = 1
    )
    select last_upsert.*, latest.is_deleted
    from last_upsert
    join latest using ({{ partition }})
    {%- if not keep_deleted %}
    where not latest.is_deleted
    {%- endif %}
)
{%- endmacro %}

{#- A source instant (timestamptz) as the wall-clock time in Asia/Shanghai (naive). -#}
{% macro local_ts(col) -%}
timezone('Asia/Shanghai', {{ col }})
{%- endmacro %}

{#- The Asia/Shanghai business date of an instant. -#}
{% macro local_date(col) -%}
cast(timezone('Asia/Shanghai', {{ col }}) as date)
{%- endmacro %}

{#- 是/否 and 1/0 style flags as booleans (NULL stays NULL). -#}
{% macro yes_no(col) -%}
case when {{ col }} in ('是', 'Y', 'y', '1', 'true', 'True') then true
     when {{ col }} in ('否', 'N', 'n', '0', 'false', 'False') then false end
{%- endmacro %}

{#- The as-of date of the build: var('as_of_date') or the newest extraction in the landing
    zone, as an Asia/Shanghai date. Used by marts that speak of "today". -#}
{% macro as_of_date() -%}
{%- if var('as_of_date', '') -%}
date '{{ var("as_of_date") }}'
{%- else -%}
(select max(as_of_date) from {{ ref('int_build_as_of') }})
{%- endif -%}
{%- endmacro %}
