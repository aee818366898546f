"""How gunicorn serves the app: a worker that reads each request before a thread serves it
(worker.py), and the request framing it follows (framing.py)."""
