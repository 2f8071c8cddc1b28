"""``mlpkg label``: grow a tag with a person in the loop.

``queue`` ranks an unlabelled pool, ``store`` is the append-only labels file, ``session`` ties them
to a model, ``server`` (with ``static/``) and ``terminal`` are the two ways to label, and
``labelstudio`` exports the queue to Label Studio and imports its annotations. ``mlpkg train`` reads
labels files through ``data.extra_labels``. Nothing is imported here, so ``mlpkg --help`` stays fast.
"""
