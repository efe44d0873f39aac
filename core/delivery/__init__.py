"""Notices delivered outside the app: by e-mail and by webhook, for ``safeloop remind``.

Each notification a recipient wants on a channel (their preference, ``prefs``) gets one
``Delivery`` row per channel and target, written idempotently; ``run`` sends the rows due and
records each attempt, so a failed one is tried again on a later run and a sent one never again.
``messages`` renders what is sent, in the recipient's language; ``transport`` talks SMTP and
HTTP; ``log`` is the administrators' view of the rows. Only the CLI and the UI import it.
"""
