-- 011_delivery.sql: the daemon no longer writes the outbox directly.
--
-- 009_roles.sql left fupin_daemon one direct write: UPDATE of the outbox's
-- delivery columns, for notify.c's marks. Claims and marks are now the
-- SECURITY DEFINER functions fupin.alert_claim and fupin.alert_record
-- (sql/functions/70-sweep.sql, granted in 99-access.sql), which change
-- only what a delivery may change; the column grant goes.

REVOKE UPDATE (delivered_at, claimed_until, last_error, next_attempt_at)
    ON fupin.alert FROM fupin_daemon;
