-- The explorer's mutuals: public attributes only, with the kind of the former parent.
-- $scope: visible mutual ids or NULL (all).
SELECT m.mutual_id, m.name, m.sector, m.region, m.legal_form, m.ownership_model,
       coalesce(c.kind, 'none') AS parent_kind,
       m.spin_out_date, year(m.spin_out_date) AS spin_out_year, m.staff_count, m.status, m.ceased_date
FROM mutuals m
LEFT JOIN commissioners c ON c.commissioner_id = m.parent_commissioner_id
WHERE $scope IS NULL OR list_contains($scope, m.mutual_id)
ORDER BY m.mutual_id
