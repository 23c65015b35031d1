"""Fixtures for fault tests: a private redis-server we may stop, and real worker processes.

The shared Redis on 6379 is never stopped: a test that needs Redis to go down starts its own
`redis-server` on a free port and points the Celery app (and, when asked, the cache) at it.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app

REPO = Path(__file__).resolve().parents[2]


def wait_for(predicate, seconds=20.0, interval=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivateRedis:
    """A redis-server of our own on a free port, that a test may stop and start again."""

    def __init__(self, tmp: Path):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp = tmp
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(lambda: _answers(self.port), 10), "private redis-server did not start"

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait(5)
            self.process = None
        assert wait_for(lambda: not _answers(self.port), 5)


def use_broker(url: str) -> None:
    """Point the Celery app of this process at `url` (connections and producers are cached)."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def private_redis(tmp_path, postgres_only):
    """A running private redis-server; the Celery app of this test publishes there."""
    if not shutil.which("redis-server"):
        pytest.skip(
            "needs redis-server installed (apt-get install redis-server): a Redis this test may stop"
        )
    server = PrivateRedis(tmp_path)
    server.start()
    previous = celery_app.conf.broker_url
    use_broker(server.url)
    yield server
    use_broker(previous)
    server.stop()


class Worker:
    """`celery worker` in a subprocess, on the private broker and the test database."""

    def __init__(self, process, log: Path):
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self):
        if self.process.poll() is None:
            os.killpg(
                self.process.pid, signal.SIGKILL
            )  # the worker and any child: no warm shutdown
            self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def faults_dir(tmp_path):
    path = tmp_path / "worker"
    (path / "mail").mkdir(parents=True)
    return path


@pytest.fixture
def start_worker(private_redis, faults_dir):
    """Start a worker process: `start_worker(block="capture-after")`. All are stopped at the end."""
    workers = []
    db = connection.settings_dict

    def start(*, block: str = "", name: str = "w"):
        url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        if db.get("PASSWORD"):
            url = url.replace("@", f":{db['PASSWORD']}@", 1)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": private_redis.url,
            "ATELIER_TESTING": "false",
            "PAYMENTS_DEV_GATEWAY": "true",  # the worker is no test process: say the dev gateway is wanted
            "FAULTS_DIR": str(faults_dir),
            "FAULTS_BLOCK": block,
            "PYTHONPATH": str(REPO),
        }
        log = faults_dir / f"{name}-{len(workers)}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.faults.worker_app",
                "worker",
                "--pool=solo",
                "-Q",
                "celery,captures",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
                "-n",
                f"{name}{len(workers)}@faults",
            ],
            cwd=REPO,
            env=env,
            stdout=open(log, "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = Worker(process, log)
        workers.append(worker)
        assert wait_for(lambda: "ready." in worker.output() or process.poll() is not None, 30), (
            worker.output()
        )
        assert process.poll() is None, worker.output()
        return worker

    yield start
    for worker in workers:
        worker.stop()
