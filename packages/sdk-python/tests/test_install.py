"""The package as a user installs it: a wheel built offline (setuptools, no build isolation, no
index), installed into a fresh virtual environment, imported from there and used against the real
server."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from typing import List, Optional

from tests.harness import PACKAGE_DIR, server

OFFLINE = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")


def can_build_wheels(python: str) -> bool:
    """setuptools with bdist_wheel: built in from setuptools 70.1, else the ``wheel`` package."""
    probe = (
        "import setuptools.build_meta, importlib.util, sys\n"
        "v = tuple(int(x) for x in setuptools.__version__.split('.')[:2])\n"
        "sys.exit(0 if v >= (70, 1) or importlib.util.find_spec('wheel') else 1)\n"
    )
    try:
        return subprocess.run([python, "-c", probe], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def builder() -> Optional[str]:
    candidates: List[str] = [sys.executable]
    for name in ("python3", "/usr/bin/python3"):
        path = shutil.which(name)
        if path and path not in candidates:
            candidates.append(path)
    for python in candidates:
        if can_build_wheels(python):
            return python
    return None


def run(cmd: List[str], **kw: object) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=OFFLINE, **kw)  # type: ignore[call-overload]
    if res.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (cmd, res.returncode, res.stdout, res.stderr))
    return res  # type: ignore[no-any-return]


class InstallTest(unittest.TestCase):
    def test_the_built_wheel_installs_into_a_fresh_venv_and_works(self) -> None:
        python = builder()
        if python is None:
            self.skipTest("no Python here has setuptools with bdist_wheel to build a wheel offline")
        with tempfile.TemporaryDirectory() as tmp:
            # A copy of the sources, so that the build leaves nothing in the working tree.
            src = os.path.join(tmp, "src")
            shutil.copytree(
                PACKAGE_DIR,
                src,
                ignore=shutil.ignore_patterns("node_modules", "build", "dist", "*.egg-info", "__pycache__"),
            )
            wheels = os.path.join(tmp, "wheels")
            run([python, "-m", "pip", "wheel", "--no-index", "--no-build-isolation", "--no-deps", "-w", wheels, src])
            [wheel] = glob.glob(os.path.join(wheels, "reins-*.whl"))
            self.assertTrue(os.path.basename(wheel).endswith("-py3-none-any.whl"))

            venv = os.path.join(tmp, "venv")
            run([sys.executable, "-m", "venv", venv])
            vpython = os.path.join(venv, "bin", "python")
            run([vpython, "-m", "pip", "install", "--no-index", "--no-deps", wheel])

            script = textwrap.dedent(
                """
                import os, reins
                from reins import Reins, ReinsError
                here = os.path.dirname(reins.__file__)
                assert here.startswith(os.environ["VENV"]), here
                assert os.path.exists(os.path.join(here, "py.typed"))
                c = Reins(timeout=5)  # REINS_API_KEY, REINS_BASE_URL
                assert c.health()["status"] == "ok"
                res = c.submit_transaction({"amount": 9, "vendor": "openai"})
                assert res["success"] and res["id"].startswith("txn_"), res
                print(reins.__version__, res["id"])
                """
            )
            env = dict(
                OFFLINE,
                VENV=venv,
                REINS_API_KEY=server().new_org("installed"),
                REINS_BASE_URL=server().url,
                PYTHONPATH="",
            )
            # Run from elsewhere than the sources, so that only the installed package is found.
            res = subprocess.run(
                [vpython, "-I", "-c", script], capture_output=True, text=True, timeout=120, env=env, cwd=tmp
            )
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertTrue(res.stdout.startswith("0.1.0 txn_"), res.stdout)


if __name__ == "__main__":
    unittest.main()
