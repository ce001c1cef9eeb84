-- A mutual's financial years up to $as_of, with its five-year plan targets where set.
-- Plan years with no actuals yet are included (actual columns NULL) so the plan can be drawn in full.
-- $mutual_id, $as_of
WITH years AS (
    SELECT f.year_end, f.income_parent, f.income_other_public, f.income_non_public,
           f.income_parent + f.income_other_public + f.income_non_public AS income_total,
           f.expenditure, f.staff_costs, f.unrestricted_reserves, f.current_assets, f.current_liabilities
    FROM financials f
    WHERE f.mutual_id = $mutual_id AND f.year_end <= CAST($as_of AS DATE)
),
plan AS (
    SELECT year_end, planned_income, planned_non_parent_income
    FROM plan_targets WHERE mutual_id = $mutual_id
)
SELECT coalesce(y.year_end, p.year_end) AS year_end,
       y.income_parent, y.income_other_public, y.income_non_public, y.income_total,
       y.expenditure, y.staff_costs, y.unrestricted_reserves, y.current_assets, y.current_liabilities,
       y.unrestricted_reserves / NULLIF(y.expenditure / 12, 0) AS reserves_months,
       (y.income_total - y.expenditure) / NULLIF(y.income_total, 0) AS surplus_margin,
       y.income_total / NULLIF(lag(y.income_total) OVER (ORDER BY coalesce(y.year_end, p.year_end)), 0) - 1
           AS income_growth,
       1 - y.income_parent / NULLIF(y.income_total, 0) AS non_parent_share,
       p.planned_income, p.planned_non_parent_income,
       p.planned_non_parent_income / NULLIF(p.planned_income, 0) AS planned_non_parent_share,
       y.income_total / NULLIF(p.planned_income, 0) AS plan_delivery
FROM years y
FULL OUTER JOIN plan p ON p.year_end = y.year_end
ORDER BY 1
