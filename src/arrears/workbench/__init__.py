"""The workbench's flows: what a collector does with a case, across domains (the queue and the
next case, the case view, the case script, the contact that asks compliance and records, the
three stops). Pages and the JSON API both call these; the domains below never call up here.
"""
