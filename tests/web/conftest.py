"""Fixtures for the web tests: a real uvicorn server on 127.0.0.1 and a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROME_ARGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000",
)


def screenshot(browser, tmp_path: Path, name: str) -> Path:  # noqa: ANN001 - selenium WebDriver
    """Save a screenshot in tmp_path, and in $SOURCETRACE_SCREENSHOTS when set (how docs/*.png were made)."""
    path = tmp_path / name
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    extra = os.environ.get("SOURCETRACE_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(extra) / name))
    return path


@dataclass
class RunningServer:
    url: str
    app: object


def start_server(app: object) -> tuple[RunningServer, callable]:
    """Serve `app` with uvicorn in a thread on a free port of 127.0.0.1; returns the server and a stop function."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="uvicorn-test")
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(30)
        sock.close()

    return RunningServer(f"http://127.0.0.1:{port}", app), stop


@pytest.fixture(scope="module")
def web_server(pipeline) -> Iterator[RunningServer]:
    """The app with the default pipeline (shared with the rest of the session), served on a free port."""
    from sourcetrace.web.app import WebSettings, create_app

    running, stop = start_server(create_app(WebSettings(analysis_timeout_s=300), pipeline=pipeline))
    yield running
    stop()


def make_browser(download_dir: Path, profile_dir: Path):  # noqa: ANN201 - selenium WebDriver
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "Debian chromium and chromium-driver are not installed (/usr/bin/chromium, /usr/bin/chromedriver)"
        if IN_CI:  # .ci/run installs them: a browser test must not vanish there
            pytest.fail(message)
        pytest.skip(message)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in CHROME_ARGS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.add_experimental_option("prefs", {
        "download.default_directory": str(download_dir),
        "download.prompt_for_download": False,
    })
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(300)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[object]:
    """One headless Chromium per test module, with a fresh profile and a download folder."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    downloads = tmp_path_factory.mktemp("downloads")
    driver = make_browser(downloads, profile)
    driver.download_dir = downloads
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class _CountingHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.end_headers()
        self.wfile.write(b"fetched")

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def beacon() -> Iterator[ThreadingHTTPServer]:
    """A local HTTP server that records every request made to it: proves a URL was never fetched."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    server.hits = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
