"""Reminders and the staff digest: who is told what, through which channel.

``channels`` holds the sending side (a small protocol, e-mail by default), ``reminders`` the
claim-then-send cycle of ``attendance remind``, ``digest`` the daily staff e-mail.
"""
