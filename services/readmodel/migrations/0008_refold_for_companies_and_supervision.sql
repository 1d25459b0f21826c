-- 0008: every ticket already projected is folded again (issue #16, session 15): the company
-- records are now kept under the credit code (0005) and the response rate counts supervision
-- rounds, so facts folded before differ from what the events now say. The fact store works
-- through the queue in the background; no month is closed (0006) while it is behind.
INSERT INTO fact_queue (ticket_id) SELECT ticket_id FROM tickets ORDER BY accepted_at;
