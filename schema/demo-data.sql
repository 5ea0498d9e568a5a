-- A realistic, deterministic Raptor dataset for the demo and the benchmarks. Load after
-- schema/raptor.sql:
--
--   psql -v ON_ERROR_STOP=1 -f schema/raptor.sql -f schema/demo-data.sql
--   psql -v events=10000000 -v grants=1000000 -f schema/raptor.sql -f schema/demo-data.sql   (benchmark sizes)
--
-- Knobs (psql variables): events (customer_audit_events rows, default 300000) and grants
-- (rbac_grants_audit rows, default 400). Nothing is random: the same knobs give the same rows.
--
-- With the files of schema/demo-repo/ in the repository and a pg_audit export from
-- bench/gen-pgaudit-log.py (see schema/demo-repo/README.md), every 2026 quarter collected
-- inside its window passes all seven steps. schema/demo-finding.sql adds one finding to a
-- chosen quarter.

\if :{?events}
\else
  \set events 300000
\endif
\if :{?grants}
\else
  \set grants 400
\endif

BEGIN;

-- People: operators, engineers, support, and two external auditors (not in the group while
-- no auditor is engaged, per OQ-3).
INSERT INTO users (email, created_at)
SELECT lower(n) || '@raxx.example', '2024-06-01T09:00:00Z'::timestamptz + (i * interval '5 days')
FROM unnest(ARRAY['Olive.Operator','Priya.Raman','Marcus.Chen','Sofia.Alvarez','Tomasz.Nowak','Amara.Okafor',
                  'Liam.Byrne','Yuki.Tanaka','Noah.Fischer','Elena.Petrova','Diego.Santos','Hannah.Kim',
                  'Omar.Haddad','Grace.Liu','Jonas.Berg','Fatima.Zahra','Ethan.Walsh','Chloe.Martin',
                  'Ravi.Iyer','Mia.Johansson','Kwame.Mensah','Isabel.Costa','Arjun.Mehta','Zoe.Dubois',
                  'Lucas.Moreau','Nadia.Rahman','Felix.Wagner','Aisha.Bello','Samuel.Ortiz','Leah.Cohen',
                  'Victor.Hugo','Ines.Ferreira','Daniel.Park','Sara.Lindqvist','Hugo.Lambert','Maya.Singh']) WITH ORDINALITY AS t(n, i);
INSERT INTO users (email, created_at) VALUES
  ('alice.reviewer@auditfirm.example', '2026-03-15T10:00:00Z'),
  ('ben.partner@auditfirm.example',    '2026-03-15T10:00:00Z');

INSERT INTO rbac_roles (name) VALUES
  ('raptor-audit-compliance'), ('raptor-audit-admin'), ('raptor-api'), ('raptor-readonly'),
  ('billing-admin'), ('support-agent');

INSERT INTO rbac_groups (name) VALUES
  ('raxx-compliance-auditors'), ('raxx-engineering'), ('raxx-sre'), ('raxx-support');

-- Group membership: engineers, SREs, support. raxx-compliance-auditors stays empty.
INSERT INTO rbac_group_members (group_id, user_id, granted_at, granted_by)
SELECT g.id, u.id, u.created_at + interval '1 day', 'olive.operator@raxx.example'
FROM users u
JOIN rbac_groups g ON g.name = CASE WHEN u.id % 6 = 0 THEN 'raxx-sre' WHEN u.id % 4 = 0 THEN 'raxx-support' ELSE 'raxx-engineering' END
WHERE u.email LIKE '%@raxx.example';

-- Current grants: roles reach people through groups; the compliance role only through the
-- auditors' group; a few direct grants of unprivileged roles.
INSERT INTO rbac_grants (user_id, group_id, role_id, granted_at, granted_by)
SELECT NULL, g.id, r.id, '2025-02-11T19:00:00Z', 'olive.operator@raxx.example'
FROM (VALUES ('raxx-compliance-auditors', 'raptor-audit-compliance'), ('raxx-sre', 'raptor-audit-admin'),
             ('raxx-engineering', 'raptor-api'), ('raxx-engineering', 'raptor-readonly'),
             ('raxx-support', 'support-agent')) AS m(gname, rname)
JOIN rbac_groups g ON g.name = m.gname JOIN rbac_roles r ON r.name = m.rname;
INSERT INTO rbac_grants (user_id, group_id, role_id, granted_at, granted_by)
SELECT u.id, NULL, r.id, u.created_at + interval '2 days', 'olive.operator@raxx.example'
FROM users u JOIN rbac_roles r ON r.name = 'billing-admin' WHERE u.id IN (3, 11, 19);

-- Grant history. One grant in 20 is of the compliance or admin role and is made inside the
-- monthly change window CW-YYYY-MM (the 10th, 18:00-22:00 UTC, schema/demo-repo/
-- docs/ops/runbooks/deploy-freeze.md); the rest are unprivileged roles at any time, without a
-- window. Spread over 2025-01-10 .. 2026-12-10.
INSERT INTO rbac_grants_audit (user_id, role_id, granted_at, granted_by, change_window_id)
SELECT 1 + (i * 7) % 36,
       CASE WHEN i % 20 = 0 THEN (SELECT id FROM rbac_roles WHERE name = CASE WHEN i % 40 = 0 THEN 'raptor-audit-compliance' ELSE 'raptor-audit-admin' END)
            ELSE (SELECT id FROM rbac_roles WHERE name = (ARRAY['raptor-api','raptor-readonly','support-agent','billing-admin'])[1 + i % 4]) END,
       CASE WHEN i % 20 = 0
            THEN make_timestamptz(2025 + (m / 12), 1 + m % 12, 10, 18, 0, 0, 'UTC') + ((i * 13) % 14000) * interval '1 second'
            ELSE '2025-01-10T00:00:00Z'::timestamptz + ((i::bigint * 7919) % (699 * 86400)) * interval '1 second' END,
       CASE WHEN i % 3 = 0 THEN 'olive.operator@raxx.example' ELSE 'priya.raman@raxx.example' END,
       CASE WHEN i % 20 = 0 THEN 'CW-' || (2025 + m / 12) || '-' || lpad((1 + m % 12)::text, 2, '0') END
FROM generate_series(1, :grants) AS i, LATERAL (SELECT (i / 20) % 24 AS m) AS w;

-- SC-A11 integrity job: nightly runs every day, monthly runs on the 1st at 02:00 UTC, all clean.
INSERT INTO audit_integrity_log (mode, started_at, completed_at, result, rows_verified, errors)
SELECT 'nightly', d, d + interval '11 minutes', 'pass', 20000 + (extract(doy FROM d)::int * 37) % 5000, 0
FROM generate_series('2025-01-01T01:00:00Z'::timestamptz, '2026-12-31T01:00:00Z', interval '1 day') AS d;
INSERT INTO audit_integrity_log (mode, started_at, completed_at, result, rows_verified, errors)
SELECT 'monthly', d, d + interval '34 minutes', 'pass', 600000 + extract(month FROM d)::int * 1000, 0
FROM generate_series('2025-01-01T02:00:00Z'::timestamptz, '2026-12-01T02:00:00Z', interval '1 month') AS d;

-- SC-A13 archiver: a hot export on the 3rd of each month, a Glacier export on the 4th.
INSERT INTO audit_archival_runs (started_at, completed_at, rows_archived, destination, retention_policy_label, status)
SELECT d, d + interval '47 minutes', 18000 + extract(month FROM d)::int * 250,
       's3://raxx-audit-archive/' || to_char(d, 'YYYY/MM'), 'hot-90d', 'complete'
FROM generate_series('2025-01-03T03:00:00Z'::timestamptz, '2026-12-03T03:00:00Z', interval '1 month') AS d;
INSERT INTO audit_archival_runs (started_at, completed_at, rows_archived, destination, retention_policy_label, status)
SELECT d, d + interval '2 hours 10 minutes', 18000 + extract(month FROM d)::int * 250,
       's3://raxx-audit-glacier/' || to_char(d, 'YYYY/MM'), 'cold-7y', 'complete'
FROM generate_series('2025-01-04T04:00:00Z'::timestamptz, '2026-12-04T04:00:00Z', interval '1 month') AS d;

-- The audited table: evenly spread from 2025-07-01 to the end of 2026.
INSERT INTO customer_audit_events (occurred_at, customer_id, actor, action, payload, hmac)
SELECT '2025-07-01T00:00:00Z'::timestamptz + (i::float8 * (549 * 86400) / :events) * interval '1 second',
       1000 + (i * 7) % 5000,
       (ARRAY['raptor-api','raptor-api','billing-worker','support-console'])[1 + i % 4],
       (ARRAY['login','logout','export','settings.update','api_key.rotate','invoice.view'])[1 + i % 6],
       NULL,
       md5(i::text)
FROM generate_series(1, :events) AS i;

COMMIT;
ANALYZE;
