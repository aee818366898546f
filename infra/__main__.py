"""Pulumi's entry point (`main: infra/` in Pulumi.yaml). Pulumi runs this file with infra/ as the
working directory, so the repository root goes on sys.path for `import infra…` to work."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.program import main

main()
