{#- SCD2 integrity: for each key, [valid_from, valid_to) intervals must not overlap and
    must be non-empty. -#}
{% test no_overlapping_intervals(model, key, valid_from='valid_from', valid_to='valid_to') %}
with rows as (
    select {{ key }} as k, {{ valid_from }} as f, {{ valid_to }} as t,
        lead({{ valid_from }}) over (partition by {{ key }} order by {{ valid_from }}) as next_f
    from {{ model }}
)
select * from rows where t <= f or (next_f is not null and next_f < t)
{% endtest %}
