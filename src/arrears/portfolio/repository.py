"""Every query on the portfolio tables. Services and commands never build SQL themselves."""

from __future__ import annotations

# --- reads (inspection: summary, account show) -------------------------------------------------

# --- writes (imports: bulk, idempotent) --------------------------------------------------------
