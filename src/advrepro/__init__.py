"""advrepro: reference reproduction of MCT (Appiah et al. 2020) and DunDi (Cui et al. 2019).

The package holds everything the Snakemake workflow calls: data acquisition and preparation
(`data`), architectures (`models`), training methods and the one training loop (`methods`,
`training`), attacks (`attacks`), evaluation (`evaluation`, `metrics`) and tables/verdicts
(`reporting`). Rule scripts under `workflow/scripts/` only adapt Snakemake's inputs to these.
"""

__version__ = "0.1.0"
