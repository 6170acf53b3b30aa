"""The old name of `python -m scripts.refresh` (it refreshes the Retrained column's weights too,
which are no LoRA); kept so that existing commands still run.

    python -m scripts.refresh_lora [--method lora|full] ...   # same as python -m scripts.refresh
"""

from scripts.refresh import main

if __name__ == "__main__":
    main()
