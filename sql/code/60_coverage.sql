-- Completeness and watermarks (SPEC "Completeness and watermarks"). A source
-- (a loader stream, or whoever loads by other means) declares the event time
-- it has loaded completely for a subject:
--   tweets                                   every tweet source
--   candles/<exchange>/<market>/<period>     period as 1m, 5m, 1h, 1d
--   <schema>.<table>                         any other managed table
-- The analytics trust a zero only where coverage says nothing is missing.

-- A candle width as the loaders spell it: 1m, 15m, 1h, 1d (seconds if odd).
CREATE OR REPLACE FUNCTION pulse_internal.period_label(period interval) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE WHEN s % 86400 = 0 THEN (s / 86400)::text || 'd'
              WHEN s % 3600 = 0 THEN (s / 3600)::text || 'h'
              WHEN s % 60 = 0 THEN (s / 60)::text || 'm'
              ELSE s::text || 's' END
    FROM (SELECT extract(epoch FROM $1)::bigint AS s) e
$fn$;

CREATE OR REPLACE FUNCTION pulse_internal.candle_subject(exchange text, market text, period interval) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT 'candles/' || $1 || '/' || $2 || '/' || pulse_internal.period_label($3)
$fn$;

CREATE OR REPLACE VIEW pulse.coverage AS
SELECT c.source, c.subject, c.covered, upper(c.covered) AS watermark, c.updated_at
  FROM pulse_internal.coverage c;
COMMENT ON VIEW pulse.coverage IS
  'Per source (loader stream) and subject (tweets, candles/<exchange>/<market>/<period>, or a table): the event time loaded completely, and its watermark';
COMMENT ON COLUMN pulse.coverage.source IS 'The loader stream (or the source named in pulse.declare_coverage)';
COMMENT ON COLUMN pulse.coverage.subject IS 'tweets, candles/<exchange>/<market>/<period> (period 1m, 5m, 1h, ...), or schema.table';
COMMENT ON COLUMN pulse.coverage.covered IS 'Event time this source has loaded completely';
COMMENT ON COLUMN pulse.coverage.watermark IS 'Upper end of the covered span holding the newest data: no more data older than it is expected';
COMMENT ON COLUMN pulse.coverage.updated_at IS 'When the coverage last grew';

-- Everything any source covers for a subject.
CREATE OR REPLACE FUNCTION pulse_internal.covered(subject text) RETURNS tstzmultirange
  LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce(range_agg(r), '{}'::tstzmultirange)
    FROM pulse.coverage c, unnest(c.covered) AS r
   WHERE c.subject = $1
$fn$;

-- Whether a subject names an existing table (schema.table as written).
CREATE OR REPLACE FUNCTION pulse_internal.table_subject(subject text) RETURNS boolean
  LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN to_regclass(subject) IS NOT NULL;
EXCEPTION WHEN invalid_name OR syntax_error OR invalid_parameter_value THEN
  RETURN false;
END
$fn$;

CREATE OR REPLACE FUNCTION pulse.declare_coverage(source text, subject text, during tstzrange) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF declare_coverage.source IS NULL OR declare_coverage.subject IS NULL OR declare_coverage.during IS NULL THEN
    RAISE EXCEPTION 'source, subject and during must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF declare_coverage.source = '' OR declare_coverage.subject = ''
     OR length(declare_coverage.source) > 200 OR length(declare_coverage.subject) > 200 THEN
    RAISE EXCEPTION 'source and subject must be 1 to 200 characters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT (CASE WHEN declare_coverage.subject = 'tweets' THEN true
              WHEN starts_with(declare_coverage.subject, 'candles/')
                THEN declare_coverage.subject ~ '^candles/[^/]+/[^/]+/[1-9][0-9]*[smhd]$'
              ELSE pulse_internal.table_subject(declare_coverage.subject) END) THEN
    RAISE EXCEPTION 'unknown coverage subject: %', declare_coverage.subject
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Subjects are tweets, candles/<exchange>/<market>/<period> (period as 1m, 5m, 1h) or an existing table.';
  END IF;
  IF isempty(declare_coverage.during) THEN
    RETURN;
  END IF;
  IF lower_inf(declare_coverage.during) OR upper_inf(declare_coverage.during)
     OR NOT isfinite(lower(declare_coverage.during)) OR NOT isfinite(upper(declare_coverage.during)) THEN
    RAISE EXCEPTION 'coverage must have finite bounds' USING ERRCODE = 'invalid_parameter_value',
      DETAIL = format('during is %s.', declare_coverage.during);
  END IF;
  IF upper(declare_coverage.during) > clock_timestamp() + interval '1 minute' THEN
    RAISE EXCEPTION 'coverage must not reach into the future' USING ERRCODE = 'invalid_parameter_value',
      DETAIL = format('during ends at %s; now is %s.', upper(declare_coverage.during), clock_timestamp());
  END IF;
  -- The stream's owner for this transaction (as apply_batch): refused while
  -- another session loads it.
  PERFORM pulse_internal.claim_stream(declare_coverage.source);
  INSERT INTO pulse_internal.coverage AS c (source, subject, covered)
  VALUES (declare_coverage.source, declare_coverage.subject, tstzmultirange(declare_coverage.during))
  ON CONFLICT ON CONSTRAINT coverage_pkey DO UPDATE
    SET covered = c.covered + excluded.covered, updated_at = now()
    WHERE NOT c.covered @> excluded.covered;
  -- Rollups over this subject: on-time panes for the windows it completes.
  PERFORM pulse_internal.rollups_progress(declare_coverage.subject);
END
$fn$;
COMMENT ON FUNCTION pulse.declare_coverage(text, text, tstzrange) IS
  'Records that source has loaded subject completely during the given event time (loaders call it in their batch transaction)';
