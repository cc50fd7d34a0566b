-- Migrations are forward-only.
SELECT 1;
