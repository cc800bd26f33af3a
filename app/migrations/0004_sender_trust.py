"""Sender trust and account control: `held` deliveries with their reason, an owner set by
import or release, and disabled users. Only additions (the wider CHECK still admits every
status an older release writes), so a rollback runs on this schema."""

# Can the release before this one run on the migrated schema? (only additions)
PREVIOUS_RELEASE_RUNS = True


def up(db, ctx):
    db.execute_sql("""
ALTER TABLE inbound_events DROP CONSTRAINT IF EXISTS inbound_events_status_check;
ALTER TABLE inbound_events ADD CONSTRAINT inbound_events_status_check
  CHECK (status IN ('received', 'processing', 'done', 'failed', 'rejected', 'held'));
ALTER TABLE inbound_events ADD COLUMN hold_reason text,
  ADD COLUMN owner_id bigint REFERENCES users ON DELETE SET NULL;
CREATE INDEX inbound_events_held ON inbound_events (sender, id) WHERE status = 'held';
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
""")
