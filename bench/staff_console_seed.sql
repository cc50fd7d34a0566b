-- Seeds @orgs organisations for bench/staff_console.sh: names from a few word lists, API access
-- on for four in five, an owner, an admin and a member each, and tokens in every state the
-- console shows (by the organisation's number modulo 20): none (0-2), revoked (3), reported
-- exposed (4), expired (5), expiring within 14 days (6), in a grace period (7), working (8-19),
-- a third of them with an older replaced token; one in five without API access asked for it.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TEMP TABLE n AS
  WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < @orgs)
  SELECT i FROM seq;

INSERT INTO organisations (id, name, slug, api_enabled, created_at)
SELECT i,
  CASE i % 8 WHEN 0 THEN 'Acme' WHEN 1 THEN 'Globex' WHEN 2 THEN 'Initech' WHEN 3 THEN 'Umbrella'
    WHEN 4 THEN 'Stark' WHEN 5 THEN 'Wayne' WHEN 6 THEN 'Hooli' ELSE 'Vandelay' END || ' ' ||
  CASE (i / 8) % 6 WHEN 0 THEN 'Consulting' WHEN 1 THEN 'Partners' WHEN 2 THEN 'Advisory'
    WHEN 3 THEN 'Group' WHEN 4 THEN 'Legal' ELSE 'Accountants' END || ' ' || printf('%05d', i),
  printf('org-%05d', i),
  CASE WHEN i % 5 = 0 THEN 0 ELSE 1 END,
  datetime('now', '-' || (i % 700) || ' days')
FROM n;

INSERT INTO users (id, email, name, password_hash, is_staff, created_at)
SELECT (i - 1) * 3 + r.k, r.role || printf('%05d', i) || '@client' || i || '.example',
  upper(substr(r.role, 1, 1)) || substr(r.role, 2) || ' ' || i, 'not a hash: cannot sign in', 0,
  datetime('now', '-' || (i % 700) || ' days')
FROM n, (SELECT 1 AS k, 'owner' AS role UNION ALL SELECT 2, 'admin' UNION ALL SELECT 3, 'member') r;

INSERT INTO memberships (user_id, organisation_id, role, created_at)
SELECT (i - 1) * 3 + r.k, i, r.role, datetime('now', '-' || (i % 700) || ' days')
FROM n, (SELECT 1 AS k, 'owner' AS role UNION ALL SELECT 2, 'admin' UNION ALL SELECT 3, 'member') r;

-- Older replaced tokens (revoked when replaced).
INSERT INTO api_tokens (organisation_id, digest, display_prefix, created_by, created_at,
  created_session, reveal_until, superseded_at, revoked_at, revoked_reason)
SELECT i, 'old-' || i, 'pulse_old' || i, (i - 1) * 3 + 1, datetime('now', '-400 days'), 'bench',
  datetime('now', '-400 days'), datetime('now', '-200 days'), datetime('now', '-200 days'), 'regenerated'
FROM n WHERE i % 3 = 0 AND i % 20 >= 3;

-- Stopped tokens: revoked (3) and reported exposed (4).
INSERT INTO api_tokens (organisation_id, digest, display_prefix, created_by, created_at,
  created_session, reveal_until, superseded_at, revoked_at, revoked_reason)
SELECT i, 'stopped-' || i, 'pulse_stp' || i, (i - 1) * 3 + 1, datetime('now', '-100 days'), 'bench',
  datetime('now', '-100 days'), datetime('now', '-2 days'), datetime('now', '-2 days'),
  CASE i % 20 WHEN 3 THEN 'revoked' ELSE 'exposed' END
FROM n WHERE i % 20 IN (3, 4);

-- Replaced tokens still in their grace period (7).
INSERT INTO api_tokens (organisation_id, digest, display_prefix, created_by, created_at,
  created_session, reveal_until, superseded_at, grace_until)
SELECT i, 'grace-' || i, 'pulse_grc' || i, (i - 1) * 3 + 1, datetime('now', '-100 days'), 'bench',
  datetime('now', '-100 days'), datetime('now', '-1 hours'), datetime('now', '+23 hours')
FROM n WHERE i % 20 = 7;

-- Current tokens: expired (5), expiring (6), working (7-19; some with a distant expiry).
INSERT INTO api_tokens (organisation_id, digest, display_prefix, created_by, created_at,
  created_session, reveal_until, expires_at, last_used_at)
SELECT i, 'current-' || i, 'pulse_cur' || i, (i - 1) * 3 + 1, datetime('now', '-30 days'), 'bench',
  datetime('now', '-30 days'),
  CASE WHEN i % 20 = 5 THEN datetime('now', '-3 days') WHEN i % 20 = 6 THEN datetime('now', '+7 days')
    WHEN i % 2 = 0 THEN datetime('now', '+300 days') END,
  datetime('now', '-1 hours')
FROM n WHERE i % 20 >= 5;

-- Open requests for API access from a fifth of the organisations without it.
INSERT INTO api_access_requests (organisation_id, requested_by, note, created_at)
SELECT i, (i - 1) * 3 + 1, 'We would like to connect Power BI.', datetime('now', '-' || (i % 30) || ' days')
FROM n WHERE i % 25 = 0;
COMMIT;
