"""The allocation rules: the instance as arrays, eligibility, capacity limits, objectives."""
