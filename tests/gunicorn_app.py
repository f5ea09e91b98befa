"""The application as gunicorn serves it, for tests that run several workers: each response
says which worker answered (``X-Worker-Pid``), so a test can show requests were spread."""

import os

from incubator import create_app

app = create_app()


@app.after_request
def _worker_pid(response):
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response
