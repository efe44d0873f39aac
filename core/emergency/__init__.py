"""Emergency management (应急管理): plans, teams, supplies, drills and response checklists."""
