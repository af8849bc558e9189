"""The solver wing: formulation, lexicographic levels, column generation, unit classes, backend."""
