"""Entry point. `python wsgi.py` serves with eventlet on 127.0.0.1:$PORT (default 5000)."""
import os
import warnings

warnings.filterwarnings("ignore", message="\nEventlet is deprecated")

if __name__ == "__main__" and os.environ.get("SOCKETIO_ASYNC_MODE", "eventlet") == "eventlet":
    import eventlet

    eventlet.monkey_patch()
    # psycopg 3 detects gevent but not eventlet: its default wait (in C) would block the whole worker
    # on every PostgreSQL round trip. Its select-based wait goes through eventlet's green select.
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

from workspace import create_app  # noqa: E402

app = create_app()

if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    from workspace import tasks

    tasks.start(app)
    print(f"Serving on http://{host}:{port} ({app.config['SOCKETIO_ASYNC_MODE']})", flush=True)
    if not app.config.get("SMTP_URL"):
        print(f"No SMTP_URL: emails are written to {app.config['MAIL_DIR']}/ as .eml files", flush=True)
    from workspace.green import serve

    serve(app, host, port, max_size=int(os.environ.get("MAX_CONNECTIONS", "10000")),
          log_output=os.environ.get("ACCESS_LOG", "") == "1")
    print("Stopped.", flush=True)
    os._exit(0)  # background loops and thread pools end with the process, not before it
