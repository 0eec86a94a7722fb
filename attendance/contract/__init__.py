"""Domain operations: the API, the pages and the CLI all call these."""
