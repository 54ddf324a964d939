"""Assign rows to splits.

``hash``: a row's split depends only on (seed, key): the key's text is hashed
with SipHash-2-4 (pandas' ``hash_array``, keyed by the seed) into a number in
[0, 1) compared with the cumulative ratios, in the order the definition lists
them. Adding rows never moves an existing row to another split.

``explicit``: a column names each row's split. ``none``: every row goes to the
split ``all``.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ..errors import DataError

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..specs import DatasetDefinition


class Splitter:
    def __init__(self, definition: DatasetDefinition, source: str) -> None:
        splits = definition.splits
        self.method = splits.method
        self.source = source
        if self.method == "none":
            self.names = ["all"]
        else:
            self.names = list(splits.ratios)
        self.column = splits.column or definition.schema.key
        ratios = [float(splits.ratios.get(n, 0.0)) for n in self.names]
        total = sum(ratios) or 1.0
        cumulative, acc = [], 0.0
        for r in ratios:
            acc += r / total
            cumulative.append(acc)
        self.cumulative = cumulative
        self.seed = splits.seed
        # pandas wants a 16-character key; derive it from the seed.
        self.hash_key = hashlib.sha256(
            f"zebraops-split:{self.seed}".encode()
        ).hexdigest()[:16]
        self.offset = 0
        self._hashes: list[np.ndarray] = []

    def assign(self, batch: pa.RecordBatch) -> np.ndarray:
        """The split index (into ``self.names``) of every row."""
        import numpy as np

        n = batch.num_rows
        if self.method == "none":
            out = np.zeros(n, dtype=np.int8)
        elif self.method == "explicit":
            out = self._explicit(batch)
        else:
            out = self._hash(batch)
        self.offset += n
        return out

    def _hash(self, batch: pa.RecordBatch) -> np.ndarray:
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        keys = batch.column(batch.schema.get_field_index(self.column))
        if keys.null_count:
            row = int(pc.index(pc.is_null(keys), True).as_py())
            raise DataError(
                f"{self.source}: split key column '{self.column}' is empty in row "
                f"{self.offset + row + 1}; hash splits need a key in every row",
                hint="fill the key, or split on another column (splits.column)",
            )
        if not pa.types.is_string(keys.type):
            keys = pc.cast(keys, pa.string())
        values = keys.to_numpy(zero_copy_only=False)
        hashed = pd.util.hash_array(values, hash_key=self.hash_key, categorize=False)
        self._hashes.append(hashed)
        unit = (hashed >> np.uint64(11)).astype(np.float64) / float(1 << 53)
        index = np.searchsorted(np.asarray(self.cumulative), unit, side="right")
        return np.minimum(index, len(self.names) - 1).astype(np.int8)

    def duplicate_keys(self) -> int:
        """Rows whose hash-split key repeats an earlier row's (by 64-bit
        hash: collisions are negligible below billions of rows)."""
        import numpy as np

        if not self._hashes:
            return 0
        hashes = np.sort(np.concatenate(self._hashes))
        return int(np.count_nonzero(hashes[1:] == hashes[:-1]))

    def _explicit(self, batch: pa.RecordBatch) -> np.ndarray:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        values = batch.column(batch.schema.get_field_index(self.column))
        text = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
        index = pc.index_in(text, value_set=pa.array(self.names))
        if index.null_count:
            row = int(pc.index(pc.is_null(index), True).as_py())
            raise DataError(
                f"{self.source}: split column '{self.column}' holds "
                f"{text[row].as_py()!r} in row {self.offset + row + 1}; expected "
                f"one of {', '.join(self.names)}",
                hint="fix the value, or list the split under splits.ratios",
            )
        return np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.int8)
