"""Monitoring figures of the real run for the regional programmes (issue 15, `matcher monitor`).

- `sources`: what the figures are computed from: the decisions ledger (read only), the solved
  instance of each proposal's run folder (found through the path the ledger recorded) and the
  instances given with `--instance`;
- `figures`: instroom, doorstroom, uitstroom, still waiting, placements per gemeente, corporatie,
  doelgroep and herkomst, vacancy days and the shortfall, for any period;
- `agreements`: the realisation of agreements, a generic list of (who, period, minimum, maximum);
- `workbook` and `page`: the Excel workbook and the self-contained HTML page.

The definitions are written on the page and in docs/monitoring.md.
"""
