"""The sandbox's stand-in for a foundation model: deterministic replies, token counts and latency.

Replies are derived from the prompt and say that they come from the sandbox; token counts follow
a words x 1.3 estimate, and `maxTokens` cuts the reply as a model would (stop reason max_tokens).
"""

from __future__ import annotations

import hashlib
import math


def _tokens(text: str) -> int:
    words = len(text.split())
    return max(1, math.ceil(words * 1.3)) if words else 0


def _reply(model_label: str, prompt: str, system: str, max_tokens: int) -> tuple[str, int, str]:
    """(text, output tokens, stop reason) of the sandbox's deterministic answer."""
    question = " ".join(prompt.split())
    quoted = question if len(question) <= 80 else question[:77].rstrip() + "..."
    digest = hashlib.sha256((model_label + "\n" + system + "\n" + question).encode()).hexdigest()[:8]
    text = (f"[Sandbox reply from {model_label}, not a real model] You asked: \"{quoted}\". "
            f"In the sandbox every answer is generated locally from your prompt (ref {digest}); "
            "run the workshop on AWS to get a real answer.")
    out_tokens = _tokens(text)
    if out_tokens > max_tokens:
        words = text.split()
        keep = max(1, int(max_tokens / 1.3))
        text = " ".join(words[:keep])
        return text, max_tokens, "max_tokens"
    return text, out_tokens, "end_turn"


def _latency_ms(in_tokens: int, out_tokens: int) -> int:
    return 180 + in_tokens // 10 + out_tokens * 6


def model_label(ids: dict) -> str:
    return ids["profile_id"] or ids["model_id"]


class Generation:
    """One run of the sandbox's model: the reply and its usage."""

    def __init__(self, ids: dict, prompt: str, system: str, max_tokens: int, all_text: str):
        self.ids = ids
        self.in_tokens = _tokens(system + " " + all_text)
        self.text, self.out_tokens, self.stop = _reply(model_label(ids), prompt, system, max_tokens)
        self.latency = _latency_ms(self.in_tokens, self.out_tokens)

    def chunks(self, words_per_chunk: int = 6) -> list[str]:
        words = self.text.split(" ")
        return [" ".join(words[i:i + words_per_chunk]) + (" " if i + words_per_chunk < len(words) else "")
                for i in range(0, len(words), words_per_chunk)]

    def invocation_metrics(self) -> dict:
        return {"inputTokenCount": self.in_tokens, "outputTokenCount": self.out_tokens,
                "invocationLatency": self.latency, "firstByteLatency": min(self.latency, 120)}

