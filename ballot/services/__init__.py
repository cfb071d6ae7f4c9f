"""Services: one module per job. They use ``db.session`` but never commit; callers do."""
