"""Retrained column (optional): the same architecture with every weight retrained on the corpus
questions — a second model in this process, loaded from APP_RETRAINED on first use."""

from __future__ import annotations

from common.errors import PipelineError
from pipelines.core import Source
from pipelines.from_weights import FromWeightsPipeline
from pipelines.generation import WEIGHTS_ONLY
from serving.engine import Engine
from serving.retrained_weights import missing_weights


class RetrainedPipeline(FromWeightsPipeline):
    name = "retrained"
    title = "Retrained (full)"
    optional = True

    def engine(self) -> Engine:
        config = self.resources.config
        folder = config.retrained_path
        if error := missing_weights(folder, config.shown_path(folder)):  # loads nothing
            where = " The app can also train them (Documents tab)." if config.training_on else ""
            raise PipelineError(
                f"{error}{where} Then ask again; the other columns do not need them."
            )
        return self.resources.retrained_engine()

    def weights_source(self) -> Source:
        folder = self.resources.config.retrained_path.name
        return Source(document="", section="", text=f"{WEIGHTS_ONLY} Retrained weights: {folder}.")
