"""The weekly review loop: explain, check, landlord workbooks, the ledger, history."""
