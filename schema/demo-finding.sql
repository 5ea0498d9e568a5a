-- Adds findings to one quarter of the demo dataset (schema/demo-data.sql).
--
--   psql -v quarter=2026-Q3 -f schema/demo-finding.sql              step 4: a failed archival run
--   psql -v quarter=2026-Q3 -v blocking=1 -f schema/demo-finding.sql  and step 7: a grant with no change window
--
-- The rows are dated 20 days before the quarter's target date, so they fall inside that
-- quarter's 90-day span and no other quarter's.
\if :{?quarter}
\else
  \echo 'usage: psql -v quarter=YYYY-QN [-v blocking=1] -f schema/demo-finding.sql'
  \quit
\endif

INSERT INTO audit_archival_runs (started_at, completed_at, rows_archived, destination, retention_policy_label, status)
SELECT t - interval '20 days' + interval '3 hours', NULL, 0,
       's3://raxx-audit-archive/' || to_char(t - interval '20 days', 'YYYY/MM') || '-retry', 'hot-90d', 'failed'
FROM (SELECT make_timestamptz(substr(:'quarter', 1, 4)::int, (substr(:'quarter', 7, 1)::int - 1) * 3 + 1, 1, 0, 0, 0, 'UTC') AS t) q;

\if :{?blocking}
INSERT INTO rbac_grants_audit (user_id, role_id, granted_at, granted_by, change_window_id)
SELECT u.id, r.id, t - interval '20 days' + interval '15 hours', 'marcus.chen@raxx.example', NULL
FROM (SELECT make_timestamptz(substr(:'quarter', 1, 4)::int, (substr(:'quarter', 7, 1)::int - 1) * 3 + 1, 1, 0, 0, 0, 'UTC') AS t) q,
     users u, rbac_roles r
WHERE u.email = 'tomasz.nowak@raxx.example' AND r.name = 'raptor-audit-admin';
\endif
