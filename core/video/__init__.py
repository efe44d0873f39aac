"""AI video (智能视频): cameras, zones, rules, the review of violations, datasets and model
weights."""
