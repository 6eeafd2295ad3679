"""The Parquet lake: schemas, the landing writer, compaction and the one reader."""
