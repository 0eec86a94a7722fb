"""Documents and exports: xlsx declarations, certificates and sheets as PDF."""
