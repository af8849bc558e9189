"""Reading instances and writing output sets (atomic, spreadsheet-safe)."""
