-- 0002: the membership tables (ticket_units, breach_units, revisit_units) lose their foreign
-- keys. Nothing deletes a ticket, breach or revisit row (the archive keeps them for good), so the
-- ON DELETE CASCADE never ran; but every inserted membership row paid for the check, a lookup and
-- a key-share lock (with its WAL record) on the referenced row, at four or five rows a ticket.
-- The projector writes the memberships in the same transaction as the rows they name.
ALTER TABLE ticket_units DROP CONSTRAINT IF EXISTS ticket_units_ticket_id_fkey;
ALTER TABLE breach_units DROP CONSTRAINT IF EXISTS breach_units_event_id_fkey;
ALTER TABLE revisit_units DROP CONSTRAINT IF EXISTS revisit_units_event_id_fkey;
