"""Hazardous work permits (作业票, GB 30871): templates, numbering, approval, gas, start,
workflow."""
