"""``python -m agent.safety.training``: train the learned risk reader's head."""

from agent.safety.training.train import main

raise SystemExit(main())
