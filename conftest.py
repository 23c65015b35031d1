# Root conftest: marks the process as a test run before Django settings load.
import os

os.environ.setdefault("ATELIER_TESTING", "1")
