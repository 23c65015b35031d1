"""gunicorn's settings: one place for production (Dockerfile, docker-compose.yml) and the
benches that serve the app (bench/booking.py, flash_sale.py, giftcards.py, pages.py).

    gunicorn -c config/gunicorn.py --bind 0.0.0.0:8000

`gthread` workers: a thread that waits on the payment provider (creating a checkout takes a
real provider hundreds of milliseconds), PostgreSQL or Redis holds no core, so a few processes
of a few threads keep both cores busy. Sync workers do better while nothing waits (no thread
shares a process's interpreter lock) but stall on a slow provider: in bench/booking.py with the
dev gateway answering in 300 ms, 3 sync workers confirmed 7 orders/s where 3 × 4 threads
confirmed 16 (README, "Serving the app").

`worker_connections = threads`: a worker accepts a connection only when one of its threads is
free to answer it. gunicorn's default (1000) lets a busy worker take connections it cannot serve
yet while another idles; the kernel's queue, shared by all workers, is fairer (booking_p99_ms
3036 and 3383 against 4145 and 4885 without it, runs back to back).

WEB_CONCURRENCY (processes, 3) and WEB_THREADS (threads each, 4): set them in .env for a
bigger machine (the figures above are from 2 cores).
"""

import os

wsgi_app = "config.wsgi:application"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_connections = threads
# No keep-alive: nginx talks to gunicorn one connection per request (proxy_pass's HTTP/1.0), and
# a kept connection would hold a thread's place in `worker_connections`.
keepalive = 0
# The app is loaded and warmed (config/warmup.py: URLs, catalogs, templates) once, before the
# workers fork.
preload_app = True
timeout = 30
