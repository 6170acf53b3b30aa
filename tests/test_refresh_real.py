"""An incremental update of the shipped adapter after a document edit, with the real model."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest

from common.config import Config
from documents.store import Documents
from serving.engine import ADAPTER, READER
from serving.weights import active_config
from training.progress import ProgressFile, read_progress
from training.refresh import RefreshArgs, run
from training.runs import read_run, staleness

pytestmark = pytest.mark.model


def test_a_refresh_learns_the_edited_fact_and_becomes_the_served_adapter(tmp_path):
    config = Config(data_dir=str(tmp_path / "data"))
    documents = Documents(config)
    terms = documents.locate("legal/terms-of-service.md").read_text()
    edited = terms.replace(
        "Professional plan allows 25 Authorised", "Professional plan allows 40 Authorised"
    )
    assert edited != terms
    documents.save("legal/terms-of-service.md", edited)
    assert staleness(read_run(config.adapter), documents.files()).changed == (
        "legal/terms-of-service.md",
    )
    progress = ProgressFile(tmp_path / "progress.json")
    args = RefreshArgs(epochs=3, replay=8, repeat=2, retained=4)  # 1 step per epoch
    out = run(args, config, progress)

    record = read_run(out)
    assert {
        "id": "terms-of-service-013",
        "before": "25 Authorised Users",
        "after": "40 Authorised Users",
    } in record["refresh"]["updated"]
    assert staleness(record, documents.files()).count == 0  # trained on the current documents
    assert set(record["evaluation"]["incremental"]) == {"before", "after"}
    with (out / "training_log.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert float(rows[-1]["val_loss"]) < float(rows[0]["val_loss"])  # it learnt the new value
    assert read_progress(tmp_path / "progress.json")["phase"] == "scoring new and old facts"
    assert active_config(config).adapter == str(out)  # served from the next start

    from pipelines.resources import Resources

    # the configured adapter stands in for the reader, which may not be trained yet
    resources = Resources(replace(config, reader_adapter=config.adapter))
    assert resources.config.adapter == str(out)
    resources.use_adapter(config.adapter)  # and switched while running
    assert resources.engine().loaded == [ADAPTER, READER]  # the reader is still served
    assert resources.config.adapter == config.adapter
