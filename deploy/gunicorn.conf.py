"""gunicorn settings for supportdesk (deploy/systemd/supportdesk-web.service uses this file).

Environment overrides: SUPPORTDESK_BIND (default 127.0.0.1:8000), WEB_WORKERS (default 2 x CPU
+ 1), WEB_THREADS (default 8 per worker). With several workers, request-latency metrics are kept
in PROMETHEUS_MULTIPROC_DIR, which this file empties at start and tidies as workers exit, so
/metrics sums every worker.
"""

import multiprocessing
import os
import shutil
from pathlib import Path

from prometheus_client import multiprocess

wsgi_app = "config.wsgi:application"
bind = os.environ.get("SUPPORTDESK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
# Threaded workers: a client that sends its request slowly holds one thread, not a whole worker,
# so a few slow or hostile connections cannot stall the site (two connections sending 10 bytes/s
# stalled both sync workers for 30 s). nginx in front buffers whole requests as well.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
# Long enough for an XLSX report or a large attachment upload; nginx times out at 120 s too.
timeout = 120
graceful_timeout = 20
# Workers are recycled now and then, so a slow leak never grows for weeks.
max_requests = 2000
max_requests_jitter = 200
# "-": standard output; WEB_ACCESS_LOG= (empty): none.
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
errorlog = "-"
forwarded_allow_ips = "127.0.0.1,::1"
# No control socket: its default path is shared by every gunicorn of the user on the machine.
control_socket_disable = True


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
