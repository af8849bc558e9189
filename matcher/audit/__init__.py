"""Re-running a proposal from its summary, and redacting instances for sharing."""
