"""The agent workspace: the queue (``queue``), the ticket page with every agent action
(``ticket``), the dispatcher's console for phone requests (``dispatch``) and the managers' view
of background work (``health``)."""
