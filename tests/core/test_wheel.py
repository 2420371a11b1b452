"""An installed wheel works outside the checkout: manifest, migrations and templates ship in it.

The wheel is built from the repository and installed into a new virtualenv that borrows
the test environment's third-party packages (a .pth line, so no network is needed) but not
the checkout: everything `releasebot` needs of its own must come from the wheel.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import SECRET, TOKEN
from tests.kit.bot_process import free_port
from tests.kit.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with only the wheel of releasebot installed (plus borrowed libraries)."""
    work = tmp_path_factory.mktemp("wheel")
    _run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--wheel-dir", str(work / "dist"), str(ROOT), cwd=work,
    )  # fmt: skip
    wheel = next((work / "dist").glob("releasebot-*.whl"))
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=work)
    python = venv / "bin" / "python"
    ask = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run(str(python), "-c", ask, cwd=work).strip())
    # The libraries, but not the editable checkout (its .pth is not read through this line).
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
        "--no-deps", str(wheel), cwd=work,
    )  # fmt: skip
    return venv


def test_the_installed_wheel_runs_from_another_folder(installed: Path, tmp_path: Path) -> None:
    releasebot = str(installed / "bin" / "releasebot")
    python = str(installed / "bin" / "python")
    where = _run(python, "-c", "import bot; print(bot.__file__)", cwd=tmp_path)
    assert str(ROOT) not in where and str(installed) in where
    manifest = _run(releasebot, "manifest", "--url", "https://bot.example.com", cwd=tmp_path)
    assert "/release" in manifest and "https://bot.example.com/slack/events" in manifest
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'rb.db'}",
    }
    assert "schema is at revision" in _run(releasebot, "migrate", cwd=tmp_path, env=env)
    with FakeSlack() as fake:
        env |= {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "HOST": "127.0.0.1",
            "PORT": str(free_port()),
        }
        doctor = subprocess.run(
            [releasebot, "doctor"], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip
        assert "schema current" in doctor.stdout and "templates" in doctor.stdout, doctor.stdout
        proc = subprocess.Popen(
            [releasebot, "run"], cwd=tmp_path, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{env['PORT']}/healthz"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, "run did not serve"
                time.sleep(0.2)
        finally:
            proc.terminate()
            out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
