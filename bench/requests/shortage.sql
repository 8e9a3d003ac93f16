-- A nurse's report of a shortage of a random item at a random ward store.
SELECT 'POST' || E'\t' || '/api/v1/inventory/shortages' || E'\t'
       || json_build_object(
            'item_id', 'b3000000-0000-4000-8000-' || lpad((1 + (random() * 4999)::int)::text, 12, '0'),
            'location_id', 'b4000000-0000-4000-8000-' || lpad((3 + (random() * 17)::int)::text, 12, '0'),
            'severity', (ARRAY['low', 'medium', 'high'])[1 + (random() * 2)::int],
            'note', 'Running low on the ward (benchmark)')::text
  FROM generate_series(1, 40000);
