"""Bank statement files (来款) into the landing zone: ``landing/bank/statements/``.

``import_bank(paths, settings, mapping=…, progress=…)`` imports .xlsx, .xls and .csv files
(UTF-8 with or without BOM, UTF-16 with BOM, else GBK/GB18030) from files or folders (default:
the bank inbox, ``<data>/inbox/bank/``) and returns a ``BankImportReport`` with, per file,
the lines loaded, the duplicates skipped and the rows quarantined (file, row, column, reason).

Landed columns (our names; the Chinese headers they come from are in
``default_mapping.toml``, configurable per bank — see ``extractors.bank.mapping``):

=================  ===========  =========================================================
``serial_no``      string       交易流水号 / 流水号 (with ``account_no`` the key)
``account_no``     string       our account: 本方账号 column, else the title rows' 账号：…,
                                else the longest 8+ digit number in the file name
``bank_name``      string       our bank: the title rows' 开户行：…, else the file name's
                                first ``_`` part when it names a bank
``txn_time``       timestamp    交易日期 + 交易时间 (or a date-and-time 交易时间), read as
                                Asia/Shanghai local time, landed as a UTC instant
``payer_name``     string       对方户名 / 对方单位名称
``payer_account``  string       对方账号
``payer_bank``     string       对方开户行
``amount``         decimal      贷方金额 / 收入金额: money in (the payment received)
``debit_amount``   decimal      借方金额 / 支出金额: money out
``balance``        decimal      余额
``memo``           string       摘要 / 用途 / 附言
``source_file``    string       the file's name as imported
``source_row``     int          1-based row of the sheet (line of the CSV)
=================  ===========  =========================================================

plus ``_op`` (always ``upsert``), ``_extracted_at`` and dlt's ``_dlt_load_id``.
"""

from extractors.bank.importer import (
    STATEMENTS,
    BadRow,
    BankImportError,
    BankImportReport,
    Duplicate,
    FileReport,
    import_bank,
    statement_files,
)
from extractors.bank.mapping import Mapping, MappingError, load_mapping

__all__ = [
    "STATEMENTS",
    "BadRow",
    "BankImportError",
    "BankImportReport",
    "Duplicate",
    "FileReport",
    "Mapping",
    "MappingError",
    "import_bank",
    "load_mapping",
    "statement_files",
]
