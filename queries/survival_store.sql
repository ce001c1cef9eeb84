-- Store the survival events (build time, mutuals.infra.panel): per mutual, its spin-out date, the date it
-- ceased, whether it has a former parent, and the end date of the first contract with that parent that
-- ended in one of $parent_loss_outcomes (lost at re-tender, handed back). queries/explorer_survival.sql
-- turns these into (start, stop, event) for an as-of date.
CREATE TABLE survival_events AS
SELECT m.mutual_id,
       m.spin_out_date,
       CASE WHEN m.status = 'ceased' THEN m.ceased_date END AS ceased_date,
       m.parent_commissioner_id IS NOT NULL AS has_parent,
       (SELECT min(c.end_date) FROM contracts c
        WHERE c.mutual_id = m.mutual_id AND c.commissioner_id = m.parent_commissioner_id
          AND list_contains(CAST($parent_loss_outcomes AS VARCHAR[]), c.outcome)) AS parent_loss_date
FROM mutuals m
ORDER BY m.mutual_id
