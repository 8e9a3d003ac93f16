-- The public status endpoint: no database access.
SELECT 'GET' || E'\t' || '/api/v1/status';
