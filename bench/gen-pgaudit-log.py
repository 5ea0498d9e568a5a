#!/usr/bin/env python3
"""Writes a deterministic pg_audit log export (PostgreSQL stderr format, log_line_prefix
'%m [%p] %q%u@%d ') for attest's step 6: benchmarks and the demo.

  gen-pgaudit-log.py --start 2026-01-03T00:00:00Z --end 2026-04-03T12:00:00Z --mb 1024 > out.log
  gen-pgaudit-log.py --start ... --end ... --events-per-hour 40 --gap 2026-05-16T20:00:00Z/2026-05-17T23:00:00Z

Events are evenly spaced; one line in 20 is not a pgaudit line, and a few pgaudit lines are
READ class or touch another table (so a scanner must tell them apart). --gap FROM/TO leaves
a stretch without any line (repeatable): a maintenance window, or a finding.
"""
import argparse, datetime, sys

def instant(s):
    return datetime.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z").timestamp()

ap = argparse.ArgumentParser()
ap.add_argument("--start", required=True)
ap.add_argument("--end", required=True)
g = ap.add_mutually_exclusive_group(required=True)
g.add_argument("--mb", type=float, help="approximate size in MiB")
g.add_argument("--events-per-hour", type=float)
ap.add_argument("--gap", action="append", default=[], help="FROM/TO: no lines in this stretch")
ap.add_argument("--database", default="raxx")
a = ap.parse_args()

start, end = instant(a.start), instant(a.end)
gaps = [tuple(instant(x) for x in g.split("/")) for g in a.gap]
AVG = 224  # bytes per line, measured on this generator's output
n = int(a.mb * 1048576 / AVG) if a.mb else int((end - start) / 3600 * a.events_per_hour)
step = (end - start) / max(n, 1)
db = a.database

prefix_cache = {}
out = sys.stdout
buf = []
for i in range(n):
    t = start + i * step
    if gaps and any(f <= t < e for f, e in gaps):
        continue
    sec = int(t)
    ms = int((t - sec) * 1000)
    day = sec // 86400
    p = prefix_cache.get(day)
    if p is None:
        p = datetime.datetime.fromtimestamp(day * 86400, datetime.timezone.utc).strftime("%Y-%m-%d ")
        prefix_cache = {day: p}
    s = sec % 86400
    ts = "%s%02d:%02d:%02d.%03d UTC [%d] app@%s " % (p, s // 3600, (s // 60) % 60, s % 60, ms, 2000 + i % 97, db)
    k = i % 20
    if k == 0:
        line = ts + "LOG:  connection authorized: user=app database=%s application_name=raptor-api" % db
    elif k == 1:
        line = ts + "LOG:  AUDIT: SESSION,%d,1,READ,SELECT,,,\"SELECT id, occurred_at, action FROM customer_audit_events WHERE customer_id = $1 ORDER BY occurred_at DESC LIMIT 50\",<not logged>" % i
    elif k == 2:
        line = ts + "LOG:  AUDIT: SESSION,%d,1,WRITE,UPDATE,TABLE,public.sessions,\"UPDATE sessions SET last_seen_at = $1 WHERE id = $2\",<not logged>" % i
    elif k % 3 == 0:
        line = ts + "LOG:  AUDIT: SESSION,%d,1,WRITE,INSERT,TABLE,public.customer_audit_events,\"INSERT INTO customer_audit_events (occurred_at, customer_id, actor, action, payload, hmac) VALUES ($1, $2, $3, $4, $5, $6)\",<not logged>" % i
    elif k % 3 == 1:
        line = ts + "LOG:  AUDIT: SESSION,%d,1,WRITE,INSERT,,,\"INSERT INTO customer_audit_events (occurred_at, customer_id, actor, action, payload, hmac) VALUES ($1, $2, $3, $4, $5, $6)\",<not logged>" % i
    else:
        line = ts + "LOG:  AUDIT: SESSION,%d,1,WRITE,UPDATE,TABLE,public.customer_audit_events,\"UPDATE customer_audit_events SET hmac = $1 WHERE id = $2 AND hmac IS NULL\",<not logged>" % i
    buf.append(line)
    if len(buf) >= 8192:
        out.write("\n".join(buf)); out.write("\n"); buf.clear()
if buf:
    out.write("\n".join(buf)); out.write("\n")
