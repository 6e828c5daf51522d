"""Every read and write of files: survey exports, transcripts, codebooks, codings, outputs.

Analysis modules never touch the disk; notebooks read through ``voc.io.read_*`` and write
through ``voc.io.save_*``.
"""

from __future__ import annotations
