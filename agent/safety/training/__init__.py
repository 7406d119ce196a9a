"""Offline training of the learned risk reader: the data recipe and the training command.

    python -m theraloop.agent.safety.training [--cssrs ../shared/data/cssrs/cssrs_dev.csv]
    python -m theraloop.agent.safety.training.lora   # the LoRA-tuned MiniLM variant (needs peft)

Nothing here runs at session time; the package ships the trained head
(``agent/safety/data/risk_reader.npz``) and :mod:`theraloop.agent.safety.reader` loads it.
"""
