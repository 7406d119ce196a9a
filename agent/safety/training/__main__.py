"""``python -m theraloop.agent.safety.training``: train the learned risk reader's head."""

from theraloop.agent.safety.training.train import main

raise SystemExit(main())
