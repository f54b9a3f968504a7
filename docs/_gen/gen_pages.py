"""Writes the generated pages at build time (``mkdocs-gen-files``, configured in mkdocs.yml)."""

from __future__ import annotations

import sys
from pathlib import Path

import mkdocs_gen_files

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pages

with mkdocs_gen_files.open("cli.md", "w") as fh:
    fh.write(pages.cli_page())

folders = pages.result_folders()
with mkdocs_gen_files.open("results/index.md", "w") as fh:
    fh.write(pages.results_index(folders))
for folder in folders:
    with mkdocs_gen_files.open(f"results/{folder.name}.md", "w") as fh:
        fh.write(pages.results_page(folder))

for path, text in pages.api_pages(pages.api_modules()).items():
    with mkdocs_gen_files.open(f"reference/{path}", "w") as fh:
        fh.write(text)
