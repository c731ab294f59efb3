"""gunicorn settings for supportdesk: ``gunicorn -c config/gunicorn.py config.wsgi``.

Threaded workers (gthread): a client that sends its request slowly holds one thread, not a whole
worker, so a few slow or hostile connections cannot stall the site (sync workers were stalled by
two connections sending 10 bytes/s). Under heavy abuse, put a buffering proxy (nginx) in front:
it reads whole requests before passing them on (docs/operations.md).
"""

import os

_host = os.environ.get("HOST", "127.0.0.1")
bind = os.environ.get("BIND", f"{_host}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
# A request that takes longer than this (reading a slow body included) is abandoned.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 5
keepalive = 5
# Header limits stay at gunicorn's defaults; bodies are bounded by the upload limit.
# "-": standard output; empty: no access log.
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
# No control socket: its default path is shared by every gunicorn of the user on this machine.
control_socket_disable = True
