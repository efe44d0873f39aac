"""The low-code CRUD engine: tables declare themselves once (``registry``), and the same
declaration drives validation, scoped queries, Excel import/export and the generic pages."""
