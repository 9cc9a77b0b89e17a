-- Transform's own bookkeeping for incremental rebuilds of core.grades and core.consultations:
-- what the last transform read. Documented in docs/warehouse.md (meta).
create table if not exists meta.transform_files (
    kind varchar not null, source_file varchar not null, sha256 varchar, ingested_at timestamp
);
create table if not exists meta.transform_quarantine (
    kind varchar not null, source_file varchar not null, source_line integer not null
);
create table if not exists meta.transform_state (
    fingerprint varchar not null
);
