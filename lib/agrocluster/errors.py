"""The exceptions agrocluster raises, so callers (and the runner) can tell bad input from bugs.

Every message names what is wrong and where: the file, key, column or row, and the rule broken.
All derive from :class:`AgroclusterError`, and from :class:`ValueError` where the cause is a bad value,
so ``except ValueError`` in user code keeps working.
"""

from __future__ import annotations


class AgroclusterError(Exception):
    """Base class of every error raised on purpose by agrocluster."""


class ParamsError(AgroclusterError, ValueError):
    """A parameter file or override breaks the schema (unknown key, wrong type, unsafe id, missing file)."""


class DataContractError(AgroclusterError, ValueError):
    """A data table breaks its contract (missing column, duplicate key, negative quantity, bad code...)."""


class FormulaError(AgroclusterError, ValueError):
    """A regression formula leaves the accepted grammar (only column names and whitelisted transforms)."""


class EstimationError(AgroclusterError, ValueError):
    """The data cannot support the requested estimate (no variation, too few units, collinearity...)."""


class DataPathError(AgroclusterError, PermissionError):
    """A data path in the params leaves the project and the data roots the user listed (symlinks resolved)."""


class RunError(AgroclusterError):
    """A notebook task failed, or outputs could not be written."""


class HeadlineError(AgroclusterError, ValueError):
    """A headline key is not declared in :data:`agrocluster.headlines.REGISTRY`."""


class ResultsFileError(DataContractError):
    """A ``.results.json`` file (or the runner's record of completed tasks) cannot be read: not JSON, or
    not the shape :mod:`agrocluster.results_file` writes."""


class WorkbookStopped(AgroclusterError):
    """A workbook ended early, on purpose, because the data lack what every later section needs.

    Raised by :meth:`agrocluster.record.Recorder.stop_unless` after the results are saved; the runner reports
    the task ``ok`` and ends the report there with "Not computed: needs …" for each section left out.
    In JupyterLab the cell shows the message alone, without a traceback (IPython's ``_render_traceback_``).
    """

    def _render_traceback_(self) -> list[str]:
        return [f"WorkbookStopped: {self}"]
