-- depends: reporting_0003_monthly_rollups
-- Distinct handoffs over a range of days without reading one row per conversation: the number of
-- distinct conversations in days [a, b) of a dimension id is the sum of its daily distinct counts
-- minus the presence rows in [a, b) whose conversation was already present on an earlier day in
-- [a, b). Those "repeat" rows (a conversation handed off again on a later day in the same
-- dimension) are few; this table keeps them with the previous day of the conversation.
CREATE TABLE pgrollup_internal.reporting_handoff_repeats (
    account_id      bigint NOT NULL,
    dimension_type  text NOT NULL,
    dimension_id    bigint NOT NULL,
    conversation_id bigint NOT NULL,
    date            date NOT NULL,
    prev_date       date NOT NULL,
    PRIMARY KEY (account_id, dimension_type, dimension_id, conversation_id, date)
);
CREATE INDEX reporting_handoff_repeats_date_idx
    ON pgrollup_internal.reporting_handoff_repeats (account_id, dimension_type, date) INCLUDE (dimension_id, prev_date);
COMMENT ON TABLE pgrollup_internal.reporting_handoff_repeats IS 'Handoff presence rows (reporting_handoffs) whose conversation was also handed off on an earlier local day in the same account and dimension, with that earlier day: distinct handoffs over days [a, b) = sum of the daily counts - rows with a <= date < b and prev_date >= a. Maintained with the presence rows.';
COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.account_id IS 'reporting_events.account_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.dimension_type IS 'account, agent or inbox.';
COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.dimension_id IS 'The account id, user id or inbox id.';
COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.conversation_id IS 'reporting_events.conversation_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.date IS 'Local date of the presence row.';
COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.prev_date IS 'The latest earlier local date with a presence row of the same account, dimension and conversation.';

-- the presence rows of one conversation in one dimension, for keeping the repeats and for
-- checking a raw-edge conversation against whole days
CREATE INDEX reporting_handoffs_conversation_idx
    ON pgrollup_internal.reporting_handoffs (account_id, dimension_type, dimension_id, conversation_id, date);

INSERT INTO pgrollup_internal.reporting_handoff_repeats
       (account_id, dimension_type, dimension_id, conversation_id, date, prev_date)
SELECT x.account_id, x.dimension_type, x.dimension_id, x.conversation_id, x.date, x.prev_date
  FROM (SELECT h.account_id, h.dimension_type, h.dimension_id, h.conversation_id, h.date,
               pg_catalog.lag(h.date) OVER (PARTITION BY h.account_id, h.dimension_type, h.dimension_id, h.conversation_id
                                            ORDER BY h.date) AS prev_date
          FROM pgrollup_internal.reporting_handoffs AS h) AS x
 WHERE x.prev_date IS NOT NULL;

