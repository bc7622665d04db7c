"""Reporting: the papers' reported numbers (``reported``), the verdict rule (``verdict``),
records -> rows x columns of cells (``cells``), and their renderings: tables, figures, the
gradient-masking report (``masking``), claims (``claims``) and the artifact index (``index``)."""
