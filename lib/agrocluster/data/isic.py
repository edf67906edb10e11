"""Names of the ISIC rev.4 classes the demo clusters use, so pages say "1102 (manufacture of wines)".

The bundled table ``agrocluster/data/codes/isic_rev4.csv`` holds the class titles of the International
Standard Industrial Classification of All Economic Activities, Revision 4 (United Nations Statistics
Division, Statistical Papers Series M No. 4/Rev.4, 2008) for the classes the demo clusters and the
synthetic generator use (:data:`agrocluster.data.synthetic.OTHER_SECTORS` and the clusters' own sectors).
A code not in the table is shown as the bare code.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

SOURCE = "ISIC Rev.4, United Nations Statistics Division (Statistical Papers M No. 4/Rev.4, 2008)"


@lru_cache(maxsize=1)
def isic_names() -> dict[str, str]:
    """ISIC rev.4 class code (four digits, as a string) → class title."""
    path = Path(str(resources.files("agrocluster.data"))) / "codes" / "isic_rev4.csv"
    table = pd.read_csv(path, dtype=str)
    return dict(zip(table["code"], table["name"]))


def sector_label(code: str) -> str:
    """``"1102 (manufacture of wines)"``; the bare code when the class is not in the bundled table."""
    name = isic_names().get(str(code).strip())
    return f"{code} ({name[0].lower()}{name[1:]})" if name else str(code)
