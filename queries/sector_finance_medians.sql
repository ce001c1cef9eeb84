-- The sector's median reserves cover, surplus margin and income growth by financial year up to $as_of.
-- $sector, $as_of, $scope (visible mutual ids or NULL)
WITH years AS (
    SELECT f.mutual_id, f.year_end,
           f.income_parent + f.income_other_public + f.income_non_public AS income_total,
           f.expenditure, f.unrestricted_reserves
    FROM financials f JOIN mutuals m USING (mutual_id)
    WHERE m.sector = $sector AND f.year_end <= CAST($as_of AS DATE)
      AND ($scope IS NULL OR list_contains($scope, f.mutual_id))
),
ratios AS (
    SELECT year_end,
           unrestricted_reserves / NULLIF(expenditure / 12, 0) AS reserves_months,
           (income_total - expenditure) / NULLIF(income_total, 0) AS surplus_margin,
           income_total / NULLIF(lag(income_total) OVER (PARTITION BY mutual_id ORDER BY year_end), 0) - 1
               AS income_growth
    FROM years
)
SELECT year_end,
       median(reserves_months) AS reserves_months,
       median(surplus_margin) AS surplus_margin,
       median(income_growth) AS income_growth,
       count(*) AS mutuals
FROM ratios
GROUP BY year_end
ORDER BY year_end
