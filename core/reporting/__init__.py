"""Reports as documents, dashboards, saved queries: what analysts keep and hand on (built on
analytics)."""
