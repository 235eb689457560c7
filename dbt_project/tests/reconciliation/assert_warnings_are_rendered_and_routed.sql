-- Messages have every placeholder filled and every warning notifies someone (the owner, or
-- the queue of the owner's role).
select warning_id, message_zh, message_en, notify_employee_codes
from {{ ref('fct_warnings') }}
where contains(message_zh, '{') or contains(message_en, '{')
    or contains(message_zh, '}') or contains(message_en, '}')
    or len(notify_employee_codes) = 0
