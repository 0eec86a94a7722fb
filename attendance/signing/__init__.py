"""Sign-in flows: slot tokens, QR codes, devices, signatures and their evidence."""
