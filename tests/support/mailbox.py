"""Reading what gardien sent: run the outbox sender, then find a message on the SMTP server."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.support.smtp import SmtpServer


def send_outbox(env: dict[str, str]) -> str:
    """Run ``gardien outbox send`` with ``env`` (as the nightly unit would); what it wrote
    (stdout and stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "gardien", "outbox", "send"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def mail_to(smtp: SmtpServer, recipient: str, subject_has: str) -> tuple[str, str]:
    """Subject and text of the last message to ``recipient`` whose subject has the words."""
    found = [
        m for m in smtp.messages if recipient in str(m["To"]) and subject_has in str(m["Subject"])
    ]
    assert found, [str(m["Subject"]) for m in smtp.messages if recipient in str(m["To"])]
    body = found[-1].get_body(("plain",))
    assert body is not None
    return str(found[-1]["Subject"]), str(body.get_content())


def link(text: str, path: str) -> str:
    """The last link in ``text`` to ``path`` on the loopback server (French or English)."""
    found = re.findall(rf"http://127\.0\.0\.1:\d+(?:/en)?{re.escape(path)}/\S+", text)
    assert found, text
    return str(found[-1])
