-- 007_late.sql: late for every deadline missed, alerts to the party that
-- must act, and the exception list at the data-entry lock.
--
-- What each state owes is derived by fupind from the workflow files and
-- written here by fupin.sync_campaign at every start and reload, like the
-- rest of state_rule:
--   owes           every calendar id the state must be past by: its own
--                  leave_by and that of every state ahead of it on the main
--                  path (a household still in draft is late for stages 2,
--                  3, 4 and 5, not for stage 2 only)
--   party          who must act to leave it: the first role of its first
--                  forward event (village, township, city)
--   stops_at_lock  that event is data entry: after the lock
--                  nobody can move it, so it is reported once, on the
--                  township's exception list, instead of in daily digests
ALTER TABLE fupin.state_rule ADD COLUMN owes text[] NOT NULL DEFAULT '{}';
ALTER TABLE fupin.state_rule ADD COLUMN party text NOT NULL DEFAULT 'village'
    CHECK (party IN ('village', 'township', 'city'));
ALTER TABLE fupin.state_rule ADD COLUMN stops_at_lock boolean NOT NULL
    DEFAULT false;
-- Until the next sync (fupind does one at start), a state owes what it owed.
UPDATE fupin.state_rule SET owes = ARRAY[leave_by] WHERE leave_by IS NOT NULL;
CREATE INDEX state_rule_owes_idx ON fupin.state_rule USING gin (owes);

-- The exception list: what the lock left unfinished, once, for the township.
ALTER TABLE fupin.alert DROP CONSTRAINT alert_kind_check;
ALTER TABLE fupin.alert ADD CONSTRAINT alert_kind_check CHECK (kind IN
    ('reminder', 'overdue', 'escalation', 'digest', 'exception'));
