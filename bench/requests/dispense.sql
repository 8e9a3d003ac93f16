-- Dispensing one unit of a random item (of 5,000) from the benchmark pharmacy, first expiry
-- first; half of them for a patient.
SELECT 'POST' || E'\t' || '/api/v1/inventory/movements/dispense' || E'\t'
       || json_strip_nulls(json_build_object(
            'item_id', 'b3000000-0000-4000-8000-' || lpad((1 + (random() * 4999)::int)::text, 12, '0'),
            'location_id', 'b4000000-0000-4000-8000-000000000001',
            'quantity', 1,
            'patient_id', CASE WHEN random() < 0.5 THEN 'b0000000-0000-4000-8000-'
                                 || lpad((1 + (random() * (:patients - :patients / 200 - 1))::int)::text, 12, '0') END))::text
  FROM generate_series(1, 40000);
