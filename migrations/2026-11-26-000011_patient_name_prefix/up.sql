-- Name search ranks patients whose family name, then given name, starts with the query first,
-- alphabetically (patients::repo::Tier). These indexes give those rows in order from the
-- prefix, so a page of a common prefix reads its 50 rows instead of scoring every patient that
-- matches (found by `cargo xtask bench`, docs/performance.md finding 3). `COLLATE "C"`: a LIKE
-- prefix can use a b-tree only under the C collation.
CREATE INDEX patients_family_first_idx ON patients ((sort_name COLLATE "C"), id);
CREATE INDEX patients_given_first_idx ON patients ((search_name COLLATE "C"), id);

