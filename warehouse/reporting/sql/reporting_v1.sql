-- The `reporting` schema, version 1: what analysts read (docs/reporting.md, column by column).
--
-- Applied by warehouse/migrations/0004_reporting_schema_v1.py, on PostgreSQL only. A later change
-- is a new file (reporting_v2.sql) applied by a new migration; this file stays as it is, so that a
-- database migrated from scratch passes through the same states as one migrated step by step.
--
-- Views run with their owner's privileges on the tables they read, so an analyst role needs
-- SELECT on these views and nothing else. reporting.complaints is live; the aggregate views read
-- the rollup tables that warehouse.reporting.rollups fills (a minute or so behind the live data).

-- The hashing key and the internal time zone, kept where no analyst can read them. The key is
-- stored as the two padded HMAC-SHA256 keys, so that the views compute a standard HMAC with the
-- built-in sha256() (no extension needed); warehouse.reporting.schema keeps the row current.
CREATE SCHEMA IF NOT EXISTS reporting_private;
REVOKE ALL ON SCHEMA reporting_private FROM PUBLIC;
CREATE TABLE IF NOT EXISTS reporting_private.settings (
    id smallint PRIMARY KEY CHECK (id = 1),
    hmac_inner bytea NOT NULL,
    hmac_outer bytea NOT NULL,
    time_zone text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON reporting_private.settings FROM PUBLIC;

CREATE SCHEMA IF NOT EXISTS reporting;
REVOKE ALL ON SCHEMA reporting FROM PUBLIC;
COMMENT ON SCHEMA reporting IS
    'Complaints for analysts: read-only views without raw personal data. See docs/reporting.md.';

-- One row per complaint ---------------------------------------------------------------------------
CREATE OR REPLACE VIEW reporting.complaints AS
SELECT
    c.id AS complaint_id,
    c.reference,
    c.source,
    c.channel,
    c.provider,
    CASE
        WHEN btrim(c.customer_handle) = '' OR s.id IS NULL THEN NULL
        ELSE encode(
            sha256(s.hmac_outer || sha256(s.hmac_inner || convert_to(lower(btrim(c.customer_handle)), 'UTF8'))),
            'hex'
        )
    END AS customer_hash,
    c.contact_email <> '' AS has_contact_email,
    c.contact_phone <> '' AS has_contact_phone,
    -- E-mail addresses first (their local part may hold digits), then any run of 9 to 19 digits
    -- with spaces, dots, dashes or brackets between them: phone numbers, and card numbers too.
    regexp_replace(
        regexp_replace(c.text, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '[email]', 'g'),
        '\+?\(?\d(?:[\s().-]{0,2}\d){8,18}', '[phone]', 'g'
    ) AS text_masked,
    char_length(c.text) AS text_length,
    CASE WHEN jsonb_typeof(c.attachments) = 'array' THEN jsonb_array_length(c.attachments) ELSE 0 END
        AS attachment_count,
    NULLIF(c.customer_category, '') AS customer_category,
    NULLIF(c.category, '') AS category,
    c.category_confidence,
    c.complaint_confidence,
    c.urgent,
    c.urgency_reasons,
    NULLIF(c.model_version, '') AS model_version,
    c.status,
    c.status IN ('pending', 'in_progress') AS is_open,
    c.assigned_to_id AS assignee_id,
    c.occurred_at,
    c.received_at,
    c.received_at AT TIME ZONE COALESCE(s.time_zone, 'UTC') AS received_local,
    (c.received_at AT TIME ZONE COALESCE(s.time_zone, 'UTC'))::date AS received_day,
    extract(hour FROM c.received_at AT TIME ZONE COALESCE(s.time_zone, 'UTC'))::integer AS received_hour,
    c.first_response_at,
    c.resolved_at,
    extract(epoch FROM c.first_response_at - c.received_at)::double precision AS first_response_seconds,
    extract(epoch FROM c.resolved_at - c.received_at)::double precision AS resolution_seconds
FROM public.warehouse_complaint c
LEFT JOIN reporting_private.settings s ON s.id = 1;

COMMENT ON VIEW reporting.complaints IS
    'One row per complaint in the warehouse, live. No names, e-mail addresses or phone numbers.';
COMMENT ON COLUMN reporting.complaints.customer_hash IS
    'HMAC-SHA256 of the lower-cased customer handle under a secret key: the same customer gives the '
    'same hash, and the hash cannot be reversed or recomputed from a phone number without the key.';
COMMENT ON COLUMN reporting.complaints.text_masked IS
    'The complaint text with e-mail addresses replaced by [email] and phone-like numbers by [phone].';
COMMENT ON COLUMN reporting.complaints.received_day IS 'Day of receipt in the internal time zone.';
COMMENT ON COLUMN reporting.complaints.first_response_seconds IS
    'first_response_at - received_at in seconds; NULL until an agent first acts.';
COMMENT ON COLUMN reporting.complaints.resolution_seconds IS
    'resolved_at - received_at in seconds; NULL unless resolved.';

-- Volumes -----------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW reporting.volume_hourly AS
SELECT
    v.hour_start,
    v.hour_start + interval '1 hour' AS hour_end,
    v.day,
    v.local_hour,
    v.day + make_interval(hours => v.local_hour) AS hour_local,
    v.source,
    v.channel,
    NULLIF(v.category, '') AS category,
    v.complaints
FROM public.warehouse_rollup_volume_hourly v;

COMMENT ON VIEW reporting.volume_hourly IS
    'Complaints received per hour of the internal time zone, by source, channel and category.';
COMMENT ON COLUMN reporting.volume_hourly.hour_start IS
    'The first instant of the hour. On the day clocks go back the repeated local hour has two rows.';

CREATE OR REPLACE VIEW reporting.daily_flow AS
SELECT
    f.day,
    f.source,
    f.channel,
    NULLIF(f.category, '') AS category,
    f.received,
    f.resolved,
    f.dismissed
FROM public.warehouse_rollup_daily_flow f;

COMMENT ON VIEW reporting.daily_flow IS
    'Per local day: complaints received, resolved and dismissed that day, by source, channel, category.';

CREATE OR REPLACE VIEW reporting.volume_daily AS
SELECT f.day, f.source, f.channel, NULLIF(f.category, '') AS category, f.received AS complaints
FROM public.warehouse_rollup_daily_flow f
WHERE f.received > 0;

COMMENT ON VIEW reporting.volume_daily IS
    'Complaints received per day of the internal time zone, by source, channel and category.';

-- Backlog -----------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW reporting.backlog_daily AS
WITH flow AS (
    SELECT f.day, COALESCE(f.source, '*') AS source,
           sum(f.received) AS received, sum(f.resolved) AS resolved, sum(f.dismissed) AS dismissed
    FROM public.warehouse_rollup_daily_flow f
    GROUP BY GROUPING SETS ((f.day, f.source), (f.day))
),
span AS (
    SELECT min(day) AS first_day, max(day) AS last_day FROM public.warehouse_rollup_daily_flow
),
days AS (
    SELECT d::date AS day FROM span, generate_series(span.first_day, span.last_day, interval '1 day') AS d
),
sources AS (
    SELECT DISTINCT source FROM flow
)
SELECT
    days.day,
    sources.source,
    COALESCE(flow.received, 0)::bigint AS received,
    COALESCE(flow.resolved, 0)::bigint AS resolved,
    COALESCE(flow.dismissed, 0)::bigint AS dismissed,
    sum(COALESCE(flow.received, 0) - COALESCE(flow.resolved, 0) - COALESCE(flow.dismissed, 0))
        OVER (PARTITION BY sources.source ORDER BY days.day)::bigint AS open_at_end_of_day
FROM days
CROSS JOIN sources
LEFT JOIN flow ON flow.day = days.day AND flow.source = sources.source;

COMMENT ON VIEW reporting.backlog_daily IS
    'Open complaints at the end of each local day, per source and for all sources (source = ''*'').';

-- Response and resolution times ---------------------------------------------------------------------
CREATE OR REPLACE VIEW reporting.response_times_daily AS
SELECT
    r.day,
    r.source,
    NULLIF(r.category, '') AS category,
    r.complaints,
    r.responded,
    r.resolved,
    r.first_response_median_seconds,
    r.first_response_p90_seconds,
    r.resolution_median_seconds,
    r.resolution_p90_seconds
FROM public.warehouse_rollup_response_times r;

COMMENT ON VIEW reporting.response_times_daily IS
    'Median and 90th percentile of first-response and resolution times of the complaints received on '
    'each local day; source or category ''*'' marks the rows over all sources or all categories.';

-- Classifier against customer ---------------------------------------------------------------------
CREATE OR REPLACE VIEW reporting.category_agreement_daily AS
SELECT
    a.day,
    a.customer_category,
    NULLIF(a.classifier_category, '') AS classifier_category,
    a.customer_category = a.classifier_category AS agreed,
    a.complaints
FROM public.warehouse_rollup_category_agreement a;

COMMENT ON VIEW reporting.category_agreement_daily IS
    'Web-form complaints per day: the category the customer chose against the classifier''s.';

CREATE OR REPLACE VIEW reporting.category_agreement AS
SELECT
    COALESCE(a.customer_category, '*') AS customer_category,
    sum(a.complaints)::bigint AS complaints,
    COALESCE(sum(a.complaints) FILTER (WHERE a.customer_category = a.classifier_category), 0)::bigint AS agreed,
    round(
        COALESCE(sum(a.complaints) FILTER (WHERE a.customer_category = a.classifier_category), 0)::numeric
        / NULLIF(sum(a.complaints), 0),
        4
    ) AS agreement_rate,
    min(a.day) AS first_day,
    max(a.day) AS last_day
FROM public.warehouse_rollup_category_agreement a
GROUP BY ROLLUP (a.customer_category);

COMMENT ON VIEW reporting.category_agreement IS
    'Share of web-form complaints where the classifier agreed with the customer''s category, per '
    'customer category and overall (customer_category = ''*'').';

-- Filtered messages -------------------------------------------------------------------------------
CREATE OR REPLACE VIEW reporting.filtered_messages_daily AS
SELECT m.day, m.source, m.channel, NULLIF(m.reason, '') AS reason, m.messages
FROM public.warehouse_rollup_filtered_daily m;

COMMENT ON VIEW reporting.filtered_messages_daily IS
    'Messages the classifier tagged as not a complaint (spam, joke, praise, question, other), per '
    'local day of receipt and source. They stay reviewable in the staff UI.';

-- Trends ------------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW reporting.weekly_trends AS
SELECT
    t.week_start,
    t.week_start + 6 AS week_end,
    t.dimension,
    NULLIF(t.value, '') AS value,
    t.complaints,
    t.previous_complaints,
    t.change,
    t.p_value,
    NULLIF(t.direction, '') AS direction,
    t.direction <> '' AS flagged
FROM public.warehouse_rollup_weekly_trend t;

COMMENT ON VIEW reporting.weekly_trends IS
    'Each complete week (Monday to Sunday, local) against the week before, per source and per '
    'category; flagged when the change is large and a binomial test says it is not noise.';

-- Labels and freshness ----------------------------------------------------------------------------
CREATE OR REPLACE VIEW reporting.categories AS
SELECT c.slug, c.name, c.description, c.is_active, c.position
FROM public.classification_category c;

COMMENT ON VIEW reporting.categories IS 'The complaint categories (slug as used in the other views).';

CREATE OR REPLACE VIEW reporting.rollup_status AS
SELECT
    s.name,
    s.time_zone,
    s.last_started_at,
    s.last_finished_at,
    s.last_days AS last_run_days,
    s.last_error <> '' AS last_run_failed,
    (SELECT count(*) FROM public.warehouse_rollup_dirty_day) AS days_queued,
    (SELECT min(day) FROM public.warehouse_rollup_dirty_day) AS oldest_day_queued
FROM public.warehouse_rollup_state s;

COMMENT ON VIEW reporting.rollup_status IS
    'How current the aggregate views are: when the rollup job last ran and how many days wait.';
