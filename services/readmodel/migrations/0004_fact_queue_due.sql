-- 0004: the fact store finds the queue rows that are due (statistics.fold_delay old) by their
-- time, not by walking every younger row in seq order. (The facts of 0003 are derived from the
-- events under the organisation they were folded in: a month recomputed under the same
-- organisation gives the same rows; a fact keeps the unit path it was folded with.)
CREATE INDEX fact_queue_due ON fact_queue (queued_at);
