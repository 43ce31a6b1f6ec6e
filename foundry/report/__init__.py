"""The Snakemake HTML report: one table or figure per rule."""
