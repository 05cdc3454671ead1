"""Data layer: everything between a file on disk and an analysable table.

Reading files (`readers`), codebooks (`codebook`, drafting one: `codebook_draft`), checking values
(`validate`), the row ledger (`ledger`), the PII guard (`privacy`), data sets (`dataset`), couple
and diary layouts (`dyad_reshape`, `diary_reshape`), descriptive tables (`describe`), the demo
generator (`simulate`) and the instrument library (`instrument_library`, files in `instruments/`).

Imports only the base modules (`analysis.exceptions`, `analysis._checks`, `analysis.apa`,
`analysis.paths`).
"""
