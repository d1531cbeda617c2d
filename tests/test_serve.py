"""`archive serve` runs the production server: started for real, asked for the home page over HTTP."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_with_the_home_page(tmp_path):
    port = free_port()
    archive = shutil.which("archive", path=str(Path(sys.executable).parent))
    server = subprocess.Popen([archive, "--data", str(tmp_path), "serve", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode()
                    server_header = response.headers["Server"]
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "server did not answer within 30 s"
                time.sleep(0.2)
        assert "Oral history archive" in page and "Sign in" in page
        assert server_header == "archive"  # waitress, named; not Werkzeug's development server
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/archive.css", timeout=5) as css:
            assert b"font-family" in css.read()
    finally:
        server.terminate()
        server.wait(10)
        server.stdout.close()
        server.stderr.close()
