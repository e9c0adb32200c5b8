"""The README's Python examples, run in order against the real server (a new organization), with
the provider clients they import standing in as the fakes of ``tests.fakes``."""

import io
import os
import re
import sys
import tempfile
import types
import unittest
from contextlib import redirect_stdout
from typing import Any, Dict

from tests import fakes
from tests.harness import PACKAGE_DIR, server


def provider_modules() -> Dict[str, types.ModuleType]:
    """``openai`` and ``anthropic`` modules whose clients answer like the real ones."""
    openai = types.ModuleType("openai")
    anthropic = types.ModuleType("anthropic")

    class OpenAI:
        def __init__(self, **_: Any) -> None:
            create = lambda **p: fakes.openai_chat(12, 5, text="Hi there")  # noqa: E731
            self.chat = types.SimpleNamespace(completions=types.SimpleNamespace(create=create))

    class Anthropic:
        def __init__(self, **_: Any) -> None:
            create = lambda **p: fakes.anthropic_message(700, 120)  # noqa: E731
            self.messages = types.SimpleNamespace(create=create)

    openai.OpenAI = OpenAI  # type: ignore[attr-defined]
    anthropic.Anthropic = Anthropic  # type: ignore[attr-defined]
    return {"openai": openai, "anthropic": anthropic}


class ReadmeTest(unittest.TestCase):
    def test_the_readme_examples_run(self) -> None:
        with open(os.path.join(PACKAGE_DIR, "README.md"), encoding="utf-8") as f:
            blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
        self.assertGreaterEqual(len(blocks), 10)
        env = {"REINS_API_KEY": server().new_org("readme"), "REINS_BASE_URL": server().url}
        saved_env = {k: os.environ.get(k) for k in env}
        saved_modules = {k: sys.modules.get(k) for k in ("openai", "anthropic")}
        cwd = os.getcwd()
        namespace: Dict[str, Any] = {"__name__": "readme"}
        out = io.StringIO()
        with tempfile.TemporaryDirectory() as tmp:
            try:
                os.environ.update(env)
                sys.modules.update(provider_modules())
                os.chdir(tmp)
                for i, block in enumerate(blocks):
                    with self.subTest(block=i), redirect_stdout(out):
                        exec(compile(block, "README.md block %d" % i, "exec"), namespace)
                self.assertTrue(os.path.getsize(os.path.join(tmp, "audit.csv")) > 0)
            finally:
                os.chdir(cwd)
                for k, v in saved_env.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
                for k, m in saved_modules.items():
                    if m is None:
                        sys.modules.pop(k, None)
                    else:
                        sys.modules[k] = m
        printed = out.getvalue()
        self.assertIn("Transaction recorded: txn_", printed)
        self.assertIn("Blocked: Individual transactions over $5 are not permitted.", printed)
        self.assertIn("VALIDATION_ERROR 422 vendor", printed)
        self.assertIn("Hi there", printed)
        self.assertIn("transaction.blocked", printed)
        client = namespace["client"]
        # The guarded calls were reserved and settled under the README's agent.
        settled = client.list_transactions(agentId="support-bot", limit=100)["transactions"]
        self.assertIn(("settled", 12, 5), [(t["status"], t["tokensIn"], t["tokensOut"]) for t in settled])


if __name__ == "__main__":
    unittest.main()
