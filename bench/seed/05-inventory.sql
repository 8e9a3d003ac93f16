-- Inventory: 5,000 items (60 % drugs kept by lot, three lots each: one expired, two not), a
-- pharmacy and a central store holding every item, 18 ward stores holding ~310 items each, and
-- :movements movements over three years: opening receipts into the pharmacy and the store,
-- store-to-ward transfers, and dispensing from the pharmacy (40 % for a patient) and the wards,
-- first expiry first. Receipts and transfers are sized from what is dispensed later, so every
-- balance ends non-negative; stock_balances is then the sum of the ledger, as the API keeps it.
-- About 5 % of the ward holdings end at or below their reorder level, each with the automatic
-- shortage a movement would have opened.

CREATE TEMP TABLE vocab AS SELECT
  ARRAY['Amoxicillin', 'Paracetamol', 'Ibuprofen', 'Metformin', 'Amlodipine', 'Atorvastatin',
        'Omeprazole', 'Salbutamol', 'Levothyroxine', 'Sertraline', 'Ceftriaxone', 'Enoxaparin',
        'Furosemide', 'Morphine', 'Insulin glargine', 'Heparin', 'Ondansetron', 'Prednisolone',
        'Vancomycin', 'Gentamicin', 'Diazepam', 'Tramadol', 'Bisoprolol', 'Ramipril',
        'Clopidogrel', 'Apixaban', 'Warfarin', 'Metronidazole', 'Ciprofloxacin', 'Doxycycline']::text[] AS drugs,
  ARRAY['5 mg', '10 mg', '20 mg', '50 mg', '100 mg', '250 mg', '500 mg', '1 g', '40 mg/0.4 ml',
        '100 units/ml']::text[] AS strengths,
  ARRAY['tablets', 'capsules', 'injection', 'oral solution', 'infusion']::text[] AS forms,
  ARRAY['tablet', 'capsule', 'vial', 'bottle', 'bag']::text[] AS drug_units,
  ARRAY['Nitrile gloves', 'Gauze swabs', 'Syringe', 'IV cannula', 'Dressing pack',
        'Urinary catheter', 'Face masks', 'Suture kit', 'Blood collection tube', 'Bandage',
        'Alcohol wipes', 'Oxygen mask', 'Specimen pot', 'Sharps bin', 'Tape']::text[] AS supplies,
  ARRAY['size S', 'size M', 'size L', '5 ml', '10 ml', '20G', '22G', '10 x 10 cm', 'adult',
        'paediatric']::text[] AS sizes,
  ARRAY['Infusion pump', 'Pulse oximeter', 'Thermometer', 'Blood pressure cuff', 'Nebuliser',
        'Suction unit', 'Glucometer', 'Wheelchair']::text[] AS equipment;

INSERT INTO stock_locations (id, code, name, kind)
SELECT pg_temp.bid('b4000000', l),
       CASE l WHEN 1 THEN 'B-PHARM' WHEN 2 THEN 'B-STORE' ELSE 'B-WARD-' || lpad((l - 2)::text, 2, '0') END,
       CASE l WHEN 1 THEN 'Benchmark pharmacy' WHEN 2 THEN 'Benchmark central store'
              ELSE 'Benchmark ward ' || lpad((l - 2)::text, 2, '0') || ' store' END,
       CASE l WHEN 1 THEN 'pharmacy' WHEN 2 THEN 'store' ELSE 'ward' END
  FROM generate_series(1, 20) AS l;

INSERT INTO stock_items (id, sku, name, category, unit, reorder_level, reorder_quantity, critical,
                         lot_tracked, created_at, updated_at)
SELECT pg_temp.bid('b3000000', n),
       'BX-' || lpad(n::text, 5, '0'),
       CASE c.category
         WHEN 'drug' THEN pg_temp.pick(v.drugs, pg_temp.r(n, 101, 1000)) || ' '
                          || pg_temp.pick(v.strengths, pg_temp.r(n, 102, 1000)) || ' '
                          || pg_temp.pick(v.forms, pg_temp.r(n, 103, 1000))
         WHEN 'supply' THEN pg_temp.pick(v.supplies, pg_temp.r(n, 104, 1000)) || ', '
                            || pg_temp.pick(v.sizes, pg_temp.r(n, 105, 1000))
         ELSE pg_temp.pick(v.equipment, pg_temp.r(n, 106, 1000)) END
         || ' (' || n || ')',
       c.category,
       CASE c.category WHEN 'drug' THEN pg_temp.pick(v.drug_units, pg_temp.r(n, 107, 1000))
                       WHEN 'supply' THEN 'box' ELSE 'each' END,
       20 + pg_temp.r(n, 108, 180),
       200 + pg_temp.r(n, 109, 800),
       pg_temp.r(n, 110, 20) = 0,
       c.category = 'drug',
       now() - interval '3 years 1 month', now() - interval '3 years 1 month'
  FROM generate_series(1, 5000) AS n
 CROSS JOIN vocab v
 CROSS JOIN LATERAL (SELECT CASE WHEN n % 20 < 12 THEN 'drug' WHEN n % 20 < 19 THEN 'supply'
                                 ELSE 'equipment' END AS category) c;

-- Lot k of drug n: 1 expired (10-310 days ago), 2 expiring in 2-13 months, 3 in 13-36 months.
INSERT INTO stock_lots (id, item_id, lot_number, expires_on, created_at)
SELECT pg_temp.bid('b5000000', n * 10 + k), pg_temp.bid('b3000000', n),
       'L' || lpad(n::text, 5, '0') || '-' || k,
       CASE k WHEN 1 THEN current_date - (10 + pg_temp.r(n, 111, 300))
              WHEN 2 THEN current_date + (60 + pg_temp.r(n, 112, 340))
              ELSE current_date + (400 + pg_temp.r(n, 113, 700)) END,
       now() - interval '3 years'
  FROM generate_series(1, 5000) AS n, generate_series(1, 3) AS k
 WHERE n % 20 < 12;

-- Where stock is held: (item n, location l, lot k or 0 for unlotted items).
CREATE TEMP TABLE holdings AS
SELECT n, l, k
  FROM generate_series(1, 5000) AS n
 CROSS JOIN generate_series(1, 20) AS l
 CROSS JOIN LATERAL (SELECT k FROM generate_series(1, 3) AS k WHERE n % 20 < 12 AND (l <= 2 OR k <= 2)
                     UNION ALL SELECT 0 WHERE n % 20 >= 12) AS lots
 WHERE l <= 2 OR pg_temp.r(n, 100 + l, 16) = 0;

-- The (item, ward) pairs, numbered, for picking one at random.
CREATE TEMP TABLE ward_items AS
SELECT (row_number() OVER (ORDER BY n, l) - 1)::int AS i, n, l
  FROM (SELECT DISTINCT n, l FROM holdings WHERE l > 2) AS x;
CREATE UNIQUE INDEX ON ward_items (i);

CREATE TEMP TABLE lot_expiry AS
SELECT n, k, expires_on
  FROM generate_series(1, 5000) AS n
 CROSS JOIN generate_series(1, 3) AS k
  JOIN stock_lots sl ON sl.id = pg_temp.bid('b5000000', n * 10 + k);
CREATE UNIQUE INDEX ON lot_expiry (n, k);

-- Receipts: one per central holding; transfers: one per ward holding. The rest are dispenses.
CREATE TEMP TABLE counts AS
SELECT (SELECT count(*) FROM holdings WHERE l <= 2) AS receipts,
       (SELECT count(*) FROM holdings WHERE l > 2) AS transfers,
       (SELECT count(*) FROM ward_items) AS ward_pairs,
       (:patients - :patients / 200)::bigint AS active_patients;

CREATE TEMP TABLE dispenses AS
SELECT m, x.n, x.l,
       CASE WHEN x.n % 20 >= 12 THEN 0
            WHEN e1.expires_on > (x.at AT TIME ZONE :'tz')::date THEN 1 ELSE 2 END AS k,
       CASE WHEN x.l = 1 THEN 1 + pg_temp.r(m, 121, 10) ELSE 1 + pg_temp.r(m, 121, 4) END AS qty,
       CASE WHEN x.l = 1 AND pg_temp.r(m, 122, 10) < 4
            THEN pg_temp.bid('b0000000', 1 + pg_temp.r(m, 123, c.active_patients::int)) END AS patient,
       x.at
  FROM counts c
 CROSS JOIN LATERAL generate_series(1, :movements - c.receipts - c.transfers) AS m
 CROSS JOIN LATERAL (
       SELECT CASE WHEN pg_temp.r(m, 124, 10) < 7 THEN 1 + pg_temp.r(m, 125, 5000) ELSE w.n END AS n,
              CASE WHEN pg_temp.r(m, 124, 10) < 7 THEN 1 ELSE w.l END AS l,
              now() - make_interval(mins => 60 + pg_temp.r(m, 126, 3 * 365 * 1440 - 60)) AS at
         FROM ward_items w WHERE w.i = pg_temp.r(m, 127, c.ward_pairs::int)) x
  LEFT JOIN lot_expiry e1 ON e1.n = x.n AND e1.k = 1;

CREATE TEMP TABLE outflow AS
SELECT n, l, k, sum(qty)::bigint AS qty FROM dispenses GROUP BY n, l, k;
CREATE UNIQUE INDEX ON outflow (n, l, k);

-- What each holding keeps at the end. Wards: above the reorder level, except ~5 % of the
-- holdings of the usable lot; expired lots keep a little.
CREATE TEMP TABLE leftover AS
SELECT h.n, h.l, h.k,
       CASE WHEN h.k = 1 THEN pg_temp.r(h.n * 100 + h.l, 131, 30)
            WHEN h.l > 2 AND pg_temp.r(h.n * 100 + h.l, 132, 20) = 0 THEN pg_temp.r(h.n * 100 + h.l, 133, i.reorder_level)
            WHEN h.l > 2 THEN i.reorder_level + 10 + pg_temp.r(h.n * 100 + h.l, 134, 300)
            WHEN h.l = 1 THEN 1000 + pg_temp.r(h.n * 100 + h.l, 135, 3000)
            ELSE 500 + pg_temp.r(h.n * 100 + h.l, 136, 3000) END::bigint AS qty
  FROM holdings h
  JOIN stock_items i ON i.id = pg_temp.bid('b3000000', h.n);

-- Transfers into the wards cover their dispensing and what they keep; receipts into the
-- pharmacy and the store cover dispensing, transfers out, and what they keep.
CREATE TEMP TABLE transfers AS
SELECT o.n, o.l, o.k, o.qty + coalesce(d.qty, 0) AS qty
  FROM leftover o LEFT JOIN outflow d USING (n, l, k) WHERE o.l > 2;

CREATE TEMP TABLE receipts AS
SELECT o.n, o.l, o.k,
       o.qty + coalesce(d.qty, 0) + CASE WHEN o.l = 2 THEN coalesce(t.qty, 0) ELSE 0 END AS qty
  FROM leftover o
  LEFT JOIN outflow d USING (n, l, k)
  LEFT JOIN (SELECT n, k, sum(qty) AS qty FROM transfers GROUP BY n, k) t USING (n, k)
 WHERE o.l <= 2;

-- Every movement, in time order: receipts 3 years ago, transfers a day later, then dispensing.
CREATE TEMP TABLE plan AS
SELECT row_number() OVER (ORDER BY at, kind, n, l, k) AS id, *
  FROM (SELECT 'receive' AS kind, n, NULL::int AS from_l, l AS to_l, k, qty::int AS qty, NULL::uuid AS patient,
               now() - interval '3 years' + make_interval(mins => pg_temp.r(n * 100 + l * 10 + k, 141, 600)) AS at, l
          FROM receipts WHERE qty > 0
        UNION ALL
        SELECT 'transfer', n, 2, l, k, qty::int, NULL,
               now() - interval '3 years' + interval '1 day' + make_interval(mins => pg_temp.r(n * 100 + l * 10 + k, 142, 600)), l
          FROM transfers WHERE qty > 0
        UNION ALL
        SELECT 'dispense', n, l, NULL, k, qty, patient, at, l
          FROM dispenses) AS all_moves;

INSERT INTO stock_movements (id, kind, item_id, from_location_id, to_location_id, quantity,
                             patient_id, reason, performed_by, performed_at)
SELECT pg_temp.bid('b6000000', p.id), p.kind, pg_temp.bid('b3000000', p.n),
       CASE WHEN p.from_l IS NOT NULL THEN pg_temp.bid('b4000000', p.from_l) END,
       CASE WHEN p.to_l IS NOT NULL THEN pg_temp.bid('b4000000', p.to_l) END,
       p.qty, p.patient,
       CASE p.kind WHEN 'receive' THEN 'Opening balance' WHEN 'transfer' THEN 'Ward top-up' END,
       CASE WHEN p.kind = 'dispense' AND p.from_l > 2 THEN staff.nurse ELSE staff.pharmacist END,
       p.at
  FROM plan p
 CROSS JOIN (SELECT (SELECT id FROM users WHERE email = 'pharmacist@demo.hms') AS pharmacist,
                    (SELECT id FROM users WHERE email = 'nurse@demo.hms') AS nurse) staff
 ORDER BY p.id;

INSERT INTO stock_ledger (movement_id, item_id, lot_id, location_id, delta)
SELECT pg_temp.bid('b6000000', p.id), pg_temp.bid('b3000000', p.n),
       CASE WHEN p.k > 0 THEN pg_temp.bid('b5000000', p.n * 10 + p.k) END,
       pg_temp.bid('b4000000', line.l), line.delta
  FROM plan p
 CROSS JOIN LATERAL (
       SELECT p.to_l AS l, p.qty AS delta WHERE p.kind IN ('receive', 'transfer')
       UNION ALL
       SELECT p.from_l, -p.qty WHERE p.kind IN ('dispense', 'transfer')) AS line
 ORDER BY p.id;

-- Balances are the ledger's sums (only the benchmark's rows: the demo inventory keeps its own).
INSERT INTO stock_balances (item_id, lot_id, location_id, quantity)
SELECT item_id, lot_id, location_id, sum(delta)
  FROM stock_ledger
 WHERE item_id::text LIKE 'b3000000-%'
 GROUP BY item_id, lot_id, location_id;

-- The automatic shortages those levels would have opened.
WITH short AS (
  SELECT b.item_id, b.location_id, sum(b.quantity) FILTER (WHERE l.expires_on IS NULL OR l.expires_on >= current_date) AS usable
    FROM stock_balances b LEFT JOIN stock_lots l ON l.id = b.lot_id
   WHERE b.item_id::text LIKE 'b3000000-%'
   GROUP BY b.item_id, b.location_id
), opened AS (
  INSERT INTO shortages (item_id, location_id, status, severity, source, critical_item, note,
                         level_at_open, opened_by, opened_at, updated_at)
  SELECT s.item_id, s.location_id, 'open',
         CASE WHEN i.critical THEN 'critical' WHEN coalesce(s.usable, 0) = 0 THEN 'high' ELSE 'medium' END,
         'automatic', i.critical,
         coalesce(s.usable, 0) || ' on hand, at or below the reorder level of ' || i.reorder_level,
         coalesce(s.usable, 0),
         (SELECT id FROM users WHERE email = 'nurse@demo.hms'),
         now() - make_interval(days => pg_temp.r(hashtext(s.item_id::text || s.location_id::text), 151, 20)),
         now()
    FROM short s JOIN stock_items i ON i.id = s.item_id
   WHERE coalesce(s.usable, 0) <= i.reorder_level
  RETURNING id, opened_by, opened_at
)
INSERT INTO shortage_events (shortage_id, from_status, to_status, by_user, at, note)
SELECT id, NULL, 'open', opened_by, opened_at, 'opened automatically by a movement' FROM opened;
