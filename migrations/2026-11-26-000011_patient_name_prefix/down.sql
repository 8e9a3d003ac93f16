DROP INDEX patients_given_first_idx;
DROP INDEX patients_family_first_idx;
