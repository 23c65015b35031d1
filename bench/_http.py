"""A small asyncio HTTP/1.1 client for the customer benches (booking, flash sale, gift cards).

Hundreds of customers as coroutines on one thread, raw HTTP on a fresh connection per request
(`Connection: close`, as gunicorn's sync workers answer), cookies kept per customer, forms
posted url-encoded. `requests` in a thread per customer cost the client about 2.5 ms of CPU a
request on this machine's two cores, more than a page served from the cache: what the client
spends is taken from the server it measures.
"""

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit


@dataclass
class Response:
    status_code: int
    headers: dict[str, str]
    text: str


@dataclass
class Session:
    """One customer's browser: its cookies, one request at a time."""

    timeout: float = 60
    cookies: dict[str, str] = field(default_factory=dict)

    async def get(self, url: str, **kwargs) -> Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, data: dict | None = None, **kwargs) -> Response:
        return await self.request("POST", url, data=data, **kwargs)

    async def request(
        self, method: str, url: str, *, data: dict | None = None, headers: dict | None = None
    ) -> Response:
        return await asyncio.wait_for(self._send(method, url, data, headers or {}), self.timeout)

    async def _send(self, method: str, url: str, data, headers: dict) -> Response:
        parts = urlsplit(url)
        body = urlencode(data).encode() if data is not None else b""
        lines = [
            f"{method} {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
            f"Host: {parts.netloc}",
            "User-Agent: atelier-bench",
            "Accept-Language: en",
            "Connection: close",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if data is not None:
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
        head, _, content = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        response_headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if name.lower() == "set-cookie":
                cookie, _, _attributes = value.partition(";")
                key, _, val = cookie.partition("=")
                if val and "max-age=0" not in value.lower():
                    self.cookies[key.strip()] = val.strip()
                else:
                    self.cookies.pop(key.strip(), None)
            response_headers[name.title()] = value
        if "chunked" in response_headers.get("Transfer-Encoding", "").lower():
            content = _unchunk(content)
        return Response(
            int(status_line.split()[1]), response_headers, content.decode("utf-8", "replace")
        )


def _unchunk(data: bytes) -> bytes:
    out, rest = [], data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(out)
