"""Facts about the running sandbox that other modules need, such as its own URL."""

_url: str | None = None


def set_url(url: str) -> None:
    global _url
    _url = url


def url() -> str:
    if _url is None:
        raise RuntimeError("the sandbox server has not started")
    return _url
