"""One module per systolic dataflow; each registers itself (:func:`archsim.dataflow.registry.register_dataflow`).

Every module here is imported on the first registry lookup.
"""
