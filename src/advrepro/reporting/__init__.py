"""Reporting: the papers' reported numbers (``reported``), the verdict rule (``verdict``) and
tables rendered only from evaluation records (``tables``)."""
