"""Controller-side helpers shared by the infra tests."""
import http.client
import ssl


def https(ip, path, method="GET", body=None, headers=None):
    """One HTTPS request to the host (self-signed certificate): (status, headers, body)."""
    ctx = ssl._create_unverified_context()
    conn = http.client.HTTPSConnection(ip, 443, context=ctx, timeout=15)
    try:
        conn.request(method, path, body=body, headers={"Host": "simplr-test", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()
