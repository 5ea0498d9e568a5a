-- Reference schema of the Raptor audit system tables that the SOC-2 quarterly attestation
-- runbook queries (steps 1–7), with every column the runbook names. attest's tests and demo
-- load this file; attest itself assumes no more than the runbook's queries do (ids may be
-- integers, UUIDs or text, as long as the joins in the runbook work).

CREATE TABLE users (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT '2025-01-01T00:00:00Z'
);

CREATE TABLE rbac_roles (
    id    bigserial PRIMARY KEY,
    name  text NOT NULL UNIQUE          -- raptor-audit-compliance, raptor-audit-admin, …
);

CREATE TABLE rbac_groups (
    id    bigserial PRIMARY KEY,
    name  text NOT NULL UNIQUE          -- raxx-compliance-auditors, …
);

-- Step 1 and 2: group membership.
CREATE TABLE rbac_group_members (
    group_id    bigint NOT NULL REFERENCES rbac_groups (id),
    user_id     bigint NOT NULL REFERENCES users (id),
    granted_at  timestamptz NOT NULL,
    granted_by  text NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

-- Step 1: current role grants, to a user directly (group_id IS NULL) or through a group.
CREATE TABLE rbac_grants (
    id          bigserial PRIMARY KEY,
    user_id     bigint REFERENCES users (id),
    group_id    bigint REFERENCES rbac_groups (id),
    role_id     bigint NOT NULL REFERENCES rbac_roles (id),
    granted_at  timestamptz NOT NULL,
    granted_by  text NOT NULL,
    CHECK (user_id IS NOT NULL OR group_id IS NOT NULL)
);

-- Step 7: every grant ever made, with the change window it was made in.
CREATE TABLE rbac_grants_audit (
    id                bigserial PRIMARY KEY,
    user_id           bigint NOT NULL REFERENCES users (id),
    role_id           bigint NOT NULL REFERENCES rbac_roles (id),
    granted_at        timestamptz NOT NULL,
    granted_by        text NOT NULL,
    change_window_id  text            -- an id of docs/ops/runbooks/deploy-freeze.md, or NULL
);
CREATE INDEX rbac_grants_audit_granted_at ON rbac_grants_audit (granted_at);

-- Step 3: SC-A11 HMAC chain verification runs (jobs/audit_integrity_check.py).
CREATE TABLE audit_integrity_log (
    run_id         bigserial PRIMARY KEY,
    mode           text NOT NULL,      -- 'nightly' | 'monthly'
    started_at     timestamptz NOT NULL,
    completed_at   timestamptz,
    result         text,               -- 'pass' | 'fail'
    rows_verified  bigint,
    errors         integer,
    chain_error    text,
    kms_error      text
);
CREATE INDEX audit_integrity_log_mode_started ON audit_integrity_log (mode, started_at);

-- Steps 4 and 5: SC-A13 archiver manifest.
CREATE TABLE audit_archival_runs (
    run_id                  bigserial PRIMARY KEY,
    started_at              timestamptz NOT NULL,
    completed_at            timestamptz,
    rows_archived           bigint,
    destination             text NOT NULL,   -- s3://raxx-audit-archive/…, s3://raxx-audit-glacier/…
    retention_policy_label  text,
    status                  text NOT NULL    -- 'running' | 'complete' | 'failed'
);
CREATE INDEX audit_archival_runs_started ON audit_archival_runs (started_at);

-- Steps 5 and 6: the audited table (hot rows; older rows are archived out).
CREATE TABLE customer_audit_events (
    id           bigserial PRIMARY KEY,
    occurred_at  timestamptz NOT NULL,
    customer_id  bigint NOT NULL,
    actor        text NOT NULL,
    action       text NOT NULL,
    payload      jsonb,
    hmac         text
);
CREATE INDEX customer_audit_events_occurred_at ON customer_audit_events (occurred_at);

-- CC6.3 (attest step 8, docs/controls.md): when access was removed. The deprovisioning runbook
-- records each grant or membership it deletes from rbac_grants / rbac_group_members here, so
-- the time from notice to removal can be checked (policy controls.removalQuery reads it).
CREATE TABLE rbac_revocations (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    role_id     bigint REFERENCES rbac_roles (id),
    group_id    bigint REFERENCES rbac_groups (id),
    revoked_at  timestamptz NOT NULL,
    revoked_by  text NOT NULL
);
