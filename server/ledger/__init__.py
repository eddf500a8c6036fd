"""The strategy ledger: every deal of the terminal stored once, attributed to a strategy and a signal, and the
trades, open shares and statistics built from them.

Modules: :mod:`server.ledger.models` (tables), :mod:`server.ledger.attribution` (who a deal and an exit belong
to), :mod:`server.ledger.trades` (trades and holdings from deals, by the share model of
:mod:`contract.netting`), :mod:`server.ledger.ingest` (:func:`~server.ledger.ingest.record_deals`, the one
write path), :mod:`server.ledger.stats` (a strategy's figures), :mod:`server.ledger.schemas` (API shapes).
"""
