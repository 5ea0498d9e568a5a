/// Rows whose findings name people (steps 1, 2 and 7), for the tests of issue #15's rule that
/// committed text carries no colleague's address: mallory@ holds the compliance role and an
/// admin grant without a change window, alice@ is in the auditors' group. Both users must
/// exist first.
public let personalDataFindingRows = """
INSERT INTO rbac_grants (user_id, group_id, role_id, granted_at, granted_by)
    SELECT u.id, NULL, r.id, '2026-02-01T09:00:00Z', 'root@raxx.example' FROM users u, rbac_roles r
    WHERE u.email = 'mallory@raxx.example' AND r.name = 'raptor-audit-compliance';
INSERT INTO rbac_group_members (group_id, user_id, granted_at, granted_by)
    SELECT g.id, u.id, '2026-03-01T12:00:00Z', 'ops@raxx.example' FROM rbac_groups g, users u
    WHERE g.name = 'raxx-compliance-auditors' AND u.email = 'alice@auditfirm.example';
INSERT INTO rbac_grants_audit (user_id, role_id, granted_at, granted_by, change_window_id)
    SELECT u.id, r.id, '2026-03-10T19:00:00Z', 'ops@raxx.example', NULL FROM users u, rbac_roles r
    WHERE u.email = 'mallory@raxx.example' AND r.name = 'raptor-audit-admin';
"""
