-- Tables shared by several stages. Documented column by column in docs/warehouse.md.
-- Stage-private tables (core.*, marts.*) are created by the stage that owns them.

create table if not exists meta.files (
    file_path        varchar primary key,  -- relative to the raw folder, POSIX slashes
    sha256           varchar not null,
    kind             varchar,
    status           varchar not null,     -- loaded | unchanged | rejected | skipped
    rows_read        bigint not null default 0,
    rows_loaded      bigint not null default 0,
    rows_quarantined bigint not null default 0,
    reason           varchar,
    encoding         varchar,
    delimiter        varchar,
    ingested_at      timestamp,
    run_id           varchar,
    file_size        bigint,               -- with file_mtime_ns: the stat recorded with sha256
    file_mtime_ns    bigint,
    school_id        varchar               -- a rejected or skipped file's school, when its rows name one
);

create table if not exists meta.runs (
    run_id        varchar primary key,
    started_at    timestamp not null,
    finished_at   timestamp,
    code_version  varchar,
    params_hash   varchar,
    command       varchar,
    outcome       varchar,               -- running | completed | failed | interrupted
    stage_counts  json,
    input_hashes  json
);

create table if not exists meta.pseudonym_key (
    fingerprint  varchar not null,       -- HMAC-SHA256 of a fixed label with the key; never the key
    demo         boolean not null,       -- the public demo key (--demo-key)
    first_run_id varchar,
    recorded_at  timestamp
);

-- Text was masked in place (a name first known now): until the warehouse file is copied to a fresh
-- one (warehouse.compact), its old bytes can remain in free blocks. The runner copies it after the stage.
create table if not exists meta.compaction (
    reason       varchar not null,       -- what was masked: `paths`, `kept_text`
    requested_at timestamp not null
);

create table if not exists staging.schools (
    source_file varchar not null, source_line integer not null, row_key varchar not null,
    school_id varchar, school_name varchar, municipality varchar,
    school_type varchar,  -- general | vocational | null (not given or not recognised)
    school_type_raw varchar  -- as written (a code-shaped part `***`): the unknown_school_type warning shows it
);

create table if not exists staging.pupils (
    source_file varchar not null, source_line integer not null, row_key varchar not null,
    pupil_id varchar, school_id varchar, school_year varchar,
    class_raw varchar, grade_level integer, class_letter varchar,
    gender varchar, left_on date, leaving_reason varchar,
    course_year integer  -- a vocational course year (1–4); grade_level is then null
);

create table if not exists staging.plans (
    source_file varchar not null, source_line integer not null, row_key varchar not null,
    pupil_id varchar, school_id varchar, plan_start date, plan_end date,
    project_code varchar, risk_factors varchar, school_year varchar,
    project_text_hash varchar  -- keyed hash of an unrecognised project text (project_code = 'other')
);

create table if not exists staging.consultations (
    source_file varchar not null, source_line integer not null, row_key varchar not null,
    date date, school_year varchar, semester integer,
    pupil_id varchar, school_id varchar, staff_id varchar,
    staff_role varchar, staff_role_raw varchar,
    subject varchar, subject_raw varchar,
    minutes double, mode varchar, mode_raw varchar, group_size integer, project_code varchar,
    project_text_hash varchar  -- keyed hash of an unrecognised project text (project_code = 'other')
);

create table if not exists staging.grades (
    source_file varchar not null, source_line integer not null, row_key varchar not null,
    date date, school_year varchar, semester integer,
    pupil_id varchar, school_id varchar,
    subject varchar, subject_raw varchar,
    grade_raw varchar, grade_kind varchar, grade_score integer, grade_level_code varchar,
    passed boolean, grade_percent double,
    assessment_type varchar, assessment_type_raw varchar
);

-- One row per row of an activities file: a participant (pupil_id) or an activity's head count.
create table if not exists staging.activities (
    source_file varchar not null, source_line integer not null, row_key varchar not null,
    date date, school_year varchar, semester integer,
    school_id varchar, activity_id varchar, pupil_id varchar,
    activity_type varchar, activity_type_raw varchar,
    subject varchar, subject_raw varchar,
    minutes double, participants integer, project_code varchar,
    project_text_hash varchar  -- keyed hash of an unrecognised project text (project_code = 'other')
);

-- One row per payment of individual financial support to (or for) one pupil.
create table if not exists staging.financial_support (
    source_file varchar not null, source_line integer not null, row_key varchar not null,
    date date, school_year varchar, semester integer,
    pupil_id varchar, school_id varchar,
    support_type varchar, support_type_raw varchar,
    amount_eur double, project_code varchar,
    project_text_hash varchar
);

-- One row per reported cost line: project × municipality × month × cost category (not personal data).
create table if not exists staging.costs (
    source_file varchar not null, source_line integer not null, row_key varchar not null,
    month date, school_year varchar,
    project_code varchar, project_text_hash varchar,
    municipality varchar, cost_category varchar, cost_category_raw varchar,
    amount_eur double
);

-- Both attendance shapes (contract kinds attendance_lessons and attendance_periods): a lesson record is
-- a one-day period whose lessons sit in the column of their reason; a summary leaves reason and subject null.
create table if not exists staging.attendance (
    source_file varchar not null, source_line integer not null, row_key varchar not null,
    shape varchar not null,              -- lessons | periods
    pupil_id varchar, school_id varchar,
    period_start date, period_end date, school_year varchar, semester integer,
    reason varchar, reason_raw varchar,  -- lessons only: excused | unexcused | illness | unknown
    subject varchar, subject_raw varchar,
    lessons_missed integer, excused integer, unexcused integer, illness integer, unknown_reason integer,
    lessons_held integer                 -- periods only, when the school sends it
);

create table if not exists quarantine.rows (
    source_file varchar not null, source_line integer not null,
    kind varchar, school_id varchar,
    stage varchar not null,              -- ingest | validate
    column_name varchar, value varchar,  -- never a personal value: '***' instead
    reason_code varchar not null, message_lv varchar not null, message_en varchar not null,
    row_key varchar, run_id varchar
);

create table if not exists validation.flags (
    source_file varchar not null, source_line integer not null,
    kind varchar, school_id varchar, row_key varchar,
    severity varchar not null default 'warning',
    reason_code varchar not null, column_name varchar, value varchar,
    message_lv varchar not null, message_en varchar not null, run_id varchar,
    row_count bigint default 1  -- rows one warning stands for (unknown_subject: all rows with that value)
);

-- The school that delivered each file (validate: pipelines/validate/sql/file_deliverers.sql). Feedback and
-- the early-warning lists go to it, never to a school a row names. School ids and file names only.
create table if not exists validation.file_deliverers (
    source_file varchar not null,
    school_id varchar,                   -- null: unknown (readers fall back to the school each row names)
    found_by varchar                     -- path | rows | folder; null when unknown
);

create table if not exists validation.quality (
    school_id varchar, month varchar,
    rows_received bigint, rows_loaded bigint, rows_quarantined bigint, warnings bigint,
    has_roster boolean, has_plans boolean, has_consultations boolean, has_grades boolean
);

-- The true value of every count a run's export or reports withheld (never published: the
-- month-to-month rule of pipelines/disclosure_time.py reads the previous run's, so a cell withheld then is
-- released now only if its count moved by at least k since). Kept here, never in history/ or report_history/.
create table if not exists meta.withheld_cells (
    scope       varchar not null,        -- export | report
    file        varchar not null,        -- the published file or report table (as in history/, report_history/)
    row_key     varchar not null,        -- `column=value; …` of the file's primary key (pipelines/changes.py key_text)
    column_name varchar not null,        -- the count (support files: also consultations, hours)
    value       double not null,         -- its true value in that run
    run_id      varchar not null
);
