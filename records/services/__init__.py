"""Services: every write to the records goes through here — actor first, permission first, traced.

Each service takes the session (the unit of work: the caller commits), the acting ``Actor``, and
checks ``records.permissions.require`` before touching anything; writes are appended to the audit
trail (``records.audit``) in the same transaction.
"""
