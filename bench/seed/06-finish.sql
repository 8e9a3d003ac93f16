-- Every foreign key of the database, checked set-based (the load skipped the per-row triggers):
-- any row pointing at nothing fails the seed.
DO $$
DECLARE
    fk record;
    orphans bigint;
BEGIN
    FOR fk IN
        SELECT c.conname, c.conrelid::regclass AS child, c.confrelid::regclass AS parent,
               (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord)
                  FROM unnest(c.conkey) WITH ORDINALITY AS k (attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS cols,
               (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord)
                  FROM unnest(c.confkey) WITH ORDINALITY AS k (attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS refcols
          FROM pg_constraint c
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
    LOOP
        EXECUTE format(
            'SELECT count(*) FROM %s c WHERE (%s) IS NOT NULL AND NOT EXISTS '
            '(SELECT 1 FROM %s p WHERE (p.%s) = (c.%s))',
            fk.child, 'c.' || replace(fk.cols, ', ', ', c.'), fk.parent,
            replace(fk.refcols, ', ', ', p.'), replace(fk.cols, ', ', ', c.'))
          INTO orphans;
        IF orphans > 0 THEN
            RAISE EXCEPTION 'foreign key %: % rows of % point at nothing', fk.conname, orphans, fk.child;
        END IF;
    END LOOP;
END $$;

-- The balances are the ledger's sums.
DO $$
BEGIN
    IF EXISTS ((SELECT item_id, lot_id, location_id, sum(delta) FROM stock_ledger
                 GROUP BY 1, 2, 3 HAVING sum(delta) <> 0
                EXCEPT
                SELECT item_id, lot_id, location_id, quantity FROM stock_balances WHERE quantity <> 0)
               UNION ALL
               (SELECT item_id, lot_id, location_id, quantity FROM stock_balances WHERE quantity <> 0
                EXCEPT
                SELECT item_id, lot_id, location_id, sum(delta) FROM stock_ledger
                 GROUP BY 1, 2, 3 HAVING sum(delta) <> 0)) THEN
        RAISE EXCEPTION 'stock_balances differ from the ledger';
    END IF;
END $$;

-- Statistics and the visibility map for the planner, as autovacuum would have left them (and so
-- that it does not start vacuuming the new rows in the middle of a measurement).
VACUUM (ANALYZE);
CHECKPOINT;
