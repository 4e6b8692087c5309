-- Placeholder on the "reconcile" branch only: the "relay" branch owns 0004_notifications.sql (take theirs at
-- merge). Migrations are numbered without gaps, so 0005 needs a 0004 to stand on.
SELECT 1;
