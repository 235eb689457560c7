"""Event-log import: a process-mining log (CSV or XES) lands in the OA workflow tables, so the
process-efficiency marts treat it like any OA workflow, its workflow type the ``name`` given.

``import_eventlog(path, name, settings, *, case_col=…, activity_col=…, …) -> EventLogReport``
(``zhongtai import eventlog <file> --name <process>``). Column defaults are the XES names
(``case:concept:name``, ``concept:name``, ``time:timestamp``, ``org:resource``, ``org:group``,
``lifecycle:transition``, ``start_timestamp``); an XES file is read as a stream.

Mapping decisions:

* **Ids are stable.** ``requestId = el:<name>:<case id>``; an activity instance is
  ``el:<name>:<case id>:<n>``, ``n`` its place in the case (also its operator row's
  ``groupid``). Re-importing the same file lands the same ids, so staging's latest version per
  key makes it a no-op. A name may not contain ``:``.
* **One request per case** (``workflow_requests``): ``requestName`` = case id;
  ``workflowBaseInfo.workflowName`` = name, ``workflowId`` and ``sysName`` =
  ``eventlog:<name>``; ``workflowTypeId/Name`` = ``eventlog``; ``createTime`` = the case's
  first activity start (or completion, when no start is known), ``lastOperateTime`` = its last
  completion; ``creatorId/Name`` = the first activity's resource; ``currentNode*`` and
  ``lastOperator*`` = the last completed activity and its resource. ``status`` is always
  ``归档``: a log holds what happened, and nothing tells an unfinished case from a finished one.
  Cases whose events are all dropped (only starts, or only other lifecycles) do not land.
* **One activity instance per ``complete`` event**: a ``workflow_request_logs`` row (nodename
  = activity, ``nodeid`` = ``el:<name>:<activity>``, operator/operatorName = resource,
  operatorDept = group, ``operatedate``/``operatetime`` = completion, ``logtype`` ``0``
  批准) and a ``workflow_request_operators`` row (``isremark`` ``2`` done, ``receive*`` = the
  instance's start, ``operate*`` = its completion). Events without lifecycle are completes.
* **Start of an instance**: a ``start`` event paired FIFO per (case, activity) with the next
  ``complete`` in time order (ties in file order), as PM4Py's interval conversion pairs them;
  a ``start_timestamp`` value on the complete row wins. Without either the instance is
  received at the case's previous completion — as an OA node is received when the previous
  node is done — and the first instance at its own completion (``missing_start="complete"``
  gives PM4Py's convention, start = completion, instead). Starts never completed are counted
  (``unmatched_starts``) and not landed; ``schedule``, ``suspend``, ``resume``, ``assign``,
  ``ate_abort`` … are ignored and counted per value. PM4Py check (pm4py 2.7.23, by hand):
  with observed starts, PM4Py's performance-DFG edge time is next ``receive`` − this
  ``operate``; without starts (default mode) it is next ``operate`` − this ``operate``; case
  duration is ``lastOperateTime`` − ``createTime`` in both — all equal to the second.
* **Times**: a zone offset in the log is honoured; times without one are Asia/Shanghai.
  Request times land as UTC timestamps (microseconds); OA date/time fields as Asia/Shanghai
  date and ``HH:MM:SS`` like the OA serves them (fractions of a second cut).
* **Bad events** — missing case id, activity or timestamp, an unparseable timestamp or start,
  a start after the completion — go to ``landing/_quarantine/`` (system ``eventlog:<name>``,
  entity ``events``, key ``<file>#<row>``, the reason naming file and row); the rest land.
* **Landing** uses its own dlt pipeline ``zhongtai_eventlog_<name>`` into the same
  ``landing/oa/<entity>/`` folders, so the OA extractor's cursors are never touched.
"""

from extractors.eventlog.bench import bench_eventlog, synthetic_log, write_csv, write_xes
from extractors.eventlog.importer import EventLogReport, import_eventlog, pipeline_name
from extractors.eventlog.read import EventLogError

__all__ = [
    "EventLogError",
    "EventLogReport",
    "bench_eventlog",
    "import_eventlog",
    "pipeline_name",
    "synthetic_log",
    "write_csv",
    "write_xes",
]
