"""The JSON API's case routes (mounted under /api/v1): each takes a case the caller may see
(``workforce.scoping``) and calls the domains' services or the workbench's flows. Single-domain
routes stay in their domain (``auth.api``, ``compliance.api``)."""
