"""The platform's own records: user accounts, custom fields, the audit log and backups
as actions."""
