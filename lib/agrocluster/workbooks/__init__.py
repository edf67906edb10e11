"""One module per workbook: the decisions a notebook would otherwise hold.

Each public function takes the cluster's data and options, decides what the data allow, picks the
specification, runs the estimators and words the reading; it returns an
:class:`agrocluster.sections.Section` (or a small typed result), so a notebook cell is one visible call
with its options and one display. Modules: ``overview`` (00), ``mapping`` (01), ``agglomeration`` (02),
``productivity`` (03), ``exports`` (04), ``synthesis`` (05).
"""
