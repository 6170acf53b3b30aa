"""The command lines that messages and pages tell users to run, written once."""

TRAIN = "python -m scripts.train_lora"  # train the LoRA adapter (--method lora, the default)
TRAIN_FULL = f"{TRAIN} --method full"  # the Retrained column's first weights
TRAIN_READ = f"{TRAIN} --task read"  # the reader adapter of the RAG + LoRA column
REFRESH = "python -m scripts.refresh"  # catch the LoRA adapter up with the edited documents
REFRESH_FULL = f"{REFRESH} --method full"  # the same for the Retrained column's weights
