"""Invoice lines, pricing and invoice numbering, from validated months."""
