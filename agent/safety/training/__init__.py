"""Offline training of the learned risk reader: the data recipe and the training command.

    python -m theraloop.agent.safety.training [--cssrs ../shared/data/cssrs/cssrs_dev.csv]

Nothing here runs at session time; the package ships the trained head
(``agent/safety/data/risk_reader.npz``) and :mod:`theraloop.agent.safety.reader` loads it.
"""
