"""The notebooks' sample run and the memory a run keeps (real agent, fake models)."""

from __future__ import annotations

import pytest

from theraloop.memory import HashingEmbedder
from theraloop.memory.errors import InvalidInputError
from theraloop.memory.inspect import items_table, recall_timeline
from theraloop.simulations.profile_specs import resolve_profiles
from theraloop.simulations.rundata import find_runs, load_run, open_client_memory
from theraloop.simulations.runner import RunConfig, run_ablations
from theraloop.simulations.sample import SAMPLE_PROFILES, sample_run


class CountingEmbedder:
    """Hashing vectors, remembering every text it was asked to embed as a document."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.name, self.dimensions = self.inner.name, self.inner.dimensions
        self.documents: list[str] = []

    def embed_documents(self, texts):  # noqa: ANN001
        self.documents.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):  # noqa: ANN001
        return self.inner.embed_query(text)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The default sample clients, shortened to 2 sessions x 2 turns."""
    out = tmp_path_factory.mktemp("sample")
    return sample_run(out, sessions=2, turns=2, embedder=HashingEmbedder())


def test_sample_run_simulates_the_sample_clients_with_the_fake_models(sample):
    run = load_run(sample)
    assert list(run.clients) == list(SAMPLE_PROFILES)
    assert all(len(c.complete_sessions) == 2 for c in run.clients.values())
    config = run.manifest.config
    assert (config.therapist_model, config.client_model, config.judge_model) == ("fake",) * 3
    assert (config.turns, config.days_between) == (2, 7.0)


def test_a_run_keeps_each_clients_memory_for_inspection(sample):
    run = load_run(sample)
    store = open_client_memory(run, "depression-maya", embedder=HashingEmbedder())
    assert store.now() == run.clients["depression-maya"].last_at  # the run's last moment
    assert store.clients() == ["depression-maya"]  # one client's data dir holds only them
    table = items_table(store, "depression-maya")
    assert {"turn", "session_summary"} <= set(table["kind"])
    assert set(recall_timeline(store, "depression-maya")["event"]) >= {"add", "recall"}


def test_open_client_memory_refuses_a_client_not_in_the_run(sample):
    with pytest.raises(InvalidInputError, match="not in the run"):
        open_client_memory(load_run(sample), "nobody")


def test_sample_run_with_ablations_writes_one_run_per_variant(tmp_path):
    out = sample_run(
        tmp_path,
        profiles=["depression-maya"],
        sessions=1,
        turns=2,
        ablations=("none", "no-memory"),
        embedder=HashingEmbedder(),
    )
    runs = find_runs(out)
    assert list(runs) == ["full", "no-memory"]
    with pytest.raises(InvalidInputError, match="memory switched off"):
        open_client_memory(runs["no-memory"], "depression-maya")


def test_sample_run_refuses_an_unknown_ablation(tmp_path):
    with pytest.raises(InvalidInputError, match="ablations"):
        sample_run(tmp_path, ablations=("no-brain",))
    assert not any(tmp_path.iterdir())


def test_ablation_variants_share_one_embedding_cache(tmp_path):
    counting = CountingEmbedder()
    config = RunConfig(sessions=1, turns=2, therapist_model="fake")
    results = run_ablations(
        config,
        tmp_path,
        resolve_profiles(["depression-maya"]),
        ablations=("none", "no-cross-session"),
        embedder=counting,
        progress=False,
    )
    assert all(r.ok for r in results.values())
    assert len(counting.documents) == len(set(counting.documents))  # no text embedded twice
