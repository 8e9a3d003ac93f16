-- The hot query of GET /api/v1/patients?q=... alone, with the settings the API gives it.
BEGIN;
{{tiers}}
COMMIT;
