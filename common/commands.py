"""The command lines that messages and pages tell users to run, written once."""

TRAIN_FULL = "python -m scripts.train_lora --method full"  # the Retrained column's first weights
REFRESH = "python -m scripts.refresh"  # catch the LoRA adapter up with the edited documents
REFRESH_FULL = f"{REFRESH} --method full"  # the same for the Retrained column's weights
