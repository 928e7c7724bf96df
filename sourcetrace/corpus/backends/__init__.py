"""Storage backends of the corpus store: DuckDB over a folder of Parquet files, PostgreSQL."""
