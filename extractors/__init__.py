"""Extractors: protocol clients that land source data as an append-only Parquet change log
(``extractors.landing``). Plain Python; no Dagster import anywhere in this package."""
