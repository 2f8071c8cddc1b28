"""Load a model folder once and try it on one article, so that a broken model fails before any work starts.

A batch job's workers each load the model on their own; a model that cannot load or score an
article would fail in every one of them and read as a crashed worker (E104, "rerun resumes"),
the wrong cause and the wrong advice. :func:`check_model` makes it an E004 (or E009) that names
the folder or the file, in the process that starts the job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import MlpkgError, ModelIntegrityError
from .directory import model_from_meta, read_meta

# One short real article from data/topics.parquet: a title and two sentences.
SAMPLE_TITLE = "96 Desa di Pesawaran Gelar Musdesus Bentuk Koperasi Merah Putih"
SAMPLE_TEXT = ("Pemerintah Kabupaten Pesawaran terus mempercepat pembentukan Koperasi Desa Merah Putih di tingkat "
               "desa. Tercatat sebanyak 96 desa di Pesawaran telah menyelenggarakan musyawarah desa khusus.")


def check_model(directory: str | Path) -> Any:
    """Verify, load and try the model of ``directory`` on one article; return the loaded model.

    Every problem is a coded error: a file that does not match the manifest or does not fit the
    model is an E004 naming it; an ``mlpkg.json`` whose kind is not its model's is an E009.
    """
    directory = Path(directory)
    meta = read_meta(directory)
    model = model_from_meta(directory, meta)
    try:
        if model.kind == "classifier":
            model.decide(model.predict_proba([SAMPLE_TEXT], [SAMPLE_TITLE]))
        else:
            model.summarize([SAMPLE_TEXT], [SAMPLE_TITLE])
    except MlpkgError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever breaks, the folder is the cause
        raise ModelIntegrityError(f"{directory}: the model loads but fails on a two-sentence article "
                                  f"({type(exc).__name__}: {exc}); its files do not fit together: restore the "
                                  "model folder or retrain") from None
    return model
