-- Stock levels (first page, 50) at one of the 20 benchmark locations: the pharmacy and the
-- store hold all 5,000 items, each ward ~310.
SELECT 'GET' || E'\t' || '/api/v1/inventory/stock?location_id=' || id
  FROM stock_locations, generate_series(1, 10)
 WHERE id::text LIKE 'b4000000-%'
 ORDER BY random();
