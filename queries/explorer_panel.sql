-- The indicator panel (built with the database, mutuals.infra.panel): every mutual's indicators on each
-- yearly panel date while in transition or trading, with its whole years since spin-out.
-- $scope: visible mutual ids or NULL (all).
SELECT *
FROM indicator_panel
WHERE $scope IS NULL OR list_contains($scope, mutual_id)
ORDER BY mutual_id, panel_date
