-- Sustainability indicators, one row per mutual that appears as of $as_of.
-- Definitions: mutuals/config/indicators.toml and the methodology page.
-- Parameters:
--   $as_of            DATE     the as-of date D
--   $min_respondents  INTEGER  waves whose scored groups have fewer respondents are suppressed
--   $days_per_month   DOUBLE   30.4375
--   $window_days      INTEGER  the expiry window (value_ending_12m_share), in days
--   $innovation_days  INTEGER  the innovation look-back, in days
--   $early_peak_max_change DOUBLE   early peak: change from peak at or below this ...
--   $early_peak_phases     VARCHAR[] ... with the peak wave in one of these phases
--   $scope            VARCHAR[] or NULL: the mutual ids this user may see (NULL = all)
--   $sectors          VARCHAR[] or NULL: filter on sector (NULL = all)
--   $regions          VARCHAR[] or NULL: filter on region (NULL = all)
--   $commissioner     VARCHAR or NULL: only this commissioner's portfolio (mutuals it
--                     spun out, plus those with a contract from it active on D)
WITH params AS (
    SELECT CAST($as_of AS DATE) AS d,
           CAST($days_per_month AS DOUBLE) AS dpm,
           CAST($window_days AS INTEGER) AS window_days,
           CAST($innovation_days AS INTEGER) AS innovation_days
),
m AS (
    SELECT mu.*,
           p.d, p.dpm, p.window_days, p.innovation_days,
           CASE WHEN mu.status = 'ceased' AND mu.ceased_date <= p.d THEN 'ceased'
                WHEN mu.spin_out_date > p.d THEN 'pre_spin_out'
                ELSE 'trading' END AS stage
    FROM mutuals mu CROSS JOIN params p
    WHERE coalesce(mu.options_appraisal_date, mu.spin_out_date) <= p.d
      AND ($scope IS NULL OR list_contains($scope, mu.mutual_id))
      AND ($sectors IS NULL OR list_contains($sectors, mu.sector))
      AND ($regions IS NULL OR list_contains($regions, mu.region))
      AND ($commissioner IS NULL
           OR mu.parent_commissioner_id = $commissioner
           OR EXISTS (SELECT 1 FROM contracts c
                      WHERE c.mutual_id = mu.mutual_id AND c.commissioner_id = $commissioner
                        AND c.start_date <= p.d AND p.d <= c.end_date))
),
-- Finance --------------------------------------------------------------------
fin AS (
    SELECT f.*,
           f.income_parent + f.income_other_public + f.income_non_public AS income_total,
           row_number() OVER (PARTITION BY f.mutual_id ORDER BY f.year_end DESC) AS rn
    FROM financials f JOIN m USING (mutual_id)
    WHERE f.year_end <= m.d
),
fin_latest AS (
    SELECT cur.mutual_id,
           cur.year_end AS financial_year_end,
           cur.income_total,
           cur.income_parent,
           cur.expenditure,
           cur.staff_costs,
           cur.unrestricted_reserves,
           prev.income_total AS previous_income_total
    FROM fin cur LEFT JOIN fin prev ON prev.mutual_id = cur.mutual_id AND prev.rn = 2
    WHERE cur.rn = 1
),
-- Leadership and strategy -----------------------------------------------------
plan_year AS (
    SELECT f.mutual_id, f.year_end AS plan_year_end, f.income_total, f.income_parent,
           t.planned_income, t.planned_non_parent_income,
           row_number() OVER (PARTITION BY f.mutual_id ORDER BY f.year_end DESC) AS rn
    FROM fin f JOIN plan_targets t ON t.mutual_id = f.mutual_id AND t.year_end = f.year_end
),
plan_latest AS (SELECT * FROM plan_year WHERE rn = 1),
sessions AS (
    SELECT s.mutual_id, max(s.session_date) AS last_session_date
    FROM strategy_sessions s JOIN m USING (mutual_id)
    WHERE s.session_date <= m.d
    GROUP BY s.mutual_id
),
-- Staff engagement and ownership ------------------------------------------------
scored_waves AS (
    -- The waves as shown (the shown_waves macro of schema.sql: the one definition of a wave's
    -- shown score; a wave whose scored groups have fewer than $min_respondents respondents is
    -- suppressed, its score NULL).
    SELECT w.mutual_id, w.survey_date, w.phase, w.respondents, w.eligible_staff,
           w.engagement_score AS score,
           row_number() OVER (PARTITION BY w.mutual_id ORDER BY w.survey_date DESC) AS rn_latest
    FROM shown_waves(CAST($min_respondents AS INTEGER)) w JOIN m USING (mutual_id)
    WHERE w.survey_date <= m.d
),
peak AS (
    SELECT mutual_id, max(score) AS peak_score
    FROM scored_waves WHERE score IS NOT NULL
    GROUP BY mutual_id
),
peak_wave AS (
    -- The earliest wave that reached the peak score.
    SELECT s.mutual_id, min(s.survey_date) AS peak_survey_date, any_value(p.peak_score) AS peak_score
    FROM scored_waves s JOIN peak p ON p.mutual_id = s.mutual_id AND s.score = p.peak_score
    GROUP BY s.mutual_id
),
eng AS (
    SELECT l.mutual_id,
           l.survey_date AS latest_survey_date,
           l.phase AS latest_wave_phase,
           l.respondents AS latest_wave_respondents,
           l.score AS engagement_score,
           l.score - pw.peak_score AS engagement_change_from_peak,
           pw.peak_score,
           pw.peak_survey_date,
           pk.phase AS peak_phase,
           l.respondents / NULLIF(l.eligible_staff, 0) AS response_rate
    FROM scored_waves l
    LEFT JOIN peak_wave pw ON pw.mutual_id = l.mutual_id
    LEFT JOIN scored_waves pk ON pk.mutual_id = pw.mutual_id AND pk.survey_date = pw.peak_survey_date
    WHERE l.rn_latest = 1
),
innov AS (
    SELECT i.mutual_id, count(*) AS staff_innovations_embedded_12m
    FROM innovations i JOIN m USING (mutual_id)
    WHERE i.origin = 'staff' AND i.status = 'embedded'
      AND i.innovation_date > m.d - m.innovation_days AND i.innovation_date <= m.d
    GROUP BY i.mutual_id
),
-- Commissioner relationship ---------------------------------------------------
active AS (
    SELECT c.*, m.d, m.dpm, m.window_days
    FROM contracts c JOIN m USING (mutual_id)
    WHERE c.start_date <= m.d AND m.d <= c.end_date
),
by_commissioner AS (
    SELECT mutual_id, commissioner_id, sum(annual_value) AS value
    FROM active GROUP BY mutual_id, commissioner_id
),
contract_totals AS (
    SELECT a.mutual_id,
           count(*) AS active_contracts,
           sum(a.annual_value) AS active_contract_value,
           sum(CASE WHEN a.end_date <= a.d + a.window_days THEN a.annual_value ELSE 0 END) AS value_ending_12m
    FROM active a GROUP BY a.mutual_id
),
main_contract AS (
    -- The active contract with the largest annual value; ties go to the earliest end.
    SELECT * FROM (
        SELECT a.*, row_number() OVER (PARTITION BY a.mutual_id
                                       ORDER BY a.annual_value DESC, a.end_date, a.contract_id) AS rn
        FROM active a)
    WHERE rn = 1
),
largest AS (
    SELECT mutual_id, max(value) AS largest_commissioner_value
    FROM by_commissioner GROUP BY mutual_id
),
reviews AS (
    -- The latest review up to D; two reviews on that day are averaged.
    SELECT mutual_id, review_date AS last_review_date, avg(rating) AS relationship_rating
    FROM (SELECT r.mutual_id, r.review_date, r.rating,
                 max(r.review_date) OVER (PARTITION BY r.mutual_id) AS latest
          FROM relationship_reviews r JOIN m USING (mutual_id)
          WHERE r.review_date <= m.d)
    WHERE review_date = latest
    GROUP BY mutual_id, review_date
)
SELECT
    m.mutual_id, m.name, m.sector, m.region, m.stage,
    m.legal_form, m.ownership_model, m.parent_commissioner_id,
    m.options_appraisal_date, m.spin_out_date, year(m.spin_out_date) AS spin_out_year,
    m.staff_count, m.status, m.ceased_date,
    m.d AS as_of,
    -- Leadership and strategy
    pl.income_total / NULLIF(pl.planned_income, 0) AS plan_delivery,
    (1 - pl.income_parent / NULLIF(pl.income_total, 0))
        - pl.planned_non_parent_income / NULLIF(pl.planned_income, 0) AS non_parent_share_vs_plan,
    date_diff('day', s.last_session_date, m.d) / m.dpm AS months_since_strategy_session,
    -- Staff engagement and ownership
    e.engagement_score,
    e.engagement_change_from_peak,
    coalesce(list_contains(CAST($early_peak_phases AS VARCHAR[]), e.peak_phase)
             AND round(e.engagement_change_from_peak, 9) <= CAST($early_peak_max_change AS DOUBLE), false)
        AS early_peak,
    e.response_rate,
    coalesce(i.staff_innovations_embedded_12m, 0) * 100.0 / NULLIF(m.staff_count, 0) AS innovations_per_100_staff,
    m.member_share,
    -- Commissioner relationship
    fl.income_parent / NULLIF(fl.income_total, 0) AS parent_income_share,
    lg.largest_commissioner_value / NULLIF(ct.active_contract_value, 0) AS largest_commissioner_share,
    date_diff('day', m.d, mc.end_date) / m.dpm AS months_to_main_contract_end,
    ct.value_ending_12m / NULLIF(ct.active_contract_value, 0) AS value_ending_12m_share,
    date_diff('day', rv.last_review_date, m.d) / m.dpm AS months_since_relationship_review,
    rv.relationship_rating,
    -- Finance
    fl.unrestricted_reserves / NULLIF(fl.expenditure / 12, 0) AS reserves_months,
    (fl.income_total - fl.expenditure) / NULLIF(fl.income_total, 0) AS surplus_margin,
    fl.income_total / NULLIF(fl.previous_income_total, 0) - 1 AS income_growth,
    -- Evidence dates: the dated row each indicator rests on (its age decides staleness)
    pl.plan_year_end AS plan_delivery_evidence_date,
    pl.plan_year_end AS non_parent_share_vs_plan_evidence_date,
    e.latest_survey_date AS engagement_score_evidence_date,
    e.latest_survey_date AS engagement_change_from_peak_evidence_date,
    e.latest_survey_date AS response_rate_evidence_date,
    fl.financial_year_end AS parent_income_share_evidence_date,
    rv.last_review_date AS relationship_rating_evidence_date,
    fl.financial_year_end AS reserves_months_evidence_date,
    fl.financial_year_end AS surplus_margin_evidence_date,
    fl.financial_year_end AS income_growth_evidence_date,
    -- Context for explanations and portfolio figures
    pl.plan_year_end,
    fl.financial_year_end,
    fl.income_total,
    fl.expenditure,
    s.last_session_date,
    e.latest_survey_date,
    e.latest_wave_phase,
    e.latest_wave_respondents,
    e.peak_score,
    e.peak_survey_date,
    e.peak_phase,
    coalesce(ct.active_contracts, 0) AS active_contracts,
    coalesce(ct.active_contract_value, 0) AS active_contract_value,
    ct.value_ending_12m,
    mc.contract_id AS main_contract_id,
    mc.commissioner_id AS main_contract_commissioner_id,
    mc.annual_value AS main_contract_value,
    mc.end_date AS main_contract_end_date,
    mc.outcome AS main_contract_outcome,
    rv.last_review_date
FROM m
LEFT JOIN fin_latest fl ON fl.mutual_id = m.mutual_id
LEFT JOIN plan_latest pl ON pl.mutual_id = m.mutual_id
LEFT JOIN sessions s ON s.mutual_id = m.mutual_id
LEFT JOIN eng e ON e.mutual_id = m.mutual_id
LEFT JOIN innov i ON i.mutual_id = m.mutual_id
LEFT JOIN contract_totals ct ON ct.mutual_id = m.mutual_id
LEFT JOIN main_contract mc ON mc.mutual_id = m.mutual_id
LEFT JOIN largest lg ON lg.mutual_id = m.mutual_id
LEFT JOIN reviews rv ON rv.mutual_id = m.mutual_id
ORDER BY m.mutual_id
